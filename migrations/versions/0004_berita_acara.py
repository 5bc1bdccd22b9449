"""berita acara: the locked decided list, signed PDF, scan; the database refuses changes to a
locked meeting's rows (triggers on SQLite and PostgreSQL)

Revision ID: 0004_berita_acara
Revises: 0003_meetings
Create Date: 2026-11-23 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004_berita_acara"
down_revision = "0003_meetings"
branch_labels = None
depends_on = None

SEALED = "('locked', 'confirmed', 'returned')"
MESSAGE = "musyawarah sudah dikunci: berita acara tidak dapat diubah"

# Meeting columns that are fixed once the berita acara is locked (the state may still move
# locked -> confirmed / returned, which the camat does).
MEETING_COLUMNS = (
    "village_code",
    "number",
    "meeting_date",
    "start_time",
    "place",
    "agenda",
    "chair_name",
    "notulen_name",
    "period",
    "quorum_num",
    "quorum_den",
    "majority_num",
    "majority_den",
    "opened_at",
    "decided_at",
)
BA_COLUMNS = ("meeting_id", "status", "verify_code", "canonical", "sha256", "pdf", "pdf_sha256")

# (table, expression giving the meeting id from a row alias)
CHILD_TABLES = (
    ("participants", "{row}.meeting_id"),
    ("proposals", "{row}.meeting_id"),
    ("votes", "(SELECT p.meeting_id FROM proposals p WHERE p.id = {row}.proposal_id)"),
    (
        "proposal_photos",
        "(SELECT p.meeting_id FROM proposals p WHERE p.id = {row}.proposal_id)",
    ),
)


def _sealed(meeting_id_sql: str) -> str:
    return f"(SELECT m.state FROM meetings m WHERE m.id = {meeting_id_sql}) IN {SEALED}"


def _sqlite_upgrade() -> None:
    for table, meeting_of in CHILD_TABLES:
        for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            op.execute(
                f"CREATE TRIGGER {table}_sealed_{event.lower()} BEFORE {event} ON {table} "
                f"WHEN {_sealed(meeting_of.format(row=row))} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
        # An update must not move a row into a sealed meeting either.
        op.execute(
            f"CREATE TRIGGER {table}_sealed_update_new BEFORE UPDATE ON {table} "
            f"WHEN {_sealed(meeting_of.format(row='NEW'))} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in MEETING_COLUMNS)
    op.execute(
        "CREATE TRIGGER meetings_sealed_update BEFORE UPDATE ON meetings "
        f"WHEN OLD.state IN {SEALED} AND ({changed} "
        "OR NOT (NEW.state = OLD.state OR (OLD.state = 'locked' "
        "AND NEW.state IN ('confirmed', 'returned')))) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )
    op.execute(
        "CREATE TRIGGER meetings_sealed_delete BEFORE DELETE ON meetings "
        f"WHEN OLD.state IN {SEALED} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )
    ba_changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in BA_COLUMNS)
    op.execute(
        "CREATE TRIGGER berita_acara_done_update BEFORE UPDATE ON berita_acara "
        f"WHEN OLD.status = 'done' AND ({ba_changed}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )
    op.execute(
        "CREATE TRIGGER berita_acara_done_delete BEFORE DELETE ON berita_acara "
        f"WHEN OLD.status = 'done' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )


def _postgresql_upgrade() -> None:
    cases = "\n".join(
        f"    WHEN '{table}' THEN\n"
        f"      IF TG_OP <> 'INSERT' THEN mid_old := {meeting_of.format(row='OLD')}; END IF;\n"
        f"      IF TG_OP <> 'DELETE' THEN mid_new := {meeting_of.format(row='NEW')}; END IF;"
        for table, meeting_of in CHILD_TABLES
    )
    op.execute(
        f"""
CREATE FUNCTION portal_refuse_sealed_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  mid_old integer;
  mid_new integer;
