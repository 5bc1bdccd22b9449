"""decisions (issue 15): one live decision per family per period, corrections before the lock

Revision ID: 0008_decision_rules
Revises: 0007_record_truth
Create Date: 2026-12-03 12:30:00

A decision reopened before the lock leaves a row in `proposal_corrections`; a locked meeting's
corrections are sealed like its other rows (0004). The walk-in rule "the same NIK once per
meeting" is the partial unique index `uq_participants_meeting_nik` of 0003 already.
No batch_alter_table on meetings/proposals/participants: on SQLite it would recreate the table
and drop 0004's sealing triggers.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_decision_rules"
down_revision = "0007_record_truth"
branch_labels = None
depends_on = None

SEALED = "('locked', 'confirmed', 'returned')"
MESSAGE = "musyawarah sudah dikunci: berita acara tidak dapat diubah"


def _sealed(meeting_id_sql: str) -> str:
    return f"(SELECT m.state FROM meetings m WHERE m.id = {meeting_id_sql}) IN {SEALED}"


def upgrade() -> None:
    op.create_table(
        "proposal_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("earlier", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(reason) > 0", name=op.f("ck_proposal_corrections_reason_not_empty")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_proposal_corrections_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_proposal_corrections_meeting_id_meetings"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_corrections_proposal_id_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_corrections")),
    )
    op.create_index(
        op.f("ix_proposal_corrections_meeting_id"), "proposal_corrections", ["meeting_id"]
    )
    op.create_index(
        op.f("ix_proposal_corrections_proposal_id"), "proposal_corrections", ["proposal_id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
CREATE FUNCTION portal_refuse_sealed_corrections() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  mid_old integer;
  mid_new integer;
BEGIN
  IF TG_OP <> 'INSERT' THEN mid_old := OLD.meeting_id; END IF;
  IF TG_OP <> 'DELETE' THEN mid_new := NEW.meeting_id; END IF;
  IF EXISTS (SELECT 1 FROM meetings m WHERE m.id IN (mid_old, mid_new)
             AND m.state IN {SEALED}) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
"""
        )
        op.execute(
            "CREATE TRIGGER proposal_corrections_sealed BEFORE INSERT OR UPDATE OR DELETE "
            "ON proposal_corrections FOR EACH ROW "
            "EXECUTE FUNCTION portal_refuse_sealed_corrections()"
        )
    else:
        for event, row in (
            ("insert", "NEW"),
            ("update", "OLD"),
            ("update_new", "NEW"),
            ("delete", "OLD"),
        ):
            op.execute(
                f"CREATE TRIGGER proposal_corrections_sealed_{event} BEFORE "
                f"{event.split('_')[0].upper()} ON proposal_corrections "
                f"WHEN {_sealed(f'{row}.meeting_id')} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS proposal_corrections_sealed ON proposal_corrections")
        op.execute("DROP FUNCTION IF EXISTS portal_refuse_sealed_corrections()")
    else:
        for event in ("insert", "update", "update_new", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS proposal_corrections_sealed_{event}")
    op.drop_index(op.f("ix_proposal_corrections_proposal_id"), table_name="proposal_corrections")
    op.drop_index(op.f("ix_proposal_corrections_meeting_id"), table_name="proposal_corrections")
    op.drop_table("proposal_corrections")
