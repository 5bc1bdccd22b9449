"""Property tests (Hypothesis): the NIK/KK parser and the import never fail on bad input.

- `parse_identity_number` (the one parser of NIK and No. KK, used by the import and by the
  meeting's new families) answers every input with exactly one of: the 16 digits, or a reason in
  words. Valid numbers come back unchanged whatever the spreadsheet put around them.
- The import, through the real upload route, with random malformed rows (missing columns, wrong
  dates, bad codes, duplicate NIKs, formula-looking cells, numbers as a spreadsheet stores them):
  never a 500; checking writes nothing; a confirmed import writes whole families or none of a
  family, and never touches another village.

The examples reuse one app and database per test (the function-scoped fixtures are safe to share:
each example is checked against a snapshot taken at its start, and what an example adds to the
register is removed at its end).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from portal.blueprints.register.models import Household, HouseholdEvent, Person, RegisterImport
from portal.blueprints.register.reading import COLUMNS
from portal.blueprints.register.values import nik_date_problem, parse_identity_number
from portal.demo import synthetic
from portal.extensions import db
from tests.factories import DESA_AIR_BULUH, DESA_PASAR_IPUH, Auth, make_user
from tests.register.conftest import Importer, csv_bytes, seed_register, village_of

SHARED_FIXTURES = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ASCII_DIGITS = "0123456789"


# --- NIK / No. KK ---------------------------------------------------------------------------


def sixteen_digits() -> st.SearchStrategy[str]:
    """Any 16 ASCII digits whose serial (last four) is not 0000."""
    return st.text(ASCII_DIGITS, min_size=16, max_size=16).filter(lambda s: s[-4:] != "0000")


def spreadsheet_forms(value: str) -> list[str]:
    """How a spreadsheet or a hand shows a 16-digit number it lost digits of."""
    head = f"{value[0]}.{value[1:6]}"
    return [
        f"{head}E+15",
        f"{head}e15",
        f"{head.replace('.', ',')}E+15",
        f"{value}.0",
        f"{value},00",
        f"{value[:-1]}.{value[-1]}",
    ]


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(ASCII_DIGITS + " .,'-eE+\t\u00a0", max_size=30),
    st.text(st.characters(categories=["Nd"]), max_size=20),  # any script's digits
    st.dates(),
    st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
    sixteen_digits().map(lambda s: s + "0" * 5),  # overlong
)


@SHARED_FIXTURES
@given(value=anything, label=st.sampled_from(["NIK", "No. KK"]))
def test_any_cell_gives_sixteen_digits_or_a_reason(app, value: Any, label: str):
    number, reason = parse_identity_number(value, label)
    assert (number is None) != (reason is None)
    if number is not None:
        assert re.fullmatch(r"[0-9]{16}", number) and not number.endswith("0000")
        problem = nik_date_problem(number)  # the next check never fails either
        assert problem is None or problem.strip()
    else:
        assert isinstance(reason, str) and label in reason


@SHARED_FIXTURES
@given(
    value=sixteen_digits(),
    left=st.sampled_from(["", " ", "  ", "'", " '", "\t"]),
    right=st.sampled_from(["", " ", "  ", "\t", "\u00a0"]),
    grouped=st.booleans(),
)
def test_a_valid_number_comes_back_unchanged(app, value: str, left: str, right: str, grouped):
    shown = " ".join(value[i : i + 4] for i in range(0, 16, 4)) if grouped else value
    assert parse_identity_number(left + shown + right, "NIK") == (value, None)


@SHARED_FIXTURES
@given(value=sixteen_digits(), pick=st.integers(0, 5))
def test_numbers_a_spreadsheet_mangled_are_refused_with_the_reason(app, value: str, pick: int):
    form = spreadsheet_forms(value)[pick]
    number, reason = parse_identity_number(form, "NIK")
    assert number is None
    assert "notasi ilmiah" in reason or "desimal" in reason or "hanya boleh berisi angka" in reason
    number, reason = parse_identity_number(float(value), "NIK")  # a numeric XLSX cell
    assert number is None and "sebagai angka" in reason


@SHARED_FIXTURES
@given(
    digits=st.text(ASCII_DIGITS, max_size=40).filter(lambda s: len(s) != 16),
    junk=st.sampled_from(["", ".", "-", "/", "O", "l", "\u0661", "\uff11"]),
    where=st.integers(0, 40),
)
def test_wrong_length_or_stray_characters_are_refused(app, digits: str, junk: str, where: int):
    value = digits[:where] + junk + digits[where:]
    number, reason = parse_identity_number(value, "No. KK")
    assert number is None and reason


@SHARED_FIXTURES
@given(
    prefix=st.text(ASCII_DIGITS, min_size=6, max_size=6),
    day=st.integers(1, 28),
    woman=st.booleans(),
    month=st.integers(1, 12),
    rest=st.text(ASCII_DIGITS, min_size=6, max_size=6).filter(lambda s: s[-4:] != "0000"),
)
def test_possible_birth_digits_pass_and_impossible_ones_are_named(
    app, prefix, day, woman, month, rest
):
    nik = f"{prefix}{day + 40 if woman else day:02d}{month:02d}{rest}"
    assert parse_identity_number(nik, "NIK") == (nik, None)
    assert nik_date_problem(nik) is None
    bad_month = f"{nik[:8]}{13 + month % 87:02d}{nik[10:]}"
    assert "Bulan lahir" in nik_date_problem(bad_month)


# --- the import, through the upload route ---------------------------------------------------

BAD_VALUES = [
    "",
    " ",
    "31-02-2020",
    "2099-12-31",
    "kemarin",
    "00/00/0000",
    "1.70605E+15",
    "1706052006850123.0",
    "1706050101900000",  # serial 0000
    "1706053213900001",  # impossible birth digits
    "=SUM(A1:A9)",
    "+6281234567",
    "-1",
    "@cmd",
    "'=1+1",
    "\t=1",
    "9999999999",
    "17.06.05.2006",
    "abc",
    "11",
    "0",
    "L/P",
    "X" * 300,
    "\u202eevil",
    "line\nbreak",
    '"',
    ";",
    "|",
    ",",
    "١٧٠٦٠٥٢٠٠٦٨٥٠١٢٣",
    "１７０６０５２００６８５０１２３",
]
MUTABLE = (
    "nomor_nik",
    "nomor_kk",
    "nama",
    "tanggal_lahir",
    "jenis_kelamin",
    "kode_wilayah",
    "desa_kelurahan",
    "hubungan_keluarga",
    "desil",
    "rt",
)
TYPED = st.one_of(  # what an XLSX cell may hold besides text
    st.integers(min_value=-(10**17), max_value=10**17),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    st.booleans(),
)


@pytest.fixture
def upload_world(app, client, regions):
    """Pasar Ipuh empty, Air Buluh with two families (another village: must never change), the
    secretary of Pasar Ipuh logged in, and a pool of valid Pasar Ipuh rows to damage."""
    rows, _ = synthetic.generate([village_of(DESA_AIR_BULUH)], families_per_village=2, seed=31)
    seed_register(csv_bytes(rows), DESA_AIR_BULUH)
    foreign_niks = [row["nomor_nik"] for row in rows]
    pool, _ = synthetic.generate([village_of(DESA_PASAR_IPUH)], families_per_village=4, seed=32)
    user = make_user("sekretaris", DESA_PASAR_IPUH)
    Auth(client).login_as(user)
    return Importer(client, app), pool, foreign_niks


def snapshot() -> dict[str, Any]:
    """Everything the register holds, row by row."""
    db.session.expire_all()
    households = {
        h.kk: (h.village_code, h.status, h.alamat, h.rt, h.rw, h.desil, h.updated_at)
        for h in db.session.execute(select(Household)).scalars()
    }
    persons = {
        p.nik: (p.household_id, p.name, p.birth_date, p.relation, p.updated_at)
        for p in db.session.execute(select(Person)).scalars()
    }
    events = db.session.execute(select(HouseholdEvent.id)).scalars().all()
    return {"households": households, "persons": persons, "events": sorted(events)}


def clear_village(code: str) -> None:
    ids = select(Household.id).where(Household.village_code == code)
    db.session.execute(delete(HouseholdEvent).where(HouseholdEvent.household_id.in_(ids)))
    db.session.execute(delete(Person).where(Person.household_id.in_(ids)))
    db.session.execute(delete(Household).where(Household.village_code == code))
    db.session.commit()


def file_bytes(rows: list[list[Any]], header: list[str], fmt: str) -> tuple[bytes, str]:
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        book = Workbook()
        sheet = book.active
        sheet.append(header)
        for row in rows:
            sheet.append(
                [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row]
            )
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue(), "prelist.xlsx"
    delimiter = {"csv": ",", "csv-semicolon": ";", "utf16-tab": "\t"}[fmt]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else str(v) for v in row] for row in rows])
    encoding = "utf-16" if fmt == "utf16-tab" else "utf-8"
    return buffer.getvalue().encode(encoding, errors="replace"), "prelist.csv"


@st.composite
def damaged_files(draw, pool: list[dict[str, str]], foreign_niks: list[str]):
    picked = draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=10))
    rows = [dict(pool[i]) for i in picked]
    fmt = draw(st.sampled_from(["csv", "csv-semicolon", "utf16-tab", "xlsx"]))
    bad = st.one_of(
        st.sampled_from(BAD_VALUES), st.sampled_from(foreign_niks), st.text(max_size=20)
    )
    if fmt == "xlsx":
        bad = st.one_of(bad, TYPED)
    mutations = draw(
        st.lists(
            st.tuples(st.integers(0, len(rows) - 1), st.sampled_from(MUTABLE), bad), max_size=6
        )
    )
    for index, column, value in mutations:
        rows[index][column] = value
    columns = list(COLUMNS)
    dropped = draw(st.none() | st.sampled_from(COLUMNS))
    if dropped is not None:
        columns.remove(dropped)
    data, name = file_bytes([[row.get(c) for c in columns] for row in rows], columns, fmt)
    clean = not mutations and dropped is None and len(set(picked)) == len(picked)
    return data, name, rows, clean


def kk_of(cell: Any) -> str | None:
    return parse_identity_number(cell, "No. KK")[0]


@pytest.mark.parametrize("confirm", [False, True], ids=["preview", "confirmed"])
def test_malformed_uploads_never_500_and_never_write_part_of_a_family(upload_world, confirm):
    importer, pool, foreign_niks = upload_world

    @settings(max_examples=60 if confirm else 100, deadline=None)
    @given(damaged_files(pool, foreign_niks))
    def check(drawn):
        data, filename, rows, clean = drawn
        before = snapshot()
        response = importer.upload(data, DESA_PASAR_IPUH, filename)
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 200:  # refused at the form: nothing stored
            event("refused at the upload form")
            assert snapshot() == before
            return
        import_id = int(response.headers["Location"].rsplit("/", 1)[1])
        page = importer.page(import_id)
        assert page.status_code == 200
        record = importer.record(import_id)
        assert record.status in ("preview", "failed"), record.status
        event(f"checked: {record.status}")
        assert snapshot() == before  # checking writes nothing
        if clean:
            assert record.status == "preview", record.message
        if not confirm or record.status != "preview":
            return
        if not record.summary["families_in_file"]:
            return
        response = importer.client.post(f"/keluarga/impor/{import_id}/konfirmasi")
        assert response.status_code == 302
        record = importer.record(import_id)
        assert record.status == "done", (record.status, record.message)
        event("confirmed and applied")
        after = snapshot()
        try:
            # Another village is never touched.
            assert {k: v for k, v in after["households"].items() if v[0] != DESA_PASAR_IPUH} == (
                before["households"]
            )
            # A family is in the register with every row the file has for its KK, or not at all.
            rows_per_kk: dict[str, int] = {}
            for row in rows:
                kk = kk_of(row.get("nomor_kk"))
                if kk:
                    rows_per_kk[kk] = rows_per_kk.get(kk, 0) + 1
            applied = {kk: v for kk, v in after["households"].items() if v[0] == DESA_PASAR_IPUH}
            for kk in applied:
                members = [p for p in after["persons"].values() if p[0] == _household_id(kk)]
                assert len(members) == rows_per_kk.get(kk), kk
            if clean:
                assert set(applied) == set(rows_per_kk)
        finally:
            clear_village(DESA_PASAR_IPUH)
            db.session.execute(delete(RegisterImport).where(RegisterImport.id == import_id))
            db.session.commit()

    check()


def _household_id(kk: str) -> int:
    return db.session.execute(select(Household.id).where(Household.kk == kk)).scalar_one()


def test_the_file_writer_here_makes_files_the_import_reads(upload_world):
    """The generator above is sound: an undamaged file of every format is accepted whole."""
    importer, pool, _foreign = upload_world
    columns = list(COLUMNS)
    for fmt in ("csv", "csv-semicolon", "utf16-tab", "xlsx"):
        data, name = file_bytes([[row[c] for c in columns] for row in pool], columns, fmt)
        record = importer.preview(data, DESA_PASAR_IPUH, name)
        assert record.status == "preview", (fmt, record.message)
        assert record.summary["rows_rejected"] == 0, (fmt, record.issues[:3])
        assert record.summary["families_in_file"] == 4
