"""CSRF stays on here: the register's forms (upload, confirm, cancel, search) need the token."""

from __future__ import annotations

import html
import io
import re

import pytest

from portal.demo import synthetic
from tests.factories import DESA_PASAR_IPUH, PASSWORD, make_user
from tests.register.conftest import counts, csv_bytes, text_of

EXPIRED = "Formulir kedaluwarsa"


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WTF_CSRF_ENABLED": True}


def form_token(page: str) -> str:
    tag = re.search(r'<input[^>]*\bname="csrf_token"[^>]*>', page)
    assert tag, "no csrf_token field"
    return re.search(r'\bvalue="([^"]+)"', tag.group(0)).group(1)


def body_token(page: str) -> str:
    match = re.search(r"<body hx-headers='([^']+)'>", page)
    assert match
    return re.search(r'"X-CSRFToken": "([^"]+)"', html.unescape(match.group(1))).group(1)


@pytest.fixture
def logged_in(client, regions):
    user = make_user("sekretaris", DESA_PASAR_IPUH)
    token = form_token(client.get("/masuk").get_data(as_text=True))
    response = client.post(
        "/masuk", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return user


def upload(client, data: bytes, token: str | None):
    form = {"target": DESA_PASAR_IPUH, "file": (io.BytesIO(data), "prelist.csv")}
    if token:
        form["csrf_token"] = token
    return client.post("/keluarga/impor", data=form, content_type="multipart/form-data")


def test_register_forms_need_the_token(client, logged_in, pasar_ipuh):
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=3, seed=1)
    data = csv_bytes(rows)

    refused = upload(client, data, None)
    assert refused.status_code == 400 and EXPIRED in text_of(refused)

    token = form_token(client.get("/keluarga/impor").get_data(as_text=True))
    response = upload(client, data, token)
    assert response.status_code == 302
    status_url = response.headers["Location"]

    refused = client.post(f"{status_url}/konfirmasi")
    assert refused.status_code == 400 and EXPIRED in text_of(refused)
    refused = client.post(f"{status_url}/batal")
    assert refused.status_code == 400
    assert counts()["households"] == 0
    assert "menunggu konfirmasi" in text_of(client.get(status_url))

    token = form_token(client.get(status_url).get_data(as_text=True))
    assert client.post(f"{status_url}/konfirmasi", data={"csrf_token": token}).status_code == 302
    assert counts()["households"] == len({row["nomor_kk"] for row in rows})

    # The htmx search sends the token in a header; without it, the search is refused.
    village = f"/keluarga/desa/{DESA_PASAR_IPUH}"
    page = client.get(village).get_data(as_text=True)
    headers = {"HX-Request": "true"}
    assert client.post(village, data={"q": "RT 1"}, headers=headers).status_code == 400
    found = client.post(
        village, data={"q": rows[0]["nama"]}, headers={**headers, "X-CSRFToken": body_token(page)}
    )
    assert found.status_code == 200
    assert rows[0]["nama"] in text_of(found)
