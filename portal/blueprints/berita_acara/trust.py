"""Which recorded signing certificates the portal trusts: those it sealed itself.

A row of `signing_certificates` is trusted only with a seal, an HMAC-SHA256 of its fingerprint and
certificate made with a key derived from the app's SECRET_KEY. The database can refuse changes
and deletions (migration 0010), but not tell the portal's own INSERT from one typed into a SQL
console; the seal can, since whoever inserts a row without the secret key cannot make one.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from flask import current_app

SEAL_LABEL = b"portal-musyawarah/signing-certificates/1"


class Recorded(Protocol):
    fingerprint: str
    pem: str
    seal: str | None


def _seal_key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    if isinstance(secret, str):
        secret = secret.encode()
    return hmac.new(secret, SEAL_LABEL, hashlib.sha256).digest()


def seal_of(fingerprint: str, pem: str) -> str:
    message = f"{fingerprint}\n{pem}".encode()
    return hmac.new(_seal_key(), message, hashlib.sha256).hexdigest()


def fingerprint_of(pem: str) -> str | None:
    """SHA-256 of the certificate's DER, or None when the text is not one PEM certificate."""
    from asn1crypto import pem as asn1_pem

    try:
        kind, _headers, der = asn1_pem.unarmor(pem.encode())
    except (ValueError, UnicodeError):
        return None
    return hashlib.sha256(der).hexdigest() if kind == "CERTIFICATE" else None


def is_sealed(row: Recorded) -> bool:
    """The row carries the portal's seal, and its fingerprint is that of its certificate."""
    if not row.seal or fingerprint_of(row.pem) != row.fingerprint:
        return False
    return hmac.compare_digest(row.seal, seal_of(row.fingerprint, row.pem))


def seal(row: Recorded) -> None:
    """Seal a row whose certificate the caller knows to be the portal's own."""
    if fingerprint_of(row.pem) != row.fingerprint:
        raise ValueError("the certificate's fingerprint does not match its row")
    row.seal = seal_of(row.fingerprint, row.pem)
