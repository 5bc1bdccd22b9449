"""the record tells the truth (issue 15): the berita acara's real times, signatories, numbers

Revision ID: 0007_record_truth
Revises: 0006_audit_chain
Create Date: 2026-12-03 12:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007_record_truth"
down_revision = "0006_audit_chain"
branch_labels = None
depends_on = None


# Not batch_alter_table on SQLite: it would recreate `meetings` and lose the sealing triggers of
# 0004. Plain ADD COLUMN and CREATE INDEX keep them. Filling `number_year` does not touch the
# columns those triggers guard, so sealed meetings get it too.
YEAR_OF_DATE = {
    "sqlite": "CAST(strftime('%Y', meeting_date) AS INTEGER)",
    "postgresql": "CAST(EXTRACT(YEAR FROM meeting_date) AS INTEGER)",
}

# Decisions already recorded by live meetings claim their families; where two meetings of a
# period decided the same family, the first decision keeps the claim (the camat sees the other
# as a contradiction).
BACKFILL_CLAIMS = """
INSERT INTO decision_claims (village_code, period, household_id, meeting_id, proposal_id,
                             created_at)
SELECT m.village_code, m.period, p.household_id, m.id, p.id, COALESCE(p.decided_at, m.created_at)
FROM proposals p JOIN meetings m ON m.id = p.meeting_id
WHERE p.status = 'decided' AND p.household_id IS NOT NULL
  AND m.state NOT IN ('returned', 'cancelled')
  AND p.id = (
    SELECT MIN(p2.id) FROM proposals p2 JOIN meetings m2 ON m2.id = p2.meeting_id
    WHERE p2.household_id = p.household_id AND m2.village_code = m.village_code
      AND m2.period = m.period AND p2.status = 'decided'
      AND m2.state NOT IN ('returned', 'cancelled'))
"""


def upgrade() -> None:
    op.add_column("meetings", sa.Column("bpd_name", sa.String(length=200), nullable=True))
    op.add_column("meetings", sa.Column("number_year", sa.Integer(), nullable=True))
    dialect = op.get_bind().dialect.name
    op.execute(f"UPDATE meetings SET number_year = {YEAR_OF_DATE[dialect]}")
    # Numbers were never unique before: of a village's meetings sharing a number in a year, the
    # first keeps the year, the others get none (NULLs never collide). Their numbers stay as
    # they were (a sealed meeting's number cannot change); the form asks a new one on edit.
    op.execute(
        "UPDATE meetings SET number_year = NULL WHERE state <> 'cancelled' AND id NOT IN ("
        "SELECT MIN(id) FROM meetings WHERE state <> 'cancelled' "
        "GROUP BY village_code, number_year, number)"
    )
    op.create_index(
        "uq_meetings_village_year_number",
        "meetings",
        ["village_code", "number_year", "number"],
        unique=True,
        sqlite_where=sa.text("state <> 'cancelled'"),
        postgresql_where=sa.text("state <> 'cancelled'"),
    )
    op.create_table(
        "decision_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=10), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["village_code"],
            ["regions.code"],
            name=op.f("fk_decision_claims_village_code_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_decision_claims_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_decision_claims_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_decision_claims_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_claims")),
        sa.UniqueConstraint(
            "village_code",
            "period",
            "household_id",
            name=op.f("uq_decision_claims_family_period"),
        ),
    )
    op.create_index(
        op.f("ix_decision_claims_meeting_id"), "decision_claims", ["meeting_id"], unique=False
    )
    op.execute(BACKFILL_CLAIMS)
    if dialect == "sqlite":
        _seal_sqlite()
    else:
        _seal_postgresql()


# Migration 0004's sealed states and guarded meeting columns, with the signatory added here: the
# BPD/LPM chair is printed and hashed, so it is fixed once the berita acara is locked.
SEALED = "('locked', 'confirmed', 'returned')"
MESSAGE = "musyawarah sudah dikunci: berita acara tidak dapat diubah"  # as in 0004
MEETING_COLUMNS = (
    "village_code", "number", "meeting_date", "start_time", "place", "agenda", "chair_name",
    "notulen_name", "period", "quorum_num", "quorum_den", "majority_num", "majority_den",
    "opened_at", "decided_at", "bpd_name",
)  # fmt: skip
# A claim is written while the meeting is in session and stays while it is locked or confirmed;
# a returned meeting's claims are stale and may be cleared by the meeting that decides again.
CLAIM_STATE = "(SELECT m.state FROM meetings m WHERE m.id = {row}.meeting_id)"


def _meetings_trigger_sqlite(columns: tuple[str, ...]) -> None:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    op.execute("DROP TRIGGER meetings_sealed_update")
    op.execute(
        "CREATE TRIGGER meetings_sealed_update BEFORE UPDATE ON meetings "
        f"WHEN OLD.state IN {SEALED} AND ({changed} "
        "OR NOT (NEW.state = OLD.state OR (OLD.state = 'locked' "
        "AND NEW.state IN ('confirmed', 'returned')))) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )


def _seal_sqlite() -> None:
    _meetings_trigger_sqlite(MEETING_COLUMNS)
    for event, when in (
        ("INSERT", f"{CLAIM_STATE.format(row='NEW')} IN {SEALED}"),
        (
            "UPDATE",
            f"{CLAIM_STATE.format(row='OLD')} IN {SEALED} "
            f"OR {CLAIM_STATE.format(row='NEW')} IN {SEALED}",
        ),
        ("DELETE", f"{CLAIM_STATE.format(row='OLD')} IN ('locked', 'confirmed')"),
    ):
        op.execute(
            f"CREATE TRIGGER decision_claims_sealed_{event.lower()} BEFORE {event} "
            f"ON decision_claims WHEN {when} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def _meetings_function_postgresql(columns: tuple[str, ...]) -> None:
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    op.execute(
        f"""
