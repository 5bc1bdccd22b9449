"""The bell and the list: each user sees and reads only their own notifications."""

from __future__ import annotations

from sqlalchemy import event, select

from portal.blueprints.notifications.models import Notification
from portal.blueprints.review import services as review
from portal.extensions import db
from tests.factories import DESA_PASAR_IPUH
from tests.register.conftest import text_of

HX = {"HX-Request": "true"}


def camat_notification() -> Notification:
    return db.session.execute(
        select(Notification).where(Notification.kind == "ba_locked")
    ).scalar_one()


def read_at(notification_id: int):
    db.session.expire_all()
    return db.session.get(Notification, notification_id).read_at


def test_the_bell_shows_the_unread_count_with_one_query(app, client, auth, locked, users) -> None:
    meeting, _ = locked
    review.return_meeting(meeting, user=users["camat"], note="Ulangi.")
    db.session.commit()
    auth.login_as(users["camat"])
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        home = client.get("/").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert 'aria-label="Notifikasi, 1 belum dibaca"' in home
    assert '<span class="bell-count" aria-hidden="true">1</span>' in home
    assert len([s for s in statements if "notifications" in s]) == 1
    # The secretary has one too (the return); the camat's is not counted for them.
    auth.login_as(users["sekretaris"])
    assert 'aria-label="Notifikasi, 1 belum dibaca"' in client.get("/").get_data(as_text=True)
    auth.login_as(users["other_camat"])
    assert 'aria-label="Notifikasi"' in client.get("/").get_data(as_text=True)


def test_no_bell_and_no_list_without_login(client, locked) -> None:
    page = client.get(f"/transparansi/{DESA_PASAR_IPUH}").get_data(as_text=True)
    assert 'id="lonceng"' not in page
    response = client.get("/notifikasi/")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]
    assert client.post(f"/notifikasi/{camat_notification().id}/baca").status_code == 302
    assert read_at(camat_notification().id) is None


def test_the_list_shows_only_my_notifications_newest_first(client, auth, locked, users) -> None:
    meeting, _ = locked
    review.confirm(meeting, user=users["camat"])
    db.session.commit()
    auth.login_as(users["operator"])
    page = text_of(client.get("/notifikasi/"))
    assert f"Musyawarah {meeting.number} (Pasar Ipuh) dikonfirmasi camat" in page
    assert "sudah dikunci" not in page  # the camat's
    auth.login_as(users["camat"])
    page = text_of(client.get("/notifikasi/"))
    assert f"Berita acara {meeting.number} (Pasar Ipuh) sudah dikunci" in page
    assert "dikonfirmasi camat" not in page
    assert "Tandai semua sudah dibaca" in page


def test_mark_one_read_with_htmx_and_without(client, auth, locked, users) -> None:
    mine = camat_notification()
    auth.login_as(users["camat"])
    response = client.post(f"/notifikasi/{mine.id}/baca", headers=HX)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment
    assert f'id="notifikasi-{mine.id}" class="read"' in fragment
    assert 'hx-swap-oob="true"' in fragment and 'aria-label="Notifikasi"' in fragment
    assert read_at(mine.id) is not None
    # Without JavaScript: back to the list, nothing left unread.
    db.session.get(Notification, mine.id).read_at = None
    db.session.commit()
    response = client.post(f"/notifikasi/{mine.id}/baca")
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifikasi/")
    assert read_at(mine.id) is not None
    page = client.get("/notifikasi/").get_data(as_text=True)
    assert 'class="unread"' not in page and "Tandai semua sudah dibaca" not in page


def test_mark_all_read_with_htmx_and_without(client, auth, locked, users) -> None:
    meeting, _ = locked
    review.return_meeting(meeting, user=users["camat"], note="Ulangi.")
    db.session.commit()
    auth.login_as(users["camat"])
    response = client.post("/notifikasi/baca-semua", headers=HX)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert 'id="daftar-notifikasi"' in fragment and 'class="unread"' not in fragment
    assert read_at(camat_notification().id) is not None
    # The secretary's notification is untouched.
    returned = db.session.execute(
        select(Notification).where(Notification.kind == "meeting_returned")
    ).scalar_one()
    assert returned.read_at is None
    auth.login_as(users["sekretaris"])
    response = client.post("/notifikasi/baca-semua")
    assert response.status_code == 302
    assert read_at(returned.id) is not None


def test_opening_leads_to_the_meeting_and_marks_it_read(client, auth, locked, users) -> None:
    meeting, _ = locked
    mine = camat_notification()
    auth.login_as(users["camat"])
    response = client.post(f"/notifikasi/{mine.id}/buka")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/konfirmasi/{meeting.id}")
    assert read_at(mine.id) is not None


def test_someone_elses_notification_is_not_found(client, auth, locked, users) -> None:
    mine = camat_notification()
    auth.login_as(users["other_camat"])
    assert client.post(f"/notifikasi/{mine.id}/baca").status_code == 404
    assert client.post(f"/notifikasi/{mine.id}/baca", headers=HX).status_code == 404
    assert client.post(f"/notifikasi/{mine.id}/buka").status_code == 404
    assert client.post("/notifikasi/999999/baca").status_code == 404
    client.post("/notifikasi/baca-semua")
    assert read_at(mine.id) is None
    assert "sudah dikunci" not in text_of(client.get("/notifikasi/"))
