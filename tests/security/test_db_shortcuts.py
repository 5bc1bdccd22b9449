"""The database refuses the last two shortcuts (issue 16.9), on SQLite and PostgreSQL: a meeting
set `confirmed` without the camat's review, and a signing certificate inserted by hand that would
then be trusted (the table is append-only; a row counts only with the portal's seal)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError, IntegrityError

from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.berita_acara import signing, trust
from portal.blueprints.berita_acara.models import BeritaAcara, SigningCertificate
from portal.blueprints.berita_acara.rendering.pipeline import render_ba_pdf
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.review import services as review
from portal.blueprints.review.models import MeetingReview
from portal.extensions import db
from tests.meetings.conftest import register, sekretaris  # noqa: F401  (fixtures)
from tests.review.conftest import confirmed, locked, users  # noqa: F401  (fixtures)


def refused(sql: str, error: type[Exception] = IntegrityError, **params: object) -> None:
    with pytest.raises(error):
        db.session.execute(text(sql), params)
        db.session.flush()
    db.session.rollback()


def state_of(meeting_id: int) -> str:
    return db.session.execute(
        text("SELECT state FROM meetings WHERE id = :m"), {"m": meeting_id}
    ).scalar_one()


# --- a meeting is confirmed only with the camat's review ------------------------------------


def test_raw_sql_cannot_confirm_a_meeting_without_a_review(locked):
    meeting, _ba = locked
    refused("UPDATE meetings SET state = 'confirmed' WHERE id = :m", m=meeting.id)
    assert state_of(meeting.id) == "locked"
    assert db.session.execute(select(MeetingReview)).first() is None
    # Nor through the ORM, the state set by hand.
    meeting = db.session.get(Meeting, meeting.id)
    meeting.state = "confirmed"
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert state_of(meeting.id) == "locked"


def test_a_review_that_returns_the_meeting_does_not_confirm_it(locked):
    meeting, _ba = locked
    db.session.execute(
        text(
            "INSERT INTO meeting_reviews (meeting_id, outcome, note, created_at) "
            "VALUES (:m, 'returned', 'Daftar hadir tidak lengkap.', CURRENT_TIMESTAMP)"
        ),
        {"m": meeting.id},
    )
    db.session.commit()
    refused("UPDATE meetings SET state = 'confirmed' WHERE id = :m", m=meeting.id)
    assert state_of(meeting.id) == "locked"
    # The move it does stand for is allowed (0004's sealing triggers permit locked → returned).
    db.session.execute(
        text("UPDATE meetings SET state = 'returned' WHERE id = :m"), {"m": meeting.id}
    )
    db.session.commit()
    assert state_of(meeting.id) == "returned"


def test_a_meeting_cannot_be_inserted_confirmed(locked):
    meeting, _ba = locked
    columns = [
        column["name"]
        for column in sa.inspect(db.engine).get_columns("meetings")
        if column["name"] != "id"
    ]
    values = {"state": ":state", "number": "'999/SALINAN'"}
    copy = (
        f"INSERT INTO meetings ({', '.join(columns)}) "
        f"SELECT {', '.join(values.get(c, c) for c in columns)} FROM meetings WHERE id = :m"
    )
    refused(copy, state="confirmed", m=meeting.id)
    assert db.session.execute(select(sa.func.count(Meeting.id))).scalar_one() == 1
    # The same row as a draft goes in: the refusal is the confirmation's.
    db.session.execute(text(copy), {"state": "draft", "m": meeting.id})
    db.session.commit()
    assert db.session.execute(select(sa.func.count(Meeting.id))).scalar_one() == 2


def test_the_camats_confirmation_still_confirms(locked, users):
    meeting, _ba = locked
    result = review.confirm(meeting, user=users["camat"])
    db.session.commit()
    db.session.expire_all()
    assert state_of(meeting.id) == "confirmed"
    stored = db.session.get(MeetingReview, result.id)
    assert (stored.meeting_id, stored.outcome) == (meeting.id, "confirmed")


# --- signing certificates: append-only, trusted only when sealed ----------------------------


def configured() -> signing.Identity:
    return signing.load_identity()


def other_identity(app, folder: Path, monkeypatch) -> signing.Identity:
    """A key and self-signed certificate made like the portal's, in another instance folder:
    what someone with SQL access but without the portal's key could make."""
    with monkeypatch.context() as patch:
        patch.setattr(app, "instance_path", str(folder))
        made = signing.load_identity()
    assert made.fingerprint != configured().fingerprint
    return made


def insert_raw(identity: signing.Identity, seal: str | None = None) -> None:
    db.session.execute(
        text(
            "INSERT INTO signing_certificates (fingerprint, subject, pem, created_at, seal) "
            "VALUES (:f, :s, :p, CURRENT_TIMESTAMP, :seal)"
        ),
        {"f": identity.fingerprint, "s": identity.subject, "p": identity.certificate_pem,
         "seal": seal},
    )  # fmt: skip
    db.session.commit()