CREATE OR REPLACE FUNCTION portal_refuse_sealed_meeting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.state IN {SEALED} THEN
    IF TG_OP = 'DELETE' OR {changed}
       OR NOT (NEW.state = OLD.state
               OR (OLD.state = 'locked' AND NEW.state IN ('confirmed', 'returned'))) THEN
      RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
"""
    )


def _seal_postgresql() -> None:
    _meetings_function_postgresql(MEETING_COLUMNS)
    op.execute(
        f"""
CREATE FUNCTION portal_refuse_sealed_claims() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND {CLAIM_STATE.format(row="OLD")}
     IN ('locked', 'confirmed') THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'UPDATE' AND {CLAIM_STATE.format(row="OLD")} IN {SEALED} THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP <> 'DELETE' AND {CLAIM_STATE.format(row="NEW")} IN {SEALED} THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
"""
    )
    op.execute(
        "CREATE TRIGGER decision_claims_sealed BEFORE INSERT OR UPDATE OR DELETE "
        "ON decision_claims FOR EACH ROW EXECUTE FUNCTION portal_refuse_sealed_claims()"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER decision_claims_sealed_{event}")
        _meetings_trigger_sqlite(MEETING_COLUMNS[:-1])  # as 0004 made it, without bpd_name
    else:
        op.execute("DROP TRIGGER decision_claims_sealed ON decision_claims")
        op.execute("DROP FUNCTION portal_refuse_sealed_claims()")
        _meetings_function_postgresql(MEETING_COLUMNS[:-1])
    op.drop_index("ix_decision_claims_meeting_id", table_name="decision_claims")
    op.drop_table("decision_claims")
    op.drop_index("uq_meetings_village_year_number", table_name="meetings")
    # SQLite drops a column in place (ALTER TABLE DROP COLUMN, 3.35+): the triggers stay.
    op.drop_column("meetings", "number_year")
    op.drop_column("meetings", "bpd_name")
