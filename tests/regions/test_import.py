"""The regions import: `import_regions` and `flask regions import FILE [--skip-invalid]`.

Each test asserts what the database holds afterwards and what the operator reads on the terminal.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.audit import AuditEntry
from portal.blueprints.regions.models import Region
from portal.blueprints.regions.services import import_regions
from portal.extensions import db

SMALL_CSV = Path(__file__).parent.parent / "data" / "regions_small.csv"

# A header, a province, a kabupaten, a kecamatan and a desa: a file every bad line is added to.
GOOD = [
    "kode,nama",
    "17,Bengkulu",
    "17.06,Kabupaten Mukomuko",
    "17.06.05,Ipuh",
    "17.06.05.2006,Pasar Ipuh",
]


def stored() -> dict[str, tuple[str, int, str | None]]:
    """Every region in the database: code → (name, level, parent code)."""
    rows = db.session.execute(
        db.select(Region.code, Region.name, Region.level, Region.parent_code)
    ).all()
    return {code: (name, level, parent) for code, name, level, parent in rows}


def region_count() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(Region)).scalar_one()


def import_audit_entries() -> list[dict]:
    return list(
        db.session.execute(
            db.select(AuditEntry.details)
            .where(AuditEntry.action == "regions.import")
            .order_by(AuditEntry.id)
        ).scalars()
    )


def run_import(runner, path: Path, *options: str):
    return runner.invoke(args=["regions", "import", str(path), *options])


def summary(result) -> tuple[int, int, int, int]:
    """(added, changed, unchanged, rejected) from the command's last line."""
    match = re.search(
        r"(\d+) ditambah, (\d+) diubah, (\d+) tetap, (\d+) ditolak \([\d.]+ dtk\)\.",
        result.stdout,
    )
    assert match, result.output
    added, changed, unchanged, rejected = (int(g) for g in match.groups())
    return added, changed, unchanged, rejected


def reported_lines(result) -> list[int]:
    """The line numbers of the `baris N: ...` messages on stderr, in order."""
    return [int(n) for n in re.findall(r"^baris (\d+): ", result.stderr, flags=re.M)]


# --- a good file -------------------------------------------------------------------------------


def test_dotted_and_plain_codes_build_the_hierarchy(runner, csv_file):
    path = csv_file(
        "17,Bengkulu",
        "1706,Kabupaten Mukomuko",  # plain
        "17.06.05,Ipuh",  # dotted
        "1706052006,Pasar Ipuh",
        "17.06.02,Kota Mukomuko",
        "17.06.02.1009,Pasar Mukomuko",
        "17.71,Kota Bengkulu",
        "177101,Selebar",
        "17.71.01.1001,Pagar Dewa",
    )

    result = run_import(runner, path)

    assert result.exit_code == 0, result.output
    assert summary(result) == (9, 0, 0, 0)
    assert result.stderr == ""
    assert stored() == {
        "17": ("Bengkulu", 1, None),
        "1706": ("Kabupaten Mukomuko", 2, "17"),
        "170605": ("Ipuh", 3, "1706"),
        "1706052006": ("Pasar Ipuh", 4, "170605"),
        "170602": ("Kota Mukomuko", 3, "1706"),
        "1706021009": ("Pasar Mukomuko", 4, "170602"),
        "1771": ("Kota Bengkulu", 2, "17"),
        "177101": ("Selebar", 3, "1771"),
        "1771011001": ("Pagar Dewa", 4, "177101"),
    }


