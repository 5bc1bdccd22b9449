"""Failed logins are slowed down, never turned into a lock-out of the account's owner.

Usernames are predictable (`camat.<kecamatan>`), so a limit per account alone lets anyone keep a
camat out of the portal by typing wrong passwords. Three limits instead (OWASP's "device
cookie" scheme):

- one account from one address: ``LOGIN_LIMIT_ACCOUNT_ADDRESS`` (Flask-Limiter, on the route);
- one address, whatever the account: ``LOGIN_LIMIT_ADDRESS`` (likewise);
- one account from anywhere: after ``LOGIN_SLOWDOWN_AFTER`` failures within 15 minutes, the next
  attempt from a client that never logged into this account must wait, 2 s doubling up to
  ``LOGIN_SLOWDOWN_MAX_SECONDS``. A device that logged into the account before carries a
  signed cookie and is not slowed: guessing from everywhere cannot keep the secretary out of her
  own phone.

Counters live in the limiter's storage (Redis in production), shared by every app server; keys
carry a hash of the username, never the typed text.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from portal.extensions import limiter

WINDOW_SECONDS = 15 * 60
DEVICE_COOKIE = "perangkat"
_DEVICE_SALT = "portal-musyawarah/login-device/1"
_DEVICE_ACCOUNTS = 5  # accounts remembered per device (a shared computer in the village hall)


def _key(kind: str, account: str) -> str:
    digest = hashlib.sha256(account.encode("utf-8", "replace")).hexdigest()[:32]
    return f"login-{kind}:{digest}"


def wait_seconds(account: str) -> int:
    """Seconds the next attempt on this account must wait (0: none), for untrusted clients."""
    storage = limiter.storage
    key = _key("wait", account)
    if storage.get(key) <= 0:
        return 0
    return max(1, math.ceil(storage.get_expiry(key) - time.time()))


def record_failure(account: str) -> None:
    """Count a failed attempt on the account; past the threshold, set the next wait."""
    storage = limiter.storage
    failures = storage.incr(_key("fail", account), WINDOW_SECONDS)
    after = int(current_app.config["LOGIN_SLOWDOWN_AFTER"])
    if failures < after:
        return
    ceiling = int(current_app.config["LOGIN_SLOWDOWN_MAX_SECONDS"])
    delay = min(ceiling, 2 ** min(failures - after + 1, 16))
    wait = _key("wait", account)
    storage.clear(wait)
    storage.incr(wait, delay)


def _serializer() -> URLSafeTimedSerializer:
    key = current_app.secret_key
    assert key is not None  # config.load sets SECRET_KEY, or refuses to start
    return URLSafeTimedSerializer(key, salt=_DEVICE_SALT)


def _device_accounts() -> list[int]:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 512:
        return []
    max_age = int(current_app.config["LOGIN_DEVICE_DAYS"]) * 86400
    try:
        ids = _serializer().loads(raw, max_age=max_age)
    except BadSignature:
        return []
    if not isinstance(ids, list):
        return []
    return [i for i in ids if isinstance(i, int)][:_DEVICE_ACCOUNTS]


def known_device(user_id: int | None) -> bool:
    """Has this client logged into the account before (a valid signed cookie says so)?"""
    return user_id is not None and user_id in _device_accounts()


def remember_device(response: Response, user_id: int) -> Response:
    """After a successful login: this client is one of the account's devices."""
    ids = [user_id] + [i for i in _device_accounts() if i != user_id]
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(ids[:_DEVICE_ACCOUNTS]),
        max_age=int(current_app.config["LOGIN_DEVICE_DAYS"]) * 86400,
        httponly=True,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        samesite="Lax",
    )
    return response
