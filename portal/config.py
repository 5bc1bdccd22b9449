"""Configuration: defaults in code, then `instance/config.py`, then `PORTAL_*` environment.

The environment wins so that a deployment can be configured without touching files. Names in
the environment are the config keys with the `PORTAL_` prefix (`PORTAL_SECRET_KEY`), plus the
friendly aliases in `ENV_ALIASES` (`PORTAL_DATABASE_URL` for `SQLALCHEMY_DATABASE_URI`).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app


class ConfigError(RuntimeError):
    """The configuration cannot run; the message says what to set."""


DEFAULTS: dict[str, Any] = {
    "ENV_NAME": "development",  # "production" turns on the strict checks below
    "SECRET_KEY": None,
    "SQLALCHEMY_DATABASE_URI": None,  # default: SQLite file in instance/
    # hide_parameters: a failed statement's values (NIKs, names) never reach the logs.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "REDIS_URL": None,
    "REGISTER_NAME": "DTSEN",  # the register's name, shown in the UI (DTKS in older regions)
    "BABEL_DEFAULT_LOCALE": "id",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
    "LANGUAGES": {"id": "Bahasa Indonesia", "en": "English"},
    "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 2 * 3600,  # idle limit (seconds): renewed by each request
    "SESSION_REFRESH_SECONDS": 60,  # an unchanged session cookie is re-signed at most this often
    "SESSION_MAX_HOURS": 12,  # a login lasts at most this long, however active
    "HTTPS": False,  # behind HTTPS: Secure cookies
    "PROXY_FIX": 0,  # number of trusted proxies setting X-Forwarded-* (0: none)
    # Failed logins (portal/blueprints/auth/throttle.py): hard limits per account from one
    # address and per address (Flask-Limiter syntax); an account attacked from everywhere is
    # slowed down after LOGIN_SLOWDOWN_AFTER failures, except on devices that logged into it.
    "LOGIN_LIMIT_ACCOUNT_ADDRESS": "5 per 15 minutes",
    "LOGIN_LIMIT_ADDRESS": "30 per 15 minutes",
    "LOGIN_SLOWDOWN_AFTER": 10,
    "LOGIN_SLOWDOWN_MAX_SECONDS": 60,
    "LOGIN_DEVICE_DAYS": 180,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": False,
    "PASSWORD_MIN_LENGTH": 10,
    "HUEY_IMMEDIATE": False,  # tests: run background jobs at once, in the caller
    "HUEY_SQLITE_PATH": None,  # default: instance/huey.sqlite
    # The portal's public address (e.g. https://musyawarah.example.go.id): the berita acara's
    # QR code and printed verification address, e-mail links. Never taken from the request's
    # Host header (anyone can forge it). Production must set it; development and testing use
    # DEVELOPMENT_BASE_URL.
    "PUBLIC_BASE_URL": None,
    "BA_SIGNING_PKCS12": None,  # path of a PKCS#12 file; default: key made in instance/signing/
    "BA_SIGNING_PASSWORD": None,
    "IMPORT_JOB_TIMEOUT": 900,  # seconds after which an unfinished import check/save is dead
    "BA_JOB_TIMEOUT": 900,  # seconds after which an unfinished generation may be asked again
    "BA_SCAN_MAX_BYTES": 10 * 1024 * 1024,
    "BA_RENDER_WORKERS": None,  # parallel PDF render processes; default: one per core
    "VERIFY_UPLOAD_LIMIT": "20 per hour",  # public PDF checks per address
    # Notification emails: sent only when MAIL_SERVER is set.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "portal-musyawarah@localhost",
    "ARGON2_TIME_COST": 3,  # argon2-cffi's defaults (RFC 9106 low-memory profile)
    "ARGON2_MEMORY_COST": 65536,  # KiB
}

#: PUBLIC_BASE_URL outside production when none is set: `flask run`'s own address.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"

# Friendly environment names for keys whose Flask name is long.
ENV_ALIASES = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "ENV": "ENV_NAME",
    # Before 2026-12 the per-account limit counted every address; it now counts one address.
    "LOGIN_LIMIT_ACCOUNT": "LOGIN_LIMIT_ACCOUNT_ADDRESS",
}


def _parse_env_value(raw: str) -> Any:
    """`PORTAL_HTTPS=true` is a bool, `PORTAL_PROXY_FIX=1` an int; anything else stays text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def env_overrides(environ: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith("PORTAL_"):
            continue
        key = name.removeprefix("PORTAL_")
        values[ENV_ALIASES.get(key, key)] = _parse_env_value(raw)
    return values


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(env_overrides(os.environ))
    if overrides:
        app.config.update(overrides)
    _derive(app)


def _derive(app: Flask) -> None:
    cfg = app.config
    instance = Path(app.instance_path)
    production = cfg["ENV_NAME"] == "production"
    if not cfg.get("SECRET_KEY"):
        if production:
            raise ConfigError(
                "PORTAL_SECRET_KEY belum diatur. Mode produksi menolak berjalan tanpa kunci "
                "rahasia: atur PORTAL_SECRET_KEY (misalnya hasil "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`) atau SECRET_KEY "
                "di instance/config.py. (Production mode refuses to start without a secret key.)"
            )
        cfg["SECRET_KEY"] = _development_secret(instance)
    cfg["PUBLIC_BASE_URL"] = _public_base_url(cfg.get("PUBLIC_BASE_URL"), production)
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        cfg["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'portal.sqlite'}"
    if str(cfg["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # A file needs no liveness check: pre-ping would cost a statement on every request.
        options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.pop("pool_pre_ping", None)
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if cfg.get("REDIS_URL") and cfg["RATELIMIT_STORAGE_URI"] == "memory://":
        cfg["RATELIMIT_STORAGE_URI"] = cfg["REDIS_URL"]
    if cfg.get("HTTPS"):
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg["REMEMBER_COOKIE_SECURE"] = True
        cfg["PREFERRED_URL_SCHEME"] = "https"


def _public_base_url(value: Any, production: bool) -> str:
    """The configured public address, checked: scheme and host only (a path is kept for a
    portal served under a prefix), no trailing slash."""
    if not value:
        if production:
            raise ConfigError(
                "PORTAL_PUBLIC_BASE_URL belum diatur. Mode produksi menolak berjalan tanpa alamat "
                "publik portal (misalnya https://musyawarah.example.go.id): alamat itu dicetak "
                "di QR code berita acara dan dipakai di tautan e-mail, dan tidak boleh diambil "
                "dari header Host permintaan. Atur PORTAL_PUBLIC_BASE_URL atau PUBLIC_BASE_URL "
                "di instance/config.py. (Production mode refuses to start without "
                "PUBLIC_BASE_URL, the portal's public address.)"
            )
        return DEVELOPMENT_BASE_URL
    parts = urlsplit(str(value).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"PUBLIC_BASE_URL {value!r} bukan alamat yang sah: tulis skema dan nama host, "
            "misalnya https://musyawarah.example.go.id. (PUBLIC_BASE_URL must be an http(s) "
            "address such as https://musyawarah.example.go.id.)"
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _development_secret(instance: Path) -> str:
    """A key kept in instance/ so that development sessions survive a restart.

    Production must set its own key: a file on one machine is not shared by a second app server.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute address of `endpoint` under PUBLIC_BASE_URL, for anything stored, printed
    or sent (the berita acara's QR code, e-mails, pages that show an address to copy). Never
    `url_for(..., _external=True)`: that takes the host from the request's Host header."""
    parts = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