BEGIN
  CASE TG_TABLE_NAME
{cases}
  END CASE;
  IF EXISTS (SELECT 1 FROM meetings m WHERE m.id IN (mid_old, mid_new)
             AND m.state IN {SEALED}) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
"""
    )
    for table, _ in CHILD_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_sealed BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION portal_refuse_sealed_rows()"
        )
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in MEETING_COLUMNS)
    ba_changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in BA_COLUMNS)
    op.execute(
        f"""
CREATE FUNCTION portal_refuse_sealed_meeting() RETURNS trigger LANGUAGE plpgsql AS $$
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
    op.execute(
        "CREATE TRIGGER meetings_sealed BEFORE UPDATE OR DELETE ON meetings "
        "FOR EACH ROW EXECUTE FUNCTION portal_refuse_sealed_meeting()"
    )
    op.execute(
        f"""
CREATE FUNCTION portal_refuse_done_ba() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'done' AND (TG_OP = 'DELETE' OR {ba_changed}) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
"""
    )
    op.execute(
        "CREATE TRIGGER berita_acara_done BEFORE UPDATE OR DELETE ON berita_acara "
        "FOR EACH ROW EXECUTE FUNCTION portal_refuse_done_ba()"
    )


def upgrade():
    op.create_table(
        "signing_certificates",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_signing_certificates")),
    )
    op.create_table(
        "berita_acara",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("verify_code", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("canonical", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_size", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("render_seconds", sa.Float(), nullable=True),
        sa.Column("signer_subject", sa.String(length=300), nullable=True),
        sa.Column("signer_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scan", sa.LargeBinary(), nullable=True),
        sa.Column("scan_mimetype", sa.String(length=40), nullable=True),
        sa.Column("scan_sha256", sa.String(length=64), nullable=True),
        sa.Column("scan_size", sa.Integer(), nullable=True),
        sa.Column("scan_uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scan_uploaded_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_berita_acara_status_known"),
        ),
        sa.CheckConstraint(
            "status <> 'done' OR (pdf IS NOT NULL AND sha256 IS NOT NULL "
            "AND canonical IS NOT NULL AND pdf_sha256 IS NOT NULL)",
            name=op.f("ck_berita_acara_done_has_signed_pdf"),
        ),
        sa.CheckConstraint(
            "progress BETWEEN 0 AND 100", name=op.f("ck_berita_acara_progress_percent")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_berita_acara_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_berita_acara_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["scan_uploaded_by"], ["users.id"], name=op.f("fk_berita_acara_scan_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_berita_acara")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_berita_acara_meeting_id")),
        sa.UniqueConstraint("verify_code", name=op.f("uq_berita_acara_verify_code")),
    )
    with op.batch_alter_table("berita_acara", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_berita_acara_sha256"), ["sha256"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_berita_acara_pdf_sha256"), ["pdf_sha256"], unique=False
        )
    with op.batch_alter_table("kabupaten_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ba_camat_block", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, _ in CHILD_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_sealed ON {table}")
        op.execute("DROP TRIGGER IF EXISTS meetings_sealed ON meetings")
        op.execute("DROP TRIGGER IF EXISTS berita_acara_done ON berita_acara")
        op.execute("DROP FUNCTION IF EXISTS portal_refuse_sealed_rows()")
        op.execute("DROP FUNCTION IF EXISTS portal_refuse_sealed_meeting()")
        op.execute("DROP FUNCTION IF EXISTS portal_refuse_done_ba()")
    else:
        for table, _ in CHILD_TABLES:
            for suffix in ("insert", "update", "delete", "update_new"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_sealed_{suffix}")
        op.execute("DROP TRIGGER IF EXISTS meetings_sealed_update")
        op.execute("DROP TRIGGER IF EXISTS meetings_sealed_delete")
    with op.batch_alter_table("kabupaten_rules", schema=None) as batch_op:
        batch_op.drop_column("ba_camat_block")
    op.drop_table("berita_acara")
    op.drop_table("signing_certificates")
