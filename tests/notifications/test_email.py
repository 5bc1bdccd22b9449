"""Email of notifications: only when SMTP is configured, only to users with an address, and a
failing mail server never breaks the request or the job."""

from __future__ import annotations

from sqlalchemy import select

from portal.blueprints.notifications import mail
from portal.blueprints.notifications.models import Notification
from portal.blueprints.review import services as review
from portal.extensions import db
from tests.factories import DESA_PASAR_IPUH


def emailed(user_id: int) -> list:
    db.session.expire_all()
    return [
        n.emailed_at
        for n in db.session.execute(
            select(Notification).where(Notification.user_id == user_id)
        ).scalars()
    ]


def give_addresses(users) -> None:
    users["operator"].email = "operator@example.test"
    users["sekretaris"].email = "sekdes@example.test"
    users["camat"].email = "camat@example.test"
    db.session.commit()


def test_the_confirm_route_emails_the_operators_with_an_address(
    smtp, client, auth, locked, users
) -> None:
    meeting, _ = locked
    give_addresses(users)  # after the lock: the camat's notification was not emailed
    auth.login_as(users["camat"])
    response = client.post(f"/konfirmasi/{meeting.id}/konfirmasi", data={"note": ""})
    assert response.status_code == 302
    # The operators (the kecamatan one has no address) and the village's secretary.
    assert sorted(m["To"] for m in smtp.sent) == ["operator@example.test", "sekdes@example.test"]
    message = next(m for m in smtp.sent if m["To"] == "operator@example.test")
    assert meeting.number in message["Subject"] and "Pasar Ipuh" in message["Subject"]
    body = message.get_content()
    assert f"https://portal.example.test/entri/{meeting.id}" in body
    assert users["operator"].full_name in body
    assert emailed(users["operator"].id)[0] is not None
    assert emailed(users["operator_kecamatan"].id) == [None]
    # Sent once: asking again sends nothing more.
    ids = list(
        db.session.execute(
            select(Notification.id).where(Notification.kind == "meeting_confirmed")
        ).scalars()
    )
    assert mail.send(ids) == 0 and len(smtp.sent) == 2


def test_the_lock_emails_the_camat(smtp, users, register) -> None:
    from tests.review.conftest import build_locked

    give_addresses(users)
    meeting, _ = build_locked(users["sekretaris"], register, real_pdf=False)
    assert [m["To"] for m in smtp.sent] == ["camat@example.test"]
    assert f"/konfirmasi/{meeting.id}" in smtp.sent[0].get_content()


def test_no_email_when_smtp_is_not_configured(monkeypatch, app, client, auth, locked, users):
    meeting, _ = locked
    give_addresses(users)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    connections = []
    monkeypatch.setattr(mail.smtplib, "SMTP", lambda *a, **k: connections.append(a))
    auth.login_as(users["camat"])
    client.post(f"/konfirmasi/{meeting.id}/konfirmasi", data={"note": ""})
    assert connections == []
    assert emailed(users["operator"].id) == [None]


def test_a_note_on_several_lines_still_makes_a_one_line_subject(smtp, locked, users) -> None:
    meeting, _ = locked
    give_addresses(users)
    review.return_meeting(
        meeting, user=users["camat"], note="Daftar hadir tidak lengkap.\r\nFoto tidak ada."
    )
    db.session.commit()
    from portal.blueprints.notifications.services import send_queued_emails

    send_queued_emails()
    assert [m["To"] for m in smtp.sent] == ["sekdes@example.test"]
    subject = smtp.sent[0]["Subject"]
    assert "\n" not in subject and "Daftar hadir tidak lengkap. Foto tidak ada." in subject
    assert "Foto tidak ada." in smtp.sent[0].get_content()


def test_a_server_that_refuses_breaks_neither_request_nor_job(
    monkeypatch, smtp, client, auth, locked, users, caplog
) -> None:
    meeting, _ = locked
    give_addresses(users)
    smtp.refuse_connection = True
    auth.login_as(users["camat"])
    response = client.post(f"/konfirmasi/{meeting.id}/konfirmasi", data={"note": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert meeting.state == "confirmed"  # the decision stands
    assert smtp.connections and smtp.sent == []
    assert emailed(users["operator"].id) == [None]  # left unsent, to be tried again
    ids = list(db.session.execute(select(Notification.id)).scalars())
    # The migrations' logging.fileConfig disables the loggers that existed before them.
    monkeypatch.setattr(mail.log, "disabled", False)
    with caplog.at_level("WARNING", logger=mail.__name__):
        assert mail.send(ids) == 0
    assert "ConnectionRefusedError" in caplog.text
    assert "example.test" not in caplog.text and users["operator"].full_name not in caplog.text


def test_one_refused_address_does_not_stop_the_others(smtp, locked, users) -> None:
    from tests.factories import make_user

    meeting, _ = locked
    give_addresses(users)
    second = make_user("operator", DESA_PASAR_IPUH)
    second.email = "kedua@example.test"
    db.session.commit()
    smtp.refuse_recipients = {"operator@example.test"}
    review.confirm(meeting, user=users["camat"])
    db.session.commit()
    ids = [
        n.id
        for n in db.session.execute(
            select(Notification).where(Notification.kind == "meeting_confirmed")
        ).scalars()
    ]
    assert mail.send(ids) == 1
    assert [m["To"] for m in smtp.sent] == ["kedua@example.test"]
    assert emailed(users["operator"].id) == [None]
    assert emailed(second.id)[0] is not None


def test_a_failing_queue_does_not_break_the_caller(monkeypatch, smtp, locked, users) -> None:
    from portal.blueprints.notifications import services, tasks

    meeting, _ = locked

    def broken(_ids: list[int]) -> None:
        raise RuntimeError("queue down")

    monkeypatch.setattr(tasks, "email_task", broken)
    review.confirm(meeting, user=users["camat"])
    db.session.commit()
    services.send_queued_emails()  # logged, not raised
    assert smtp.sent == []
