"""Bounds of what a request may ask: page numbers of every list page, the CSV's Content-Type,
WTForms' and the csv module's own (English) messages, the kabupaten's majority."""

from __future__ import annotations

import html

import pytest

from portal.blueprints.meetings import services as meeting_services
from portal.demo import synthetic
from portal.extensions import db
from portal.refusal import Refused
from portal.web import LAST_PAGE, page_number
from tests.entry.conftest import (  # noqa: F401  (fixtures)
    confirmed,
    locked,
    register,
    sekretaris,
    users,
)
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO
from tests.register.conftest import Importer, csv_bytes

HOSTILE_PAGES = ["1000000000000000000", "-5", "abc", "9" * 5000, "1e9", ""]


def test_page_number_is_bounded() -> None:
    assert page_number("3") == 3
    assert page_number("-5") == 1 and page_number("0") == 1
    assert page_number("1000000000000000000") == LAST_PAGE
    with pytest.raises(ValueError):
        page_number("abc")


@pytest.mark.parametrize("halaman", HOSTILE_PAGES)
def test_every_list_page_survives_any_page_number(app, client, auth, halaman, request) -> None:
    users = request.getfixturevalue("users")
    meeting, _review = request.getfixturevalue("confirmed")
    auth.login_as(users["admin"])
    record = Importer(client, app).preview(
        csv_bytes([{"nomor_nik": "1", "nama": "X", "kode_wilayah": DESA_PASAR_IPUH}]),
        DESA_PASAR_IPUH,
    )
    admin_pages = [
        "/admin/pengguna/",
        "/jejak-audit/",
        f"/keluarga/desa/{DESA_PASAR_IPUH}",
        f"/musyawarah/{meeting.id}/usulan",
        f"/keluarga/impor/{record.id}",
    ]
    for url in admin_pages:
        response = client.get(url, query_string={"halaman": halaman})
        assert response.status_code == 200, (url, response.status_code)
    response = client.post(f"/keluarga/desa/{DESA_PASAR_IPUH}", data={"q": "", "halaman": halaman})
    assert response.status_code == 200
    auth.logout()
    auth.login_as(users["operator"])
    for url in ("/entri/", f"/entri/{meeting.id}"):
        response = client.get(url, query_string={"halaman": halaman})
        assert response.status_code == 200, (url, response.status_code)


def test_csv_content_type_names_its_charset_once(client, auth, request) -> None:
    users = request.getfixturevalue("users")
    meeting, _review = request.getfixturevalue("confirmed")
    auth.login_as(users["admin"])
    response = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    auth.logout()
    auth.login_as(users["operator"])
    response = client.get(f"/entri/{meeting.id}/keputusan.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_number_range_message_is_indonesian(client, auth, request) -> None:
    users = request.getfixturevalue("users")
    auth.login_as(users["admin"])
    response = client.post(
        "/musyawarah/aturan",
        data={"quorum_num": "1", "quorum_den": "2", "majority_num": "1", "majority_den": "500"},
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Number must be" not in page
    assert "Angka harus antara 2 dan 99." in page


def test_integer_parse_message_is_indonesian(client, auth, request) -> None:
    users = request.getfixturevalue("users")
    auth.login_as(users["admin"])
    response = client.post(
        "/musyawarah/aturan",
        data={"quorum_num": "satu", "quorum_den": "2", "majority_num": "1", "majority_den": "2"},
    )
    page = html.unescape(response.get_data(as_text=True))
    assert "Not a valid" not in page and "Isi dengan bilangan bulat." in page


def test_majority_below_half_is_refused(client, auth, request) -> None:
    users = request.getfixturevalue("users")
    auth.login_as(users["admin"])
    response = client.post(
        "/musyawarah/aturan",
        data={"quorum_num": "2", "quorum_den": "3", "majority_num": "1", "majority_den": "99"},
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Keputusan suara sekurang-kurangnya 1/2" in page
    rules = meeting_services.rules_for(KAB_MUKOMUKO)
    assert (rules.majority_num, rules.majority_den) != (1, 99)
    with pytest.raises(Refused):
        meeting_services.set_rules(
            KAB_MUKOMUKO, quorum=(2, 3), majority=(49, 99), user=users["admin"]
        )
    db.session.rollback()
    meeting_services.set_rules(KAB_MUKOMUKO, quorum=(2, 3), majority=(1, 2), user=users["admin"])


def test_csv_field_limit_message_is_indonesian(app, client, auth, request) -> None:
    users = request.getfixturevalue("users")
    auth.login_as(users["admin"])
    header = ",".join(synthetic.COLUMNS).encode()
    data = header + b'\r\n1,"' + b"A" * 200_000 + b'"\r\n'
    response = Importer(client, app).upload(data, DESA_PASAR_IPUH, follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "field larger than field limit" not in page
    assert "lebih panjang dari 131072 karakter" in page, page[page.find("<main") :][:3000]
