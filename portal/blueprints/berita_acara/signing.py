"""The portal's signing identity, PAdES signatures (pyHanko) and their validation.

Identity: a PKCS#12 file the operator configures (`BA_SIGNING_PKCS12` + `BA_SIGNING_PASSWORD`,
e.g. one issued by a government CA), or else an EC P-256 key and a self-signed certificate that
the portal creates at first start in `instance/signing/`. Several app servers or workers must
share one identity: give them the same PKCS#12 file (or copy `instance/signing/`). Every
certificate used is also recorded in the database, sealed with a key derived from SECRET_KEY
(`trust.py`), and validation trusts the sealed ones, so a PDF signed by any of the portal's keys
still verifies after a key change, and a row inserted by hand is not trusted.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import current_app

from portal import inflation

T = TypeVar("T")
KEY_FILE = "signing-key.pem"
CERT_FILE = "signing-cert.pem"
#: The fragment of the link that marks the camat's box on the berita acara ("Mengetahui, Camat"):
#: the confirmation's visible signature goes exactly there.
CAMAT_SLOT = "konfirmasi-camat"


@dataclass(frozen=True)
class Stamp:
    """A visible signature: its lines of text, drawn in a box of a page (PDF points, origin at
    the bottom left)."""

    lines: tuple[str, ...]
    page: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Identity:
    signer: Any  # pyhanko SimpleSigner
    certificate_pem: str
    fingerprint: str
    subject: str


def _signing_dir(instance_path: str) -> Path:
    return Path(instance_path) / "signing"


def ensure_key(instance_path: str, common_name: str = "Portal Musyawarah") -> Path:
    """Create the EC P-256 key and self-signed certificate once; safe when several processes
    start at the same moment (the files are written aside and linked into place)."""
    folder = _signing_dir(instance_path)
    if (folder / CERT_FILE).exists() and (folder / KEY_FILE).exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Portal Musyawarah"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: pyHanko requires it
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    suffix = f".{os.getpid()}.tmp"
    for filename, content in ((KEY_FILE, key_pem), (CERT_FILE, cert_pem)):
        temporary = folder / (filename + suffix)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
    try:
        # The key first: whoever links it first wins, and its certificate goes with it.
        os.link(folder / (KEY_FILE + suffix), folder / KEY_FILE)
        os.replace(folder / (CERT_FILE + suffix), folder / CERT_FILE)
    except FileExistsError:
        pass
    finally:
        for filename in (KEY_FILE, CERT_FILE):
            (folder / (filename + suffix)).unlink(missing_ok=True)
    return folder


def load_identity() -> Identity:
    from pyhanko.sign import signers

    config = current_app.config
    pkcs12 = config.get("BA_SIGNING_PKCS12")
    if pkcs12:
        password = config.get("BA_SIGNING_PASSWORD") or ""
        signer = signers.SimpleSigner.load_pkcs12(
            pkcs12, passphrase=password.encode() if password else None
        )
        if signer is None:
            raise RuntimeError("BA_SIGNING_PKCS12 could not be read (file or password)")
    else:
        folder = ensure_key(current_app.instance_path)
        signer = signers.SimpleSigner.load(str(folder / KEY_FILE), str(folder / CERT_FILE))
        if signer is None:
            raise RuntimeError("the signing key in instance/signing could not be read")
    cert: asn1_x509.Certificate = signer.signing_cert
    der = cert.dump()
    pem = (
        "-----BEGIN CERTIFICATE-----\n"
        + "\n".join(_chunks(__import__("base64").b64encode(der).decode(), 64))
        + "\n-----END CERTIFICATE-----\n"
    )
    return Identity(
        signer=signer,
        certificate_pem=pem,
        fingerprint=hashlib.sha256(der).hexdigest(),
        subject=signer_name(cert),
    )


def signer_name(cert: asn1_x509.Certificate) -> str:
    """ "Portal Musyawarah (Portal Musyawarah, ID)": the common name first, as people read it."""
    names = cert.subject.native
    common = names.get("common_name") or cert.subject.human_friendly
    rest = [names.get(k) for k in ("organization_name", "country_name") if names.get(k)]
    rest = [str(value) for value in rest if value != common]
    return f"{common} ({', '.join(rest)})" if rest else str(common)


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _outside_event_loop(function: Callable[..., T], *args: Any) -> T:
    """pyHanko runs `asyncio.run` inside; in a thread that already runs an event loop (an
    async server, a test harness) that fails, so such callers get a fresh thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def sign_pdf(
    pdf: bytes,
    identity: Identity,
    *,
    field_name: str,
    reason: str,
    location: str,
    stamp: Stamp | None = None,
) -> bytes:
    """A PAdES (B-B) signature over the whole file, as an incremental update; with `stamp`, a
    visible one (the signature field's appearance shows the stamp's text)."""
    return _outside_event_loop(_sign_pdf, pdf, identity, field_name, reason, location, stamp)


def _sign_pdf(
    pdf: bytes,
    identity: Identity,
    field_name: str,
    reason: str,
    location: str,
    stamp: Stamp | None,
):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    if stamp is None:
        output = signers.sign_pdf(writer, metadata, signer=identity.signer)
        return output.getvalue()
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=identity.signer,
        stamp_style=_stamp_style(),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=field_name,
            on_page=stamp.page,
            # pyhanko annotates the box as ints; it writes each corner as a PDF real (points).
            box=stamp.box,  # type: ignore[arg-type]
        ),
    )
    # The text goes in as a parameter, not as the template: a "%" in a name stays a "%".
    output = pdf_signer.sign_pdf(writer, appearance_text_params={"text": "\n".join(stamp.lines)})
    return output.getvalue()


