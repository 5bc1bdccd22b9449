"""The trail as people see it: admin their kabupaten, camat their kecamatan, filtered; admin
checks the chain from the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import audit
from portal.audit import AuditEntry
from portal.extensions import db
from portal.timeutil import utcnow
from tests.factories import make_user

IPUH_VILLAGE = "1706052006"  # Pasar Ipuh, kecamatan Ipuh, Kabupaten Mukomuko
KOTA_VILLAGE = "1706022007"  # Pasar Sebelah, kecamatan Kota Mukomuko, same kabupaten
SOLOK_VILLAGE = "1372011001"  # Tanah Garam, Kota Solok: another kabupaten


@pytest.fixture
def trail(app, regions):
    people = {
        "admin": make_user("admin", "1706", username="admin_muko"),
        "camat": make_user("camat", "170605", username="camat_ipuh"),
        "sekretaris": make_user("sekretaris", IPUH_VILLAGE, username="sekdes_ipuh"),
        "operator": make_user("operator", "170605", username="operator_ipuh"),
        "admin_solok": make_user("admin", "1372", username="admin_solok"),
    }
    for action, region, marker in (
        ("meeting.check_in", IPUH_VILLAGE, "ipuh-hadir"),
        ("register.import_apply", IPUH_VILLAGE, "ipuh-impor"),
        ("meeting.check_in", KOTA_VILLAGE, "kota-hadir"),
        ("meeting.check_in", SOLOK_VILLAGE, "solok-hadir"),
    ):
        audit.record(
            action,
            object_type="meeting",
            object_id=7,
            region_code=region,
            details={"penanda": marker},
            user_id=people["sekretaris"].id,
        )
    db.session.commit()
    return people


def _page(client, auth, user, query: str = "", **kwargs):
    auth.login_as(user)
    response = client.get(f"/jejak-audit/{query}", **kwargs)
    return response, response.get_data(as_text=True)


def test_admin_sees_their_kabupaten_only(client, auth, trail):
    response, html = _page(client, auth, trail["admin"])
    assert response.status_code == 200
    assert "ipuh-hadir" in html and "kota-hadir" in html and "ipuh-impor" in html
    assert "solok-hadir" not in html
    assert "sekdes_ipuh" in html  # who


def test_camat_sees_their_kecamatan_only(client, auth, trail):
    response, html = _page(client, auth, trail["camat"])
    assert response.status_code == 200
    assert "ipuh-hadir" in html and "ipuh-impor" in html
    assert "kota-hadir" not in html and "solok-hadir" not in html
    assert "Periksa rantai" not in html  # checking the chain is the admin's


def test_other_kabupaten_admin_sees_only_theirs(client, auth, trail):
    _, html = _page(client, auth, trail["admin_solok"])
    assert "solok-hadir" in html and "ipuh-hadir" not in html


@pytest.mark.parametrize("role", ["sekretaris", "operator"])
def test_other_roles_are_refused(client, auth, trail, role):
    response, _ = _page(client, auth, trail[role])
    assert response.status_code == 403
    assert client.post("/jejak-audit/periksa").status_code == 403


def test_anonymous_goes_to_login(client, trail):
    response = client.get("/jejak-audit/")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_filters(client, auth, trail):
    _, html = _page(client, auth, trail["admin"], "?kelompok=register")
    assert "ipuh-impor" in html and "ipuh-hadir" not in html
    _, html = _page(client, auth, trail["admin"], f"?wilayah={KOTA_VILLAGE}")
    assert "kota-hadir" in html and "ipuh-hadir" not in html
    _, html = _page(client, auth, trail["admin"], "?pengguna=admin_muko")
    assert "ipuh-hadir" not in html and "<td>Masuk</td>" in html  # the admin's own logins
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    _, html = _page(client, auth, trail["admin"], f"?dari={tomorrow}")
    assert "Tidak ada entri yang cocok." in html
    # A region filter cannot widen the scope.
    _, html = _page(client, auth, trail["camat"], f"?wilayah={SOLOK_VILLAGE}")
    assert "solok-hadir" not in html and "Tidak ada entri yang cocok." in html


def test_bad_filter_gets_a_message_and_no_error(client, auth, trail):
    response, html = _page(
        client, auth, trail["admin"], "?wilayah=17.06&dari=kemarin&sampai=2020-01-01&kelompok=zzz"
    )
    assert response.status_code == 200
    assert "Kode wilayah 2 sampai 10 angka, tanpa titik." in html
    assert "Pilih jenis kegiatan dari daftar." in html
    assert "Tanggal tidak valid; tulis seperti 2026-11-23." in html
    assert "ipuh-hadir" in html  # nothing filtered


def test_htmx_gets_the_table_only(client, auth, trail):
    response, html = _page(
        client, auth, trail["admin"], "?kelompok=meeting", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in html and "ipuh-hadir" in html and "ipuh-impor" not in html


def test_admin_checks_the_chain(client, auth, trail):
    auth.login_as(trail["admin"])
    response = client.post("/jejak-audit/periksa", follow_redirects=True)
    assert "Rantai jejak audit utuh" in response.get_data(as_text=True)
    # Someone with database rights alters an entry.
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text("DROP TRIGGER audit_entries_no_update"))
    else:
        db.session.execute(
            sa.text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_written_once")
        )
    db.session.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.action == "register.import_apply")
        .values(details={"penanda": "dipalsukan"})
    )
    db.session.commit()
    response = client.post("/jejak-audit/periksa", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Rantai jejak audit RUSAK" in html and "diubah" in html


def test_camat_cannot_check_the_chain(client, auth, trail):
    auth.login_as(trail["camat"])
    assert client.post("/jejak-audit/periksa").status_code == 403


@pytest.mark.parametrize(
    ("path", "kind"), [("/dasbor/unduh.csv", "villages"), ("/dasbor/per-bulan.csv", "monthly")]
)
def test_dashboard_downloads_are_in_the_trail(client, auth, trail, path, kind):
    auth.login_as(trail["admin"])
    response = client.get(path)
    assert response.status_code == 200
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "dashboard.download")
    ).scalar_one()
    assert entry.user_id == trail["admin"].id and entry.region_code == "1706"
    assert entry.details["kind"] == kind
    _, html = _page(client, auth, trail["admin"], "?kelompok=dashboard")
    assert "Data dasbor diunduh" in html and "dashboard.download" not in html
