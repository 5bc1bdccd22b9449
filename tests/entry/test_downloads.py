"""The operator's downloads: the countersigned berita acara, the scan, the decided list as XLSX
(one sheet per category) and CSV; each logged; no cell runs as a formula; nothing from outside
the meeting's village."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.entry.exporting import EXPORT_COLUMNS
from portal.blueprints.register.models import Household, Person
from portal.blueprints.register.reading import COLUMNS
from portal.extensions import db
from tests.entry.conftest import (
    audit_entries,
    build_locked,
    confirm,
    decided_kks,
    household_id,
)
from tests.factories import DESA_AIR_BULUH
from tests.review.conftest import KK_NEW, NIK_NEW_CHILD, NIK_NEW_HEAD

SHEETS = ["Tetap", "Keluar", "Baru", "Perbaikan"]


def members_of(kks: list[str]) -> int:
    return sum(
        len(db.session.execute(select(Household).where(Household.kk == kk)).scalar_one().members)
        for kk in kks
    )


def test_countersigned_pdf(client, operator, confirmed) -> None:
    meeting, review = confirmed
    response = client.get(f"/entri/{meeting.id}/berita-acara.pdf")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF") and response.data == review.pdf
    assert response.headers["Content-Disposition"].startswith("attachment;")
    (entry,) = audit_entries("entry.download")
    assert entry.details == {"file": f"berita-acara-{meeting.id}-dikonfirmasi.pdf"}
    assert entry.user_id == operator.id and entry.region_code == meeting.village_code


def test_no_scan_is_404_and_not_logged(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    assert client.get(f"/entri/{meeting.id}/pindaian").status_code == 404
    assert audit_entries("entry.download") == []
    assert "Pindaian berita acara belum diunggah" in client.get(f"/entri/{meeting.id}").get_data(
        as_text=True
    )


def test_the_scan(client, auth, users, locked) -> None:
    meeting, _ba = locked
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    ba_services.attach_scan(meeting, buffer.getvalue(), user=users["sekretaris"])
    db.session.commit()
    confirm(meeting, users["camat"])
    auth.login_as(users["operator"])
    assert f"/entri/{meeting.id}/pindaian" in client.get(f"/entri/{meeting.id}").get_data(
        as_text=True
    )
    response = client.get(f"/entri/{meeting.id}/pindaian")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == buffer.getvalue()
    assert 'filename="pindaian-ba-' in response.headers["Content-Disposition"]
    assert [e.details["file"] for e in audit_entries("entry.download")] == [
        f"pindaian-ba-{meeting.id}.png"
    ]


def test_xlsx_one_sheet_per_category_one_row_per_person(client, operator, confirmed) -> None:
    meeting, _review = confirmed
    kks = decided_kks(meeting)
    keluar = household_id(kks["keluar"][0])
    client.post(
        f"/entri/{meeting.id}/keluarga/{keluar}",
        data={"status": "rejected", "reason": "Sudah tidak aktif"},
    )
    response = client.get(f"/entri/{meeting.id}/keputusan.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    assert workbook.sheetnames == SHEETS
    sheets = {name: list(workbook[name].iter_rows(values_only=True)) for name in SHEETS}
    for name, category in zip(SHEETS, ("tetap", "keluar", "baru", "perbaikan"), strict=True):
        header, *rows = sheets[name]
        assert list(header) == list(EXPORT_COLUMNS)
        assert list(header[: len(COLUMNS)]) == list(COLUMNS)
        assert len(rows) == members_of(kks[category])
        assert {r[header.index("keputusan")] for r in rows} == {category}
        assert {r[header.index("nomor_kk")] for r in rows} == set(kks[category])
        assert {r[header.index("nomor_musyawarah")] for r in rows} == {meeting.number}
    header = sheets["Keluar"][0]
    reasons = {r[header.index("alasan")] for r in sheets["Keluar"][1:]}
    assert reasons == {"meninggal", "sudah_mampu"}
    status = {
        r[header.index("nomor_kk")]: r[header.index("status_entri")] for r in sheets["Keluar"][1:]
    }
    assert status == {kks["keluar"][0]: "ditolak", kks["keluar"][1]: "belum"}
    baru = sheets["Baru"][1:]
    assert {r[header.index("nomor_nik")] for r in baru} == {NIK_NEW_HEAD, NIK_NEW_CHILD}
    assert {r[header.index("nomor_kk")] for r in baru} == {KK_NEW}
    (explanation,) = {r[header.index("keterangan")] for r in sheets["Perbaikan"][1:]}
    assert explanation.startswith("rt: ") and explanation.endswith(" → 007")
    assert [e.details["file"] for e in audit_entries("entry.download")] == [
        f"keputusan-{meeting.id}.xlsx"
    ]


def test_csv_all_categories_one_row_per_person_only_the_village(
    client, operator, confirmed
) -> None:
    meeting, _review = confirmed
    kks = decided_kks(meeting)
    response = client.get(f"/entri/{meeting.id}/keputusan.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header, *rows = rows
    assert header == list(EXPORT_COLUMNS)
    assert len(rows) == sum(members_of(v) for v in kks.values())
    by_category = {}
    for row in rows:
        by_category.setdefault(row[header.index("keputusan")], set()).add(
            row[header.index("nomor_kk")]
        )
    assert by_category == {c: set(v) for c, v in kks.items()}
    assert {row[header.index("kode_wilayah")] for row in rows} == {meeting.village_code}
    elsewhere = db.session.execute(
        select(Household.kk).where(Household.village_code == DESA_AIR_BULUH)
    ).scalars()
    text = response.data.decode("utf-8-sig")
    assert not any(kk in text for kk in elsewhere)
    perbaikan = [r for r in rows if r[header.index("keputusan")] == "perbaikan"]
    assert all("→ 007" in r[header.index("keterangan")] for r in perbaikan)
    assert [e.details["file"] for e in audit_entries("entry.download")] == [
        f"keputusan-{meeting.id}.csv"
    ]


@pytest.fixture
def formula_confirmed(users, register):
    """A tetap family whose head's name and address would run as spreadsheet formulas."""
    family = register[5]
    head = family.members[0]
    head.name = '=HYPERLINK("http://contoh.invalid","klik")'
    family.alamat = "@SUM(1+1)"
    db.session.commit()
    meeting, _ba = build_locked(users["sekretaris"], register, real_pdf=False)
    confirm(meeting, users["camat"])
    return meeting, family.kk, head.nik


def test_cells_are_neutralised_against_formulas(client, auth, users, formula_confirmed) -> None:
    meeting, _kk, nik = formula_confirmed
    auth.login_as(users["operator"])
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/entri/{meeting.id}/keputusan.csv").data.decode("utf-8-sig"))
        )
    )
    header = rows[0]
    (head,) = [r for r in rows if r[header.index("nomor_nik")] == nik]
    assert head[header.index("nama")] == '\'=HYPERLINK("http://contoh.invalid","klik")'
    assert head[header.index("alamat")] == "'@SUM(1+1)"
    workbook = load_workbook(io.BytesIO(client.get(f"/entri/{meeting.id}/keputusan.xlsx").data))
    sheet = workbook["Tetap"]
    names = [cell.value for cell in sheet["M"]]  # nama
    assert sheet["M1"].value == "nama"
    assert '\'=HYPERLINK("http://contoh.invalid","klik")' in names
    assert all(
        not str(v).startswith(("=", "+", "-", "@")) for row in sheet.values for v in row if v
    )
    assert (
        db.session.execute(select(Person.name).where(Person.nik == nik))
        .scalar_one()
        .startswith("=")
    )
