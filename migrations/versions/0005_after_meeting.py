"""after the meeting: camat review (confirm with a second signature, return), SIKS-NG entry
marks, notifications, the register update's links to the meeting, kabupaten settings for the
dashboard and the transparency page

Revision ID: 0005_after_meeting
Revises: 0004_berita_acara
Create Date: 2026-11-23 12:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005_after_meeting"
down_revision = "0004_berita_acara"
branch_labels = None
depends_on = None

REVIEW_MESSAGE = "konfirmasi camat sudah tercatat: tidak dapat diubah"

# (table, column, referred table). Added without a table rebuild on SQLite: a batch rebuild of
# `meetings` would drop the triggers of migration 0004.
LINK_COLUMNS = (
    ("meetings", "addendum_of_id", "meetings"),
    ("households", "removed_meeting_id", "meetings"),
    ("household_events", "meeting_id", "meetings"),
)


def _add_links(sqlite: bool) -> None:
    for table, column, referred in LINK_COLUMNS:
        if sqlite:
            op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {referred}(id)")
        else:
            op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(
                op.f(f"fk_{table}_{column}_{referred}"), table, referred, [column], ["id"]
            )
    op.create_index(
        op.f("ix_household_events_meeting_id"), "household_events", ["meeting_id"], unique=False
    )


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "meeting_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_size", sa.Integer(), nullable=True),
        sa.Column("signer_subject", sa.String(length=300), nullable=True),
        sa.Column("signer_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("entry_total", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('confirmed', 'returned')", name=op.f("ck_meeting_reviews_outcome_known")
        ),
        sa.CheckConstraint(
            "outcome <> 'returned' OR length(note) > 0",
            name=op.f("ck_meeting_reviews_returned_has_note"),
        ),
        sa.CheckConstraint(
            "outcome <> 'confirmed' OR (pdf IS NOT NULL AND pdf_sha256 IS NOT NULL)",
            name=op.f("ck_meeting_reviews_confirmed_has_countersigned_pdf"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_reviews_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_meeting_reviews_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_reviews")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_meeting_reviews_meeting_id")),
    )
    op.create_index(
        op.f("ix_meeting_reviews_pdf_sha256"), "meeting_reviews", ["pdf_sha256"], unique=False
    )
    op.create_table(
        "entry_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("marked_by", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('entered', 'rejected')", name=op.f("ck_entry_marks_status_known")
        ),
        sa.CheckConstraint(
            "category IN ('tetap', 'keluar', 'baru', 'perbaikan')",
            name=op.f("ck_entry_marks_category_known"),
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR length(reason) > 0",
            name=op.f("ck_entry_marks_rejected_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_entry_marks_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["marked_by"], ["users.id"], name=op.f("fk_entry_marks_marked_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_entry_marks_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_marks")),
        sa.UniqueConstraint(
            "meeting_id", "household_id", name="uq_entry_marks_meeting_household"
        ),
    )
    op.create_index(
        op.f("ix_entry_marks_meeting_id"), "entry_marks", ["meeting_id"], unique=False
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_notifications_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "ix_notifications_user_read", "notifications", ["user_id", "read_at"], unique=False
    )
    _add_links(sqlite)
    with op.batch_alter_table("kabupaten_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "public_transparency", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("stale_months", sa.SmallInteger(), server_default="3", nullable=False)
        )
        batch_op.add_column(
            sa.Column("cycle_last_day", sa.SmallInteger(), server_default="14", nullable=False)
        )
        batch_op.create_check_constraint(
            "stale_months_range", "stale_months BETWEEN 1 AND 24"
        )
        batch_op.create_check_constraint(
            "cycle_last_day_range", "cycle_last_day BETWEEN 1 AND 31"
        )
    # A review is written once: no update, no delete.
    if sqlite:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER meeting_reviews_no_{event.lower()} BEFORE {event} "
                f"ON meeting_reviews BEGIN SELECT RAISE(ABORT, '{REVIEW_MESSAGE}'); END"
            )
    else:
        op.execute(
            f"""
CREATE FUNCTION portal_refuse_review_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{REVIEW_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END $$"""
        )
        op.execute(
            "CREATE TRIGGER meeting_reviews_written_once BEFORE UPDATE OR DELETE "
            "ON meeting_reviews FOR EACH ROW EXECUTE FUNCTION portal_refuse_review_change()"
        )


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS meeting_reviews_no_update")
        op.execute("DROP TRIGGER IF EXISTS meeting_reviews_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS meeting_reviews_written_once ON meeting_reviews")
        op.execute("DROP FUNCTION IF EXISTS portal_refuse_review_change()")
    with op.batch_alter_table("kabupaten_rules", schema=None) as batch_op:
        batch_op.drop_constraint("cycle_last_day_range", type_="check")
        batch_op.drop_constraint("stale_months_range", type_="check")
        batch_op.drop_column("cycle_last_day")
        batch_op.drop_column("stale_months")
        batch_op.drop_column("public_transparency")
    op.drop_index(op.f("ix_household_events_meeting_id"), table_name="household_events")
    for table, column, referred in LINK_COLUMNS:
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_constraint(op.f(f"fk_{table}_{column}_{referred}"), table, type_="foreignkey")
            op.drop_column(table, column)
    op.drop_index("ix_notifications_user_read", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_entry_marks_meeting_id"), table_name="entry_marks")
    op.drop_table("entry_marks")
    op.drop_index(op.f("ix_meeting_reviews_pdf_sha256"), table_name="meeting_reviews")
    op.drop_table("meeting_reviews")