def trusted_fingerprints() -> set[str]:
    return {hashlib.sha256(c.dump()).hexdigest() for c in signing.trusted_certificates()}


def test_the_certificate_table_is_append_only(locked):
    _meeting, ba = locked
    row = db.session.get(SigningCertificate, ba.signer_fingerprint)
    assert row is not None and trust.is_sealed(row)  # the lock recorded and sealed it
    other = "f" * 64
    for sql in (
        "UPDATE signing_certificates SET pem = 'x' WHERE fingerprint = :f",
        "UPDATE signing_certificates SET subject = 'Penyusup' WHERE fingerprint = :f",
        f"UPDATE signing_certificates SET fingerprint = '{other}' WHERE fingerprint = :f",
        "UPDATE signing_certificates SET created_at = CURRENT_TIMESTAMP WHERE fingerprint = :f",
        "UPDATE signing_certificates SET seal = NULL WHERE fingerprint = :f",
        "DELETE FROM signing_certificates WHERE fingerprint = :f",
    ):
        refused(sql, f=ba.signer_fingerprint)
    db.session.expire_all()
    row = db.session.get(SigningCertificate, ba.signer_fingerprint)
    assert trust.is_sealed(row) and row.subject == ba.signer_subject
    assert ba_services.check_file(ba.pdf, db.session.get(BeritaAcara, ba.id)).genuine


@pytest.mark.parametrize("fingerprint", ["A" * 64, "a" * 63, "a" * 65, "g" * 64, " " + "a" * 63])
def test_a_malformed_fingerprint_is_refused(app, fingerprint):
    refused(
        "INSERT INTO signing_certificates (fingerprint, subject, pem, created_at) "
        "VALUES (:f, 'x', 'x', CURRENT_TIMESTAMP)",
        DatabaseError,  # 65 characters: PostgreSQL's VARCHAR(64) refuses first (DataError)
        f=fingerprint,
    )
    db.session.execute(
        text(
            "INSERT INTO signing_certificates (fingerprint, subject, pem, created_at) "
            "VALUES (:f, 'x', 'x', CURRENT_TIMESTAMP)"
        ),
        {"f": "0123456789abcdef" * 4},
    )
    db.session.commit()  # well-formed: accepted (and, unsealed, trusted by nobody)
    assert "0123456789abcdef" * 4 not in trusted_fingerprints()


def forged_berita_acara(ba: BeritaAcara, identity: signing.Identity) -> bytes:
    """The meeting's berita acara rendered again and signed with another key: the decided list
    inside is the genuine one, only the signer is not the portal."""
    result = render_ba_pdf(
        ba.canonical, sha256=ba.sha256, verify_url=ba_services.verify_url(ba.verify_code)
    )
    return signing.sign_pdf(
        result.pdf, identity, field_name="PortalMusyawarah", reason="Berita acara", location="X"
    )


def test_a_certificate_inserted_by_hand_is_not_trusted(app, locked, tmp_path, monkeypatch):
    _meeting, ba = locked
    forger = other_identity(app, tmp_path, monkeypatch)
    forged = forged_berita_acara(ba, forger)

    insert_raw(forger)  # the shortcut: a row in signing_certificates
    assert forger.fingerprint not in trusted_fingerprints()
    verdict = ba_services.check_file(forged, ba)
    assert not verdict.genuine
    assert "Tanda tangan digital bukan dari Portal Musyawarah." in verdict.reasons
    assert [s.trusted for s in verdict.signatures] == [False]
    path = tmp_path / "palsu.pdf"
    path.write_bytes(forged)
    result = app.test_cli_runner().invoke(args=["ba", "verify", str(path)])
    assert result.exit_code == 1
    assert "dipercaya (trusted): GAGAL" in result.output and "HASIL: TIDAK ASLI" in result.output

    # A seal made without the portal's secret key does not help either.
    wrong_key = hmac.new(b"bukan-kunci-portal", trust.SEAL_LABEL, hashlib.sha256).digest()
    guessed = hmac.new(
        wrong_key, f"{forger.fingerprint}\n{forger.certificate_pem}".encode(), hashlib.sha256
    ).hexdigest()
    db.session.execute(
        text("UPDATE signing_certificates SET seal = :s WHERE fingerprint = :f"),
        {"s": guessed, "f": forger.fingerprint},
    )
    db.session.commit()
    assert not ba_services.check_file(forged, ba).genuine

    # Control: the same file verifies once the portal itself seals that certificate, so the
    # refusal above was the seal's doing and nothing else's.
    trust.seal(db.session.get(SigningCertificate, forger.fingerprint))
    db.session.commit()
    assert ba_services.check_file(forged, ba).genuine


