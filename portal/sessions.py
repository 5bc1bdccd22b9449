"""The session cookie, re-signed at most once a minute instead of on every response.

A permanent session's cookie carries the idle limit (PERMANENT_SESSION_LIFETIME): Flask renews it
by signing and sending the cookie again with every response (SESSION_REFRESH_EACH_REQUEST), which
cost about a quarter of a logged-in request that does nothing else (measured, bench/RESULTS.md).
Here an unchanged session is re-sent only when its signature is older than
SESSION_REFRESH_SECONDS: the idle limit then counts from at most that long before the last
request. A changed session (login, a flash message, the language) is sent at once, as before.
The cookie stays the only state: nothing is kept on the server, so any app server can answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

from portal.timeutil import utcnow


class _Session(SecureCookieSession):
    signed_at: datetime | None = None


class ThrottledRefreshSessionInterface(SecureCookieSessionInterface):
    session_class = _Session

    def open_session(self, app: Flask, request: Any) -> _Session | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session: Any) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        if signed_at is None:
            return True
        age = (utcnow() - signed_at).total_seconds()
        return age >= float(app.config["SESSION_REFRESH_SECONDS"])
