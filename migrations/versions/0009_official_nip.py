"""officials' NIP (issue 15.7): printed with the camat's confirmation of a berita acara

Revision ID: 0009_official_nip
Revises: 0008_decision_rules
Create Date: 2026-12-03 13:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009_official_nip"
down_revision = "0008_decision_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode): the users table has no triggers, but stays as it is.
    op.add_column("users", sa.Column("nip", sa.String(length=18), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "nip")