def _stamp_style() -> Any:
    from pyhanko.pdf_utils import content, layout
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    return TextStampStyle(
        stamp_text="%(text)s",
        text_box_style=TextBoxStyle(font_size=9, leading=11),
        border_width=1,
        # White, opaque: the stamp covers the empty name and NIP lines printed beneath it.
        background=content.RawContent(
            b"1 g 0 0 10 10 re f", box=layout.BoxConstraints(width=10, height=10)
        ),
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),
            inner_content_scaling=layout.InnerScaling.STRETCH_FILL,
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(3),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )


def camat_slot(pdf: bytes) -> tuple[int, tuple[float, float, float, float]] | None:
    """Where the berita acara keeps the camat's box: the page (0-based) and rectangle of the link
    whose address ends in `#konfirmasi-camat`. None for a PDF without one (made before the box
    was marked)."""
    import pikepdf

    suffix = "#" + CAMAT_SLOT
    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            for number, page in enumerate(document.pages):
                for annotation in page.obj.get("/Annots") or []:
                    action = annotation.get("/A")
                    uri = action.get("/URI") if action is not None else None
                    if uri is not None and str(uri).endswith(suffix):
                        x1, y1, x2, y2 = (float(v) for v in annotation.Rect)
                        return number, (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    except Exception:  # an unreadable file has no box; the caller signs without a stamp
        return None
    return None


@dataclass
class SignatureReport:
    field: str
    signer: str
    signed_at: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    fingerprint: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted


@dataclass
class PdfCheck:
    readable: bool
    signatures: list[SignatureReport]
    # Bytes after the last signature's revision that no signature covers.
    unsigned_tail: bool = False


def trusted_certificates() -> list[asn1_x509.Certificate]:
    """The portal's own certificates: those of the database that carry the portal's seal, plus
    the configured identity's (trusted whatever the database holds)."""
    from sqlalchemy import select

    from portal.blueprints.berita_acara import trust
    from portal.blueprints.berita_acara.models import SigningCertificate
    from portal.extensions import db

    trusted: dict[str, asn1_x509.Certificate] = {}
    for row in db.session.execute(select(SigningCertificate)).scalars():
        if trust.is_sealed(row):
            trusted[row.fingerprint] = _load_pem(row.pem)
    configured = configured_certificate()
    if configured is not None:
        trusted.setdefault(hashlib.sha256(configured.dump()).hexdigest(), configured)
    return list(trusted.values())


def configured_certificate() -> asn1_x509.Certificate | None:
    """The configured identity's certificate; None when it cannot be read (verification then
    trusts the sealed certificates only, and signing reports the problem)."""
    try:
        return load_identity().signer.signing_cert
    except (OSError, RuntimeError, ValueError) as error:
        current_app.logger.warning("signing identity not readable: %s", error)
        return None


def _load_pem(pem: str) -> asn1_x509.Certificate:
    from asn1crypto import pem as asn1_pem

    _, _, der = asn1_pem.unarmor(pem.encode())
    return asn1_x509.Certificate.load(der)


def check_pdf(data: bytes, trust_roots: list[asn1_x509.Certificate]) -> PdfCheck:
    """Every signature of a PDF: intact (bytes unchanged), valid (cryptographically, with an
    acceptable certificate), trusted (one of the portal's certificates). Never raises on junk."""
    return _outside_event_loop(_check_pdf, data, trust_roots)


def _check_pdf(data: bytes, trust_roots: list[asn1_x509.Certificate]) -> PdfCheck:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(
            io.BytesIO(data), strict=False, decode_limits=inflation.pdf_decode_limits()
        )
        embedded = list(reader.embedded_signatures)
    except Exception:  # anything unreadable is "not a PDF we can check"
        return PdfCheck(readable=False, signatures=[])
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    reports = []
    for signature in embedded:
        try:
            status = validate_pdf_signature(signature, context)
            cert = signature.signer_cert
            assert status.coverage is not None  # validate_pdf_signature always establishes it
            reports.append(
                SignatureReport(
                    field=signature.field_name,
                    signer=signer_name(cert),
                    signed_at=signature.self_reported_timestamp,
                    intact=bool(status.intact),
                    valid=bool(status.valid),
                    trusted=bool(status.trusted),
                    covers_whole_file=status.coverage.name == "ENTIRE_FILE",
                    fingerprint=hashlib.sha256(cert.dump()).hexdigest(),
                )
            )
        except Exception as error:  # a broken signature is a finding, not a 500
            reports.append(
                SignatureReport(
                    field=getattr(signature, "field_name", "?"),
                    signer="?",
                    signed_at=None,
                    intact=False,
                    valid=False,
                    trusted=False,
                    covers_whole_file=False,
                    fingerprint="",
                    problem=type(error).__name__,
                )
            )
    unsigned_tail = bool(reports) and not reports[-1].covers_whole_file
    return PdfCheck(readable=True, signatures=reports, unsigned_tail=unsigned_tail)
