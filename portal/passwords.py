"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

_hashers: dict[tuple[int, int], PasswordHasher] = {}
_dummy_hashes: dict[tuple[int, int], str] = {}


def _hasher() -> PasswordHasher:
    """argon2id with the configured cost (the library's defaults unless configured; the test
    suite lowers them, since hashing dominates its run time)."""
    key = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
        # Hash of a random password: verifying against it for unknown users keeps the time of
        # a failed login the same whether or not the account exists.
        _dummy_hashes[key] = _hashers[key].hash(secrets.token_urlsafe(16))
    return _hashers[key]


COMMON = {"password", "password123", "1234567890", "qwertyuiop", "admin12345", "rahasia123"}


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    dummy = _dummy_hashes[(hasher.time_cost, hasher.memory_cost)]
    try:
        return hasher.verify(password_hash or dummy, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def policy_errors(password: str, username: str = "") -> list[str]:
    """Why this password is refused (empty list: accepted)."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    errors = []
    if len(password) < minimum:
        errors.append(_("Kata sandi minimal %(n)d karakter.", n=minimum))
    if password.isdigit() or password.isalpha():
        errors.append(_("Kata sandi harus berisi huruf dan angka atau tanda baca."))
    if username and username.lower() in password.lower():
        errors.append(_("Kata sandi tidak boleh memuat nama pengguna."))
    if password.lower() in COMMON:
        errors.append(_("Kata sandi ini terlalu umum."))
    return errors


def generate_password() -> str:
    """A temporary password that is easy to read aloud or copy (no 0/O, 1/l)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    body = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{body[:4]}-{body[4:8]}-{body[8:]}"
