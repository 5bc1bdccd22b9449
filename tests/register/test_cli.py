"""`flask register import FILE --village CODE | --kabupaten CODE [--dry-run]`."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.demo import synthetic
from portal.extensions import db
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO, KEC_IPUH, KEL_PASAR_MUKOMUKO
from tests.register.conftest import counts, household, person

EMPTY = {"households": 0, "persons": 0, "events": 0}


def run(runner, path, *options: str):
    return runner.invoke(args=["register", "import", str(path), *options])


@pytest.fixture
def damaged(pasar_ipuh, make_file):
    rows, damages = synthetic.generate(
        [pasar_ipuh],
        families_per_village=8,
        seed=4,
        damage={"nik_short": 1, "empty_name": 1, "nik_bad_month": 1},
    )
    return rows, damages, make_file(rows, "csv")


def test_dry_run_prints_counts_and_every_rejected_row(runner, damaged):
    rows, damages, path = damaged
    result = run(runner, path, "--village", DESA_PASAR_IPUH, "--dry-run")

    assert result.exit_code == 0, result.output
    output = result.output
    assert f"Baris: {len(rows)} ({len(rows) - 3} sah, 3 ditolak)." in output
    assert re.search(r"Keluarga: \d+ di berkas; \d+ baru, 0 berubah, 0 tetap", output)
    reasons = {
        "nik_short": "NIK harus 16 digit (berisi 15 digit).",
        "empty_name": "Nama kosong.",
        "nik_bad_month": "Bulan lahir dalam NIK (digit 9–10) tidak mungkin",
    }
    for damage in damages:
        line = f"baris {damage.row + 2} [{damage.column}]: DITOLAK: {reasons[damage.kind]}"
        assert line in output, (line, output)
    assert "Uji coba (--dry-run): tidak ada yang ditulis." in output
    assert counts() == EMPTY


def test_import_writes_without_dry_run(runner, damaged):
    rows, damages, path = damaged
    result = run(runner, path, "--village", "17.06.05.2006")

    assert result.exit_code == 0, result.output
    assert "Tersimpan" in result.output
    damaged_kks = {rows[d.row]["nomor_kk"] for d in damages}
    stored = [row for row in rows if row["nomor_kk"] not in damaged_kks]
    assert counts()["persons"] == len(stored)
    for row in stored:
        assert person(row["nomor_nik"]).name == row["nama"]
    assert household(stored[0]["nomor_kk"]).village_code == DESA_PASAR_IPUH
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "register.import_apply")
    ).scalar_one()
    assert entry.details["source"] == "cli"
    assert entry.region_code == DESA_PASAR_IPUH

    # Again: the same file changes nothing.
    before = counts()
    again = run(runner, path, "--village", DESA_PASAR_IPUH)
    assert again.exit_code == 0, again.output
    assert "0 baru, 0 berubah" in again.output
    assert counts() == before


def test_nothing_valid_exits_non_zero(runner, pasar_ipuh, make_file):
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=3, seed=4)
    for row in rows:
        row["nomor_nik"] = "3.20123E+15"
    path = make_file(rows, "csv")
    for options in (("--dry-run",), ()):
        result = run(runner, path, "--village", DESA_PASAR_IPUH, *options)
        assert result.exit_code == 1, result.output
        assert "baris 2 [nomor_nik]: DITOLAK: NIK tertulis sebagai notasi ilmiah" in result.output
        assert "Tidak ada keluarga yang sah: tidak ada yang ditulis." in result.output
    assert counts() == EMPTY


def test_unreadable_file_exits_non_zero(runner, regions, tmp_path):
    path = tmp_path / "foto.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    result = run(runner, path, "--village", DESA_PASAR_IPUH, "--dry-run")
    assert result.exit_code == 1
    assert "Ditolak: Berkas ini bukan spreadsheet" in result.output


def test_kabupaten_import(runner, pasar_ipuh, pasar_mukomuko, make_file):
    rows, _ = synthetic.generate([pasar_ipuh, pasar_mukomuko], families_per_village=3, seed=6)
    path = make_file(rows, "xlsx")
    dry = run(runner, path, "--kabupaten", KAB_MUKOMUKO, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert counts() == EMPTY

    result = run(runner, path, "--kabupaten", "17.06")
    assert result.exit_code == 0, result.output
    assert counts()["persons"] == len(rows)
    villages = {household(row["nomor_kk"]).village_code for row in rows}
    assert villages == {DESA_PASAR_IPUH, KEL_PASAR_MUKOMUKO}


@pytest.mark.parametrize(
    "options",
    [
        (),
        ("--village", DESA_PASAR_IPUH, "--kabupaten", KAB_MUKOMUKO),
    ],
)
def test_exactly_one_target(runner, damaged, options):
    _, _, path = damaged
    result = run(runner, path, *options)
    assert result.exit_code == 2
    assert "Sebutkan tepat satu: --village KODE atau --kabupaten KODE." in result.output


@pytest.mark.parametrize("target", [("--village", KEC_IPUH), ("--village", "1706059999")])
def test_target_must_be_a_village_or_kabupaten(runner, damaged, target):
    _, _, path = damaged
    result = run(runner, path, *target)
    assert result.exit_code == 1
    assert "Wilayah tujuan impor harus satu desa/kelurahan atau kabupaten/kota." in result.output
    assert counts() == EMPTY
