"""the database refuses the last two shortcuts (issue 16.9): a meeting confirmed without the
camat's review, a signing certificate changed, removed or inserted with a malformed fingerprint

Revision ID: 0010_db_shortcuts
Revises: 0009_official_nip
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_db_shortcuts"
down_revision = "0009_official_nip"
branch_labels = None
depends_on = None

# Triggers only, and a plain ADD COLUMN: no batch_alter_table, which would recreate `meetings`
# on SQLite and lose the sealing triggers of 0004/0007.
CONFIRM_MESSAGE = "musyawarah hanya dikonfirmasi dengan konfirmasi camat yang tercatat"
CERTIFICATE_MESSAGE = "sertifikat penandatangan sudah tercatat: tidak dapat diubah atau dihapus"
FINGERPRINT_MESSAGE = "sidik jari sertifikat harus 64 karakter heksadesimal huruf kecil"
# The camat's review that confirms the meeting, written (review.services.confirm) before the
# meeting moves to `confirmed`.
REVIEWED = (
    "EXISTS (SELECT 1 FROM meeting_reviews r "
    "WHERE r.meeting_id = NEW.id AND r.outcome = 'confirmed')"
)
# A certificate row is written once. The one change allowed is its seal (an HMAC made with the
# app's secret key, see berita_acara/trust.py): `flask ba trust-certificates` seals rows recorded
# before the seal existed or under an earlier secret key. A seal written by anyone without the key
# does not verify, so this opening trusts nothing.
CERTIFICATE_COLUMNS = ("fingerprint", "subject", "pem", "created_at")


def upgrade() -> None:
    op.add_column("signing_certificates", sa.Column("seal", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgresql_upgrade()


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE TRIGGER meetings_confirmed_reviewed_insert BEFORE INSERT ON meetings "
        f"WHEN NEW.state = 'confirmed' AND NOT {REVIEWED} "
        f"BEGIN SELECT RAISE(ABORT, '{CONFIRM_MESSAGE}'); END"
    )
    op.execute(
        "CREATE TRIGGER meetings_confirmed_reviewed_update BEFORE UPDATE ON meetings "
        f"WHEN NEW.state = 'confirmed' AND OLD.state IS NOT 'confirmed' AND NOT {REVIEWED} "
        f"BEGIN SELECT RAISE(ABORT, '{CONFIRM_MESSAGE}'); END"
    )
    op.execute(
        "CREATE TRIGGER signing_certificates_fingerprint BEFORE INSERT ON signing_certificates "
        "WHEN typeof(NEW.fingerprint) <> 'text' OR length(NEW.fingerprint) <> 64 "
        "OR NEW.fingerprint GLOB '*[^0-9a-f]*' "
        f"BEGIN SELECT RAISE(ABORT, '{FINGERPRINT_MESSAGE}'); END"
    )
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CERTIFICATE_COLUMNS)
    op.execute(
        "CREATE TRIGGER signing_certificates_no_update BEFORE UPDATE ON signing_certificates "
        f"WHEN {changed} OR NEW.seal IS NULL "
        f"BEGIN SELECT RAISE(ABORT, '{CERTIFICATE_MESSAGE}'); END"
    )
    op.execute(
        "CREATE TRIGGER signing_certificates_no_delete BEFORE DELETE ON signing_certificates "
        f"BEGIN SELECT RAISE(ABORT, '{CERTIFICATE_MESSAGE}'); END"
    )


def _postgresql_upgrade() -> None:
    op.execute(
        f"""
CREATE FUNCTION portal_refuse_unreviewed_confirmation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = 'confirmed' AND NOT {REVIEWED} THEN
    IF TG_OP = 'INSERT' THEN
      RAISE EXCEPTION '{CONFIRM_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    ELSIF OLD.state IS DISTINCT FROM 'confirmed' THEN
      RAISE EXCEPTION '{CONFIRM_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;
"""
    )
    op.execute(
        "CREATE TRIGGER meetings_confirmed_reviewed BEFORE INSERT OR UPDATE ON meetings "
        "FOR EACH ROW EXECUTE FUNCTION portal_refuse_unreviewed_confirmation()"
    )
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CERTIFICATE_COLUMNS)
    op.execute(
        f"""
CREATE FUNCTION portal_guard_signing_certificates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.fingerprint !~ '^[0-9a-f]{{64}}$' THEN
      RAISE EXCEPTION '{FINGERPRINT_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' OR {changed} OR NEW.seal IS NULL THEN
    RAISE EXCEPTION '{CERTIFICATE_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
"""
    )
    op.execute(
        "CREATE TRIGGER signing_certificates_guarded BEFORE INSERT OR UPDATE OR DELETE "
        "ON signing_certificates FOR EACH ROW EXECUTE FUNCTION portal_guard_signing_certificates()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "meetings_confirmed_reviewed_insert",
            "meetings_confirmed_reviewed_update",
            "signing_certificates_fingerprint",
            "signing_certificates_no_update",
            "signing_certificates_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS meetings_confirmed_reviewed ON meetings")
        op.execute("DROP FUNCTION IF EXISTS portal_refuse_unreviewed_confirmation()")
        op.execute("DROP TRIGGER IF EXISTS signing_certificates_guarded ON signing_certificates")
        op.execute("DROP FUNCTION IF EXISTS portal_guard_signing_certificates()")
    # SQLite drops a column in place (ALTER TABLE DROP COLUMN, 3.35+); the table has no other
    # triggers to lose.
    op.drop_column("signing_certificates", "seal")
