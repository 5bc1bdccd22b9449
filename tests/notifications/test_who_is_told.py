"""Notifications: who is told, the bell, reading them, and email when SMTP is configured."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.blueprints.notifications import mail
from portal.blueprints.notifications.models import Notification
from portal.blueprints.review import services as review
from portal.extensions import db
from tests.register.conftest import text_of


def notified(kind: str) -> set[int]:
    return set(
        db.session.execute(select(Notification.user_id).where(Notification.kind == kind)).scalars()
    )


def test_the_lock_tells_the_camat_only(locked, users) -> None:
    assert notified("ba_locked") == {users["camat"].id}


def test_confirmation_tells_the_operators_of_the_village(locked, users) -> None:
    meeting, _ = locked
    review.confirm(meeting, user=users["camat"])
    db.session.commit()
    assert notified("meeting_confirmed") == {
        users["operator"].id,
        users["operator_kecamatan"].id,
    }


def test_return_tells_the_village_secretary_with_the_note(locked, users) -> None:
    meeting, _ = locked
    review.return_meeting(meeting, user=users["camat"], note="Foto tidak ada.")
    db.session.commit()
    assert notified("meeting_returned") == {users["sekretaris"].id}
    row = db.session.execute(
        select(Notification).where(Notification.kind == "meeting_returned")
    ).scalar_one()
    assert row.params["note"] == "Foto tidak ada."


def test_the_bell_counts_and_reading_clears_it(client, auth, locked, users) -> None:
    meeting, _ = locked
    auth.login_as(users["camat"])
    home = client.get("/").get_data(as_text=True)
    assert 'aria-label="Notifikasi, 1 belum dibaca"' in home
    page = text_of(client.get("/notifikasi/"))
    assert f"Berita acara {meeting.number} (Pasar Ipuh) sudah dikunci" in page
    mine = db.session.execute(select(Notification)).scalar_one()
    response = client.post(f"/notifikasi/{mine.id}/buka")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/konfirmasi/{meeting.id}")
    db.session.expire_all()
    assert db.session.get(Notification, mine.id).read_at is not None
    assert 'aria-label="Notifikasi"' in client.get("/").get_data(as_text=True)


def test_someone_elses_notification_is_not_found(client, auth, locked, users) -> None:
    mine = db.session.execute(select(Notification)).scalar_one()
    auth.login_as(users["other_camat"])
    assert client.post(f"/notifikasi/{mine.id}/buka").status_code == 404
    assert "sudah dikunci" not in text_of(client.get("/notifikasi/"))
    client.post("/notifikasi/baca-semua")
    db.session.expire_all()
    assert db.session.get(Notification, mine.id).read_at is None


class FakeSMTP:
    sent: list = []
    fail = False

    def __init__(self, host: str, port: int, timeout: float) -> None:
        if FakeSMTP.fail:
            raise ConnectionRefusedError("no server")
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def starttls(self) -> None:
        pass

    def login(self, user: str, password: str) -> None:
        pass

    def send_message(self, message) -> None:
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(monkeypatch, app):
    FakeSMTP.sent, FakeSMTP.fail = [], False
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    app.config["MAIL_SERVER"] = "smtp.example.test"
    yield FakeSMTP
    app.config["MAIL_SERVER"] = None


def test_email_when_smtp_is_configured(smtp, locked, users) -> None:
    meeting, _ = locked
    users["operator"].email = "operator@example.test"
    db.session.commit()
    review.confirm(meeting, user=users["camat"])
    db.session.commit()
    from portal.blueprints.notifications.services import send_queued_emails

    send_queued_emails()
    assert [m["To"] for m in smtp.sent] == ["operator@example.test"]
    assert meeting.number in smtp.sent[0]["Subject"]
    assert f"/entri/{meeting.id}" in smtp.sent[0].get_content()
    row = db.session.execute(
        select(Notification).where(Notification.user_id == users["operator"].id)
    ).scalar_one()
    assert row.emailed_at is not None


def test_no_email_without_smtp_and_a_failing_server_breaks_nothing(
    monkeypatch, app, locked, users
) -> None:
    meeting, _ = locked
    users["operator"].email = "operator@example.test"
    db.session.commit()
    calls = []
    monkeypatch.setattr(mail.smtplib, "SMTP", lambda *a, **k: calls.append(a))
    review.confirm(meeting, user=users["camat"])
    db.session.commit()
    from portal.blueprints.notifications.services import send_queued_emails

    send_queued_emails()
    assert calls == []
    # With a server that refuses: the notification stays, unsent, and nothing raises.
    FakeSMTP.fail = True
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    app.config["MAIL_SERVER"] = "smtp.example.test"
    try:
        ids = list(db.session.execute(select(Notification.id)).scalars())
        assert mail.send(ids) == 0
    finally:
        app.config["MAIL_SERVER"] = None
        FakeSMTP.fail = False
    assert all(n.emailed_at is None for n in db.session.execute(select(Notification)).scalars())
