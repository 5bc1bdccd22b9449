"""`flask ba verify FILE`: is this PDF a genuine berita acara of this portal?
`flask ba trust-certificates`: which recorded signing certificates verification trusts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from portal.blueprints.berita_acara import canonical


@click.group("ba", help="Berita acara: verifikasi PDF / verify a berita acara PDF.")
def ba_cli() -> None:
    pass


def _mark(ok: bool) -> str:
    return "OK" if ok else "GAGAL"


@ba_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--meeting",
    "meeting_id",
    type=int,
    default=None,
    help="Nomor (id) musyawarah yang seharusnya: berita acara musyawarah lain ditolak.",
)
@with_appcontext
def verify(file: Path, meeting_id: int | None) -> None:
    """Print each signature's state and whether the hash matches the database; exit 1 if the
    file is not a genuine, unmodified berita acara (of --meeting, when given)."""
    from portal.blueprints.berita_acara.services import (
        check_file,
        decided_document,
        of_meeting,
        register_disagreements,
    )

    expected = None
    if meeting_id is not None:
        expected = of_meeting(meeting_id)
        if expected is None or expected.status != "done":
            click.echo(f"Musyawarah {meeting_id} tidak memiliki berita acara yang dikunci.")
            sys.exit(2)
    data = file.read_bytes()
    verdict = check_file(data, expected)
    if expected is not None and not verdict.reasons:
        verdict.other = expected
    click.echo(f"Berkas: {file} ({len(data):,} byte, SHA-256 {canonical.sha256_hex(data)})")
    if not verdict.signatures:
        click.echo("Tanda tangan: tidak ada")
    for number, signature in enumerate(verdict.signatures, 1):
        when = signature.signed_at.isoformat() if signature.signed_at else "?"
        click.echo(
            f"Tanda tangan {number} ({signature.field}): {signature.signer}, {when}\n"
            f"  utuh (intact): {_mark(signature.intact)}; sah (valid): {_mark(signature.valid)}; "
            f"dipercaya (trusted): {_mark(signature.trusted)}; "
            f"mencakup seluruh berkas: {'ya' if signature.covers_whole_file else 'tidak'}"
        )
    click.echo(f"Hash daftar keputusan di PDF: {verdict.embedded_sha256 or '—'}")
    ba = verdict.other
    if ba is not None:
        meeting = ba.meeting
        assert ba.canonical is not None  # `other` is a done berita acara
        click.echo(
            f"Berita acara di basis data: musyawarah {meeting.id} ({meeting.number}, "
            f"{meeting.village.name}, {meeting.meeting_date.isoformat()}), status {meeting.state}"
        )
        stored_ok = canonical.sha256_hex(ba.canonical) == ba.sha256
        click.echo(f"Hash tersimpan dihitung ulang dari daftar tersimpan: {_mark(stored_ok)}")
        stored_format = json.loads(ba.canonical).get("format") if stored_ok else None
        if meeting.state == "locked" and stored_format != canonical.FORMAT:
            # Made by an earlier version of the portal: today's format cannot match its bytes.
            click.echo(
                "Hash dihitung ulang dari data musyawarah: tidak dihitung (format lama "
                f"{stored_format}; yang berlaku {canonical.FORMAT})"
            )
        elif meeting.state == "locked":
            # Until the register moves on (camat's confirmation), the list also recomputes
            # from the meeting's live rows.
            live_ok = decided_document(meeting)[1] == ba.sha256
            click.echo(f"Hash dihitung ulang dari data musyawarah: {_mark(live_ok)}")
            if not live_ok:
                verdict.reasons.append(
                    _(
                        "Data musyawarah di basis data tidak lagi sesuai dengan daftar keputusan "
                        "yang ditandatangani."
                    )
                )
        if stored_ok and meeting.state == "confirmed":
            # Confirmed: the register now holds the decisions; it must agree with the signed list.
            disagreements = register_disagreements(meeting, ba)
            click.echo(
                f"Register sesuai dengan keputusan yang dikonfirmasi: {_mark(not disagreements)}"
            )
            verdict.reasons.extend(disagreements)
        if not stored_ok:
            verdict.reasons.append(
                _("Daftar keputusan tersimpan tidak cocok dengan hash yang tersimpan.")
            )
    # Any failed check is a failed verification, whatever check_file concluded.
    verdict.genuine = verdict.genuine and not verdict.reasons
    for reason in verdict.reasons:
        click.echo(f"Masalah: {reason}")
    click.echo("HASIL: ASLI" if verdict.genuine else "HASIL: TIDAK ASLI")
    sys.exit(0 if verdict.genuine else 1)


@ba_cli.command("generate")
@click.argument("meeting_id", type=int)
@with_appcontext
def generate(meeting_id: int) -> None:
    """Run a requested berita acara job now, in this process (e.g. without a worker)."""
    from portal.blueprints.berita_acara.models import QUEUED
    from portal.blueprints.berita_acara.services import of_meeting
    from portal.blueprints.berita_acara.tasks import generate as run

    ba = of_meeting(meeting_id)
    if ba is None or ba.status != QUEUED:
        click.echo("Tidak ada permintaan berita acara yang menunggu untuk musyawarah ini.")
        sys.exit(1)
    run(ba.id)
    ba = of_meeting(meeting_id)
    assert ba is not None  # the job does not delete it
    click.echo(f"Status: {ba.status}" + (f" ({ba.error})" if ba.error else ""))
    sys.exit(0 if ba.status == "done" else 1)


@ba_cli.command("trust-certificates")
@click.option(
    "--fingerprint",
    "fingerprints",
    multiple=True,
    help="SHA-256 sertifikat lama milik portal ini yang juga dipercaya (boleh diulang).",
)
@with_appcontext
def trust_certificates(fingerprints: tuple[str, ...]) -> None:
    """Seal the configured signing certificate, and those named with --fingerprint, so that
    verification trusts them (after upgrading to the seal, or after a change of SECRET_KEY).
    Lists the recorded certificates that stay untrusted. Seals nothing if a name is wrong."""
    from sqlalchemy import select

    from portal import audit
    from portal.blueprints.berita_acara import signing, trust
    from portal.blueprints.berita_acara.models import SigningCertificate
    from portal.blueprints.berita_acara.services import remember_certificate
    from portal.extensions import db

    problems: list[str] = []
    sealed: list[SigningCertificate] = []
    try:
        identity = signing.load_identity()
    except (OSError, RuntimeError, ValueError) as error:
        click.echo(f"Identitas penandatangan tidak dapat dibaca: {error}", err=True)
        sys.exit(1)
    row = db.session.get(SigningCertificate, identity.fingerprint)
    was_sealed = row is not None and trust.is_sealed(row)
    remember_certificate(identity)
    row = db.session.get(SigningCertificate, identity.fingerprint)
    assert row is not None  # remember_certificate has just recorded it
    if not trust.is_sealed(row):
        problems.append(
            f"Baris {identity.fingerprint} di basis data tidak berisi sertifikat yang "
            "dikonfigurasi: tidak disegel."
        )
    elif not was_sealed:
        sealed.append(row)
    for given in fingerprints:
        fingerprint = given.strip().lower().replace(":", "")
        row = db.session.get(SigningCertificate, fingerprint)
        if row is None:
            problems.append(f"Sertifikat {given} tidak tercatat di basis data.")
        elif trust.fingerprint_of(row.pem) != row.fingerprint:
            problems.append(
                f"Sertifikat {fingerprint} di basis data tidak cocok dengan sidik jarinya: "
                "tidak disegel."
            )
        elif not trust.is_sealed(row):
            trust.seal(row)
            sealed.append(row)
    if problems:
        db.session.rollback()
        for problem in problems:
            click.echo(f"Masalah: {problem}", err=True)
        click.echo("Tidak ada sertifikat yang disegel.", err=True)
        sys.exit(1)
    for row in sealed:
        audit.record(
            "berita_acara.certificate_trusted",
            object_type="signing_certificate",
            object_id=row.fingerprint,
            details={"subject": row.subject},
        )
    now_sealed = {row.fingerprint for row in sealed}
    db.session.commit()
    for row in db.session.execute(
        select(SigningCertificate).order_by(SigningCertificate.created_at)
    ).scalars():
        if row.fingerprint in now_sealed:
            state = "disegel sekarang"
        elif trust.is_sealed(row):
            state = "sudah dipercaya"
        else:
            state = "TIDAK dipercaya (segel dengan --fingerprint bila milik portal ini)"
        configured = (
            " [identitas yang dikonfigurasi]" if row.fingerprint == identity.fingerprint else ""
        )
        click.echo(f"{row.fingerprint} {row.subject}{configured}: {state}")
    click.echo(f"Disegel: {len(sealed)} sertifikat.")