def test_kind_and_meeting_follow_the_code(app, csv_file):
    report = import_regions(
        csv_file(
            "13,Sumatera Barat",
            "13.69,Kabupaten Contoh",  # 69: the last kabupaten code
            "13.71,Kota Padang",  # 71: the first kota code
            "13.72,Kota Solok",
            "13.72.01,Lubuk Sikarah",
            "13.72.01.1001,Tanah Garam",
            "13.72.01.2001,Desa Contoh",
        )
    )
    db.session.commit()
    assert report.ok, report.errors
    db.session.expire_all()

    kinds = {
        region.code: (region.kind, region.meeting_kind)
        for region in db.session.execute(db.select(Region)).scalars()
    }
    assert kinds == {
        "13": ("provinsi", None),
        "1369": ("kabupaten", None),
        "1371": ("kota", None),
        "1372": ("kota", None),
        "137201": ("kecamatan", None),
        "1372011001": ("kelurahan", "muskel"),
        "1372012001": ("desa", "musdes"),
    }


def test_import_writes_one_audit_entry(runner):
    result = run_import(runner, SMALL_CSV)

    assert result.exit_code == 0, result.output
    assert summary(result) == (14, 0, 0, 0)
    assert import_audit_entries() == [{"added": 14, "changed": 0, "unchanged": 0, "rejected": 0}]


def test_reimport_adds_and_changes_nothing(runner):
    first = run_import(runner, SMALL_CSV)
    assert first.exit_code == 0, first.output
    before = stored()

    second = run_import(runner, SMALL_CSV)

    assert second.exit_code == 0, second.output
    assert summary(second) == (0, 0, 14, 0)
    assert stored() == before
    assert region_count() == 14
    # Nothing written, nothing audited.
    assert len(import_audit_entries()) == 1


def test_renamed_region_is_counted_as_changed(runner, regions, csv_file):
    text = SMALL_CSV.read_text(encoding="utf-8").splitlines()
    renamed = ["17.06.05,Ipuh Baru" if line == "17.06.05,Ipuh" else line for line in text]
    assert renamed != text

    result = run_import(runner, csv_file(*renamed))

    assert result.exit_code == 0, result.output
    assert summary(result) == (0, 1, 13, 0)
    regions_now = stored()
    assert regions_now["170605"] == ("Ipuh Baru", 3, "1706")
    assert regions_now["1706052006"] == ("Pasar Ipuh", 4, "170605")
    assert region_count() == 14
    assert import_audit_entries()[-1] == {
        "added": 0,
        "changed": 1,
        "unchanged": 13,
        "rejected": 0,
    }


def test_child_may_hang_on_a_parent_already_in_the_database(runner, regions, csv_file):
    result = run_import(runner, csv_file("17.06.05.2099,Desa Baru"))

    assert result.exit_code == 0, result.output
    assert summary(result) == (1, 0, 0, 0)
    assert stored()["1706052099"] == ("Desa Baru", 4, "170605")


@pytest.mark.parametrize(
    "header",
    ["kode,nama", "Kode,Nama", "KODE,NAMA", "code,name", None],
    ids=["kode", "Kode", "KODE", "code", "none"],
)
def test_header_row_is_optional(runner, csv_file, header):
    lines = ["17,Bengkulu", "17.06,Kabupaten Mukomuko"]
    path = csv_file(*([header] if header else []), *lines)

    result = run_import(runner, path)

    assert result.exit_code == 0, result.output
    assert summary(result) == (2, 0, 0, 0)
    assert set(stored()) == {"17", "1706"}


def test_windows_1252_file_keeps_its_accents(runner, csv_file):
    path = csv_file(
        "kode,nama",
        "53,Nusa Tenggara Timur",
        "53.07,Kabupaten Sikka",
        "53.07.01,Paga",
        "53.07.01.2021,Regapu\u2019u",  # right single quote: 0x92 in Windows-1252
        "53.07.01.2022,Désa Ménara – Timur",
        encoding="cp1252",
        newline="\r\n",
    )
    raw = path.read_bytes()
    assert b"\x92" in raw and b"\xe9" in raw  # really Windows-1252, not UTF-8

    result = run_import(runner, path)

    assert result.exit_code == 0, result.output
    assert summary(result) == (5, 0, 0, 0)
    regions_now = stored()
    assert regions_now["5307012021"][0] == "Regapu\u2019u"
    assert regions_now["5307012022"][0] == "Désa Ménara – Timur"