def test_a_row_claiming_the_portals_fingerprint_with_another_certificate(
    app, tmp_path, monkeypatch
):
    """A forged row under the configured fingerprint: never sealed, never trusted; the configured
    certificate itself stays trusted (from the configuration, not from the row)."""
    own, forger = configured(), other_identity(app, tmp_path, monkeypatch)
    db.session.execute(
        text(
            "INSERT INTO signing_certificates (fingerprint, subject, pem, created_at) "
            "VALUES (:f, :s, :p, CURRENT_TIMESTAMP)"
        ),
        {"f": own.fingerprint, "s": own.subject, "p": forger.certificate_pem},
    )
    db.session.commit()
    ba_services.remember_certificate(own)  # as the next lock would
    db.session.commit()
    row = db.session.get(SigningCertificate, own.fingerprint)
    assert row.seal is None and not trust.is_sealed(row)
    assert trusted_fingerprints() == {own.fingerprint}
    result = app.test_cli_runner().invoke(args=["ba", "trust-certificates"])
    assert result.exit_code == 1
    assert "tidak berisi sertifikat yang dikonfigurasi" in result.output


def test_the_configured_certificate_is_trusted_without_any_row(app):
    assert db.session.execute(select(SigningCertificate)).first() is None
    assert trusted_fingerprints() == {configured().fingerprint}


def test_trust_certificates_seals_the_configured_one_and_those_named(app, tmp_path, monkeypatch):
    own = configured()
    old = other_identity(app, tmp_path / "lama", monkeypatch)  # a key the portal used before
    unknown = other_identity(app, tmp_path / "asing", monkeypatch)
    # As rows stand after the upgrade to 0010: recorded before the seal existed.
    for identity in (own, old, unknown):
        insert_raw(identity)
    assert trusted_fingerprints() == {own.fingerprint}  # the configured one, by configuration
    runner = app.test_cli_runner()

    result = runner.invoke(args=["ba", "trust-certificates"])
    assert result.exit_code == 0, result.output
    assert f"{own.fingerprint} {own.subject} [identitas yang dikonfigurasi]: disegel sekarang" in (
        result.output
    )
    assert f"{old.fingerprint} {old.subject}: TIDAK dipercaya" in result.output
    assert "Disegel: 1 sertifikat." in result.output
    db.session.expire_all()
    assert trust.is_sealed(db.session.get(SigningCertificate, own.fingerprint))
    assert not trust.is_sealed(db.session.get(SigningCertificate, old.fingerprint))

    # A wrong name seals nothing, not even the right one given with it.
    result = runner.invoke(
        args=["ba", "trust-certificates", "--fingerprint", old.fingerprint,
              "--fingerprint", "ab" * 32],
    )  # fmt: skip
    assert result.exit_code == 1
    assert f"Sertifikat {'ab' * 32} tidak tercatat" in result.output
    assert "Tidak ada sertifikat yang disegel." in result.output
    db.session.expire_all()
    assert not trust.is_sealed(db.session.get(SigningCertificate, old.fingerprint))

    # The operator names the old certificate (as printed, in capitals with colons, is fine).
    spelled = ":".join(old.fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    result = runner.invoke(args=["ba", "trust-certificates", "--fingerprint", spelled])
    assert result.exit_code == 0, result.output
    assert f"{old.fingerprint} {old.subject}: disegel sekarang" in result.output
    assert f"{own.fingerprint} {own.subject} [identitas yang dikonfigurasi]: sudah dipercaya" in (
        result.output
    )
    assert f"{unknown.fingerprint} {unknown.subject}: TIDAK dipercaya" in result.output
    assert trusted_fingerprints() == {own.fingerprint, old.fingerprint}
    actions = db.session.execute(
        text(
            "SELECT object_id FROM audit_entries "
            "WHERE action = 'berita_acara.certificate_trusted' ORDER BY id"
        )
    ).scalars()
    assert list(actions) == [own.fingerprint, old.fingerprint]


def test_a_new_secret_key_untrusts_old_seals_until_named_again(app, locked, monkeypatch):
    """The README's warning: seals are made with SECRET_KEY. After a change, the configured
    certificate is still trusted (and sealed again by the next signature or the command);
    certificates of earlier keys need `flask ba trust-certificates --fingerprint`."""
    _meeting, ba = locked
    old = db.session.get(SigningCertificate, ba.signer_fingerprint)
    assert trust.is_sealed(old)
    monkeypatch.setitem(app.config, "SECRET_KEY", "kunci-rahasia-baru")
    db.session.expire_all()
    assert not trust.is_sealed(db.session.get(SigningCertificate, ba.signer_fingerprint))
    # Still the configured identity here, so still trusted by configuration.
    assert ba_services.check_file(ba.pdf, db.session.get(BeritaAcara, ba.id)).genuine
    result = app.test_cli_runner().invoke(args=["ba", "trust-certificates"])
    assert result.exit_code == 0, result.output
    assert "disegel sekarang" in result.output
    db.session.expire_all()
    assert trust.is_sealed(db.session.get(SigningCertificate, ba.signer_fingerprint))
