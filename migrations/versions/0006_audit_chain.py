"""audit trail hash chain: seq, prev_hash, entry_hash; chained entries written once

Revision ID: 0006_audit_chain
Revises: 0005_after_meeting
Create Date: 2026-11-23 16:40:00

"""

import sqlalchemy as sa
from alembic import op

from portal.audit_chain import GENESIS, digest

revision = "0006_audit_chain"
down_revision = "0005_after_meeting"
branch_labels = None
depends_on = None

MESSAGE = "entri jejak audit tidak dapat diubah atau dihapus"
COLUMNS = (
    "id", "created_at", "user_id", "action", "object_type", "object_id", "region_code",
    "remote_addr", "details",
)  # fmt: skip


def _chain_existing() -> None:
    """Entries written before this migration join the chain in id order."""
    bind = op.get_bind()
    entries = sa.table(
        "audit_entries",
        *(sa.column(name) for name in COLUMNS if name != "details"),
        sa.column("details", sa.JSON),
        sa.column("seq", sa.BigInteger),
        sa.column("prev_hash", sa.String),
        sa.column("entry_hash", sa.String),
    )
    rows = bind.execute(sa.select(entries).order_by(entries.c.id)).mappings().all()
    prev = GENESIS
    for seq, row in enumerate(rows, start=1):
        fields = dict(row, seq=seq, prev_hash=prev)
        entry_hash = digest(fields)
        bind.execute(
            entries.update()
            .where(entries.c.id == row["id"])
            .values(seq=seq, prev_hash=prev, entry_hash=entry_hash)
        )
        prev = entry_hash


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("audit_entries", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_entries", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_entries", sa.Column("entry_hash", sa.String(length=64), nullable=True))
    _chain_existing()
    op.create_index(op.f("ix_audit_entries_seq"), "audit_entries", ["seq"], unique=True)
    # A chained entry is written once: no UPDATE (the link is set once, at commit), no DELETE.
    if sqlite:
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            f"WHEN OLD.entry_hash IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    else:
        op.execute(
            f"""
CREATE FUNCTION portal_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.entry_hash IS NOT NULL THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$"""
        )
        op.execute(
            "CREATE TRIGGER audit_entries_written_once BEFORE UPDATE OR DELETE "
            "ON audit_entries FOR EACH ROW EXECUTE FUNCTION portal_refuse_audit_change()"
        )


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_written_once ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS portal_refuse_audit_change()")
    op.drop_index(op.f("ix_audit_entries_seq"), table_name="audit_entries")
    for column in ("entry_hash", "prev_hash", "seq"):
        if sqlite:
            op.execute(f"ALTER TABLE audit_entries DROP COLUMN {column}")
        else:
            op.drop_column("audit_entries", column)
