"""Issue 6's fixtures (users of every role, a locked/confirmed/returned meeting of Pasar Ipuh)
and a recording SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from portal.blueprints.notifications import mail
from tests.review.conftest import (  # noqa: F401  (fixtures)
    confirmed,
    locked,
    register,
    returned,
    sekretaris,
    users,
)


class FakeSMTP:
    """Stands for `smtplib.SMTP`: records what would have been sent (or refuses, when told)."""

    sent: list[EmailMessage] = []
    connections: list[tuple[str, int]] = []
    refuse_connection = False
    refuse_recipients: set[str] = set()

    def __init__(self, host: str, port: int = 25, timeout: float = 0) -> None:
        FakeSMTP.connections.append((host, port))
        if FakeSMTP.refuse_connection:
            raise ConnectionRefusedError("no server")

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def starttls(self) -> None:
        pass

    def login(self, user: str, password: str) -> None:
        pass

    def send_message(self, message: EmailMessage) -> None:
        if message["To"] in FakeSMTP.refuse_recipients:
            raise mail.smtplib.SMTPRecipientsRefused({message["To"]: (550, b"no such user")})
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch, app) -> Iterator[type[FakeSMTP]]:
    """A configured mail server that records the messages."""
    FakeSMTP.sent, FakeSMTP.connections = [], []
    FakeSMTP.refuse_connection, FakeSMTP.refuse_recipients = False, set()
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.test")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://portal.example.test/")
    yield FakeSMTP
