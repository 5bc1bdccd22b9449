"""With CSRF protection on (as in production), a forged "mark read" changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.blueprints.notifications.models import Notification
from portal.extensions import db


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WTF_CSRF_ENABLED": True}


def test_posts_need_the_token(client, locked, users) -> None:
    mine = db.session.execute(select(Notification)).scalar_one()
    page = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        "/masuk",
        data={
            "username": users["camat"].username,
            "password": "sandi-uji-2026",
            "csrf_token": token,
        },
    )
    for url in (
        f"/notifikasi/{mine.id}/baca",
        f"/notifikasi/{mine.id}/buka",
        "/notifikasi/baca-semua",
    ):
        assert client.post(url).status_code == 400
    db.session.expire_all()
    assert db.session.get(Notification, mine.id).read_at is None
    page = client.get("/notifikasi/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/notifikasi/{mine.id}/baca", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, mine.id).read_at is not None