@pytest.mark.parametrize("header", [True, False], ids=["with-header", "without-header"])
def test_utf8_bom_file_imports(runner, csv_file, header):
    lines = ["17,Bengkulu", "17.06,Kabupaten Mukomuko", "17.06.05,Ipuh"]
    path = csv_file(*(["kode,nama"] if header else []), *lines, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    result = run_import(runner, path)

    assert result.exit_code == 0, result.output
    assert summary(result) == (3, 0, 0, 0)
    assert set(stored()) == {"17", "1706", "170605"}


def test_semicolon_file_with_commas_in_names(runner, csv_file):
    path = csv_file(
        "kode;nama",
        "12;Sumatera Utara",
        "12.07;Kabupaten Deli Serdang",
        "12.07.28;Lubuk Pakam",
        "12.07.28.1007;Lubuk Pakam I,II",
        newline="\r\n",
    )

    result = run_import(runner, path)

    assert result.exit_code == 0, result.output
    assert summary(result) == (4, 0, 0, 0)
    assert stored()["1207281007"] == ("Lubuk Pakam I,II", 4, "120728")


def test_quoted_name_with_comma(runner, csv_file):
    path = csv_file(*GOOD, '17.06.05.1007,"Lubuk Pakam I,II"')

    result = run_import(runner, path)

    assert result.exit_code == 0, result.output
    assert stored()["1706051007"] == ("Lubuk Pakam I,II", 4, "170605")


# --- bad lines ---------------------------------------------------------------------------------

# (bad line appended after GOOD, so on line 6; the message the operator must read)
BAD_LINES = {
    "short-code": ("17.6,Bengkulu Salah", "kode wilayah tidak sah: '17.6'"),
    "eight-digits": ("17060520,Salah", "kode wilayah tidak sah: '17060520'"),
    "letters": ("17.06.O5,Salah", "kode wilayah tidak sah: '17.06.O5'"),
    "non-ascii-digits": ("\u0661\u0667,Bengkulu", "kode wilayah tidak sah: '\u0661\u0667'"),
    "village-part-3": (
        "17.06.05.4001,Desa Empat",
        "kode desa/kelurahan '17.06.05.4001' harus diawali 1 (kelurahan), 2 (desa) atau 3",
    ),
    "village-part-0-plain": (
        "1706050001,Desa Nol",
        "kode desa/kelurahan '1706050001' harus diawali 1 (kelurahan), 2 (desa) atau 3",
    ),
    "empty-name": ("17.06.05.2005,  ", "nama wilayah kosong"),
    "no-name-column": ("17.06.05.2005", "harus 2 kolom (kode,nama), ditemukan 1"),
    "three-columns": ("17.06.05.2005,Pulau Baru,Ipuh", "harus 2 kolom (kode,nama), ditemukan 3"),
    "long-name": ("17.06.05.2005," + "x" * 201, "nama wilayah lebih dari 200 karakter"),
    "duplicate-other-name": (
        "17.06.05,Ipuh Lain",
        "kode 17.06.05 sudah ada di baris 4 dengan nama lain",
    ),
    "missing-parent": (
        "17.09.01.2001,Desa Yatim",
        "induk wilayah 170901 tidak ada di berkas maupun di basis data",
    ),
}


@pytest.mark.parametrize(("bad", "message"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_bad_line_is_reported_and_nothing_is_written(app, csv_file, bad, message):
    path = csv_file(*GOOD, bad)

    report = import_regions(path)

    assert len(report.errors) == 1, report.errors
    line, text = report.errors[0]
    assert line == 6
    assert message in text
    assert not report.written
    assert report.added == 0
    db.session.commit()
    assert region_count() == 0


@pytest.mark.parametrize(("bad", "message"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_cli_refuses_a_file_with_a_bad_line(runner, csv_file, bad, message):
    result = run_import(runner, csv_file(*GOOD, bad))

    assert result.exit_code == 1, result.output
    assert f"baris 6: {message}" in result.stderr
    assert "1 baris salah; tidak ada yang ditulis" in result.stderr
    assert "--skip-invalid" in result.stderr
    assert "ditambah" not in result.stdout
    assert region_count() == 0
    assert import_audit_entries() == []


def test_same_code_twice_with_the_same_name_is_not_an_error(runner, csv_file):
    result = run_import(runner, csv_file(*GOOD, "17.06.05,Ipuh", "1706052006,Pasar Ipuh"))

    assert result.exit_code == 0, result.output
    assert summary(result) == (4, 0, 0, 0)
    assert region_count() == 4


def test_every_bad_line_is_reported_with_its_line_number(runner, csv_file):
    path = csv_file(
        "kode,nama",  # 1
        "17,Bengkulu",  # 2
        "17.6,Salah",  # 3
        "",  # 4: blank lines are skipped but still counted
        "17.06,Kabupaten Mukomuko",  # 5
        "17.06.05,",  # 6
        "17.06.02,Kota Mukomuko",  # 7
        "17.06.02.1009,Pasar Mukomuko,Kota Mukomuko",  # 8
        "17.06.02.4001,Desa Empat",  # 9
        "17.06,Mukomuko",  # 10
        "18.01.01,Kecamatan Tanpa Induk",  # 11
    )

    result = run_import(runner, path)

    assert result.exit_code == 1
    assert reported_lines(result) == [3, 6, 8, 9, 10, 11]
    assert "baris 10: kode 17.06 sudah ada di baris 5 dengan nama lain" in result.stderr
    assert "baris 11: induk wilayah 1801 tidak ada" in result.stderr
    assert "6 baris salah; tidak ada yang ditulis" in result.stderr
    assert region_count() == 0


def test_bad_file_changes_nothing_already_stored(runner, regions, csv_file):
    before = stored()
    path = csv_file(
        "17.06.05,Ipuh Baru",  # a rename
        "17.06.05.2099,Desa Baru",  # a new village
        "17.06.05.2100,",  # a bad line
    )

    result = run_import(runner, path)

    assert result.exit_code == 1
    assert reported_lines(result) == [3]
    assert stored() == before


def test_skip_invalid_imports_the_good_lines_and_reports_the_bad(runner, csv_file):
    path = csv_file(
        *GOOD,  # 1-5
        "17.06.05.4001,Desa Empat",  # 6
        "17.06.05.2005,Pulau Baru",  # 7
        "17.06.05.2004,",  # 8
        "17.06.05.2004,Air Buluh",  # 9: a good line for the same code as the bad one
    )

    result = run_import(runner, path, "--skip-invalid")

    assert result.exit_code == 0, result.output
    assert reported_lines(result) == [6, 8]
    assert summary(result) == (6, 0, 0, 2)
    assert set(stored()) == {"17", "1706", "170605", "1706052006", "1706052005", "1706052004"}
    assert import_audit_entries() == [{"added": 6, "changed": 0, "unchanged": 0, "rejected": 2}]


def test_child_of_a_rejected_parent_is_rejected_too(runner, csv_file):
    path = csv_file(
        "17,Bengkulu",  # 1
        "17.06,",  # 2: rejected (no name)
        "17.06.05,Ipuh",  # 3: its parent is not importable
        "17.06.05.2006,Pasar Ipuh",  # 4: its grandparent was rejected
        "17.71,Kota Bengkulu",  # 5
        "17.71.01,Selebar,Kota",  # 6: rejected (3 columns)
        "17.71.01.1001,Pagar Dewa",  # 7: its parent was rejected
        "17.71.02,Gading Cempaka",  # 8
    )

    strict = run_import(runner, path)
    assert strict.exit_code == 1
    assert reported_lines(strict) == [2, 3, 4, 6, 7]
    assert region_count() == 0

    result = run_import(runner, path, "--skip-invalid")

    assert result.exit_code == 0, result.output
    assert reported_lines(result) == [2, 3, 4, 6, 7]
    assert "baris 4: induk wilayah 170605 ditolak" in result.stderr
    assert "baris 7: induk wilayah 177101" in result.stderr
    assert summary(result) == (3, 0, 0, 5)
    assert set(stored()) == {"17", "1771", "177102"}


def test_stray_quote_does_not_swallow_lines_silently(runner, csv_file):
    path = csv_file(
        "kode,nama",  # 1
        "17,Bengkulu",  # 2
        '17.06,"Kabupaten Mukomuko',  # 3: the quote is never closed on this line...
        "17.06.05,Ipuh",  # 4: ...so lines 4 and 5 become part of the name
        '17.06.05.2006,"Pasar Ipuh"',  # 5
        "17.6,Salah",  # 6
    )

    result = run_import(runner, path, "--skip-invalid")

    assert result.exit_code == 0, result.output
    assert reported_lines(result) == [3, 6]
    assert "baris 3: nama wilayah memuat baris baru" in result.stderr
    assert "baris 6: kode wilayah tidak sah: '17.6'" in result.stderr
    assert stored() == {"17": ("Bengkulu", 1, None)}


# --- the national file -------------------------------------------------------------------------

PROVINCES, KABUPATEN_KOTA, KECAMATAN, VILLAGES = 38, 514, 7_285, 83_762
KOTA, KELURAHAN, DESA = 98, 8_496, 75_266  # DESA includes the 14 desa adat
# The national file holds 14 "Desa Adat" of Kabupaten Jayapura (91.03) whose village part
# starts with 3: they are desa (musdes) like any other.
DESA_ADAT = 14


def test_national_file(runner, national_regions_csv):
    text = national_regions_csv.read_text(encoding="utf-8-sig")
    assert len(text.splitlines()) == 1 + PROVINCES + KABUPATEN_KOTA + KECAMATAN + VILLAGES
    desa_adat_lines = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if re.match(r"^\d\d\.\d\d\.\d\d\.3\d{3},", line)
    ]
    assert len(desa_adat_lines) == DESA_ADAT
    desa_adat_code = text.splitlines()[desa_adat_lines[0] - 1].split(",")[0].replace(".", "")

    first = run_import(runner, national_regions_csv)

    imported = PROVINCES + KABUPATEN_KOTA + KECAMATAN + VILLAGES
    assert first.exit_code == 0, first.output
    assert summary(first) == (imported, 0, 0, 0)
    by_level = dict(
        db.session.execute(db.select(Region.level, db.func.count()).group_by(Region.level)).all()
    )
    assert by_level == {
        1: PROVINCES,
        2: KABUPATEN_KOTA,
        3: KECAMATAN,
        4: VILLAGES,
    }
    kota = db.session.execute(
        db.select(db.func.count())
        .select_from(Region)
        .where(Region.level == 2, db.func.substr(Region.code, 3, 2) >= "71")
    ).scalar_one()
    kelurahan = db.session.execute(
        db.select(db.func.count())
        .select_from(Region)
        .where(Region.level == 4, db.func.substr(Region.code, 7, 1) == "1")
    ).scalar_one()
    assert (kota, kelurahan) == (KOTA, KELURAHAN)
    assert VILLAGES - kelurahan == DESA
    orphans = db.session.execute(
        db.select(db.func.count())
        .select_from(Region)
        .where(
            Region.parent_code.is_not(None),
            ~Region.parent_code.in_(db.select(Region.code).scalar_subquery()),
        )
    ).scalar_one()
    assert orphans == 0

    adat = db.session.get(Region, desa_adat_code)
    assert adat.is_desa_adat and adat.kind == "desa" and adat.meeting_kind == "musdes"

    again = run_import(runner, national_regions_csv)

    assert again.exit_code == 0, again.output
    assert summary(again) == (0, 0, imported, 0)
    assert region_count() == imported
