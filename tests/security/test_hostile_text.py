"""Control characters (a vertical tab pasted from a spreadsheet made two XLSX exports answer 500):
refused at import with the row, refused in every form field, cleaned from every export."""

from __future__ import annotations

import csv
import html
import io

import flask_wtf
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from wtforms import HiddenField, StringField, TextAreaField

from portal import forms
from portal.blueprints.regions.models import Region
from portal.blueprints.register.models import Household, Person
from portal.demo import synthetic
from portal.extensions import db
from tests.entry.conftest import (  # noqa: F401  (fixtures)
    confirmed,
    locked,
    register,
    sekretaris,
    users,
)
from tests.factories import DESA_PASAR_IPUH, make_user
from tests.register.conftest import Importer, counts, csv_bytes, errors_by_row, text_of

CONTROL = ["\x0b", "\x00", "\x1b", "\x7f", "\x9b", "\ufffe", "\uffff", "\t", "\n"]


@pytest.mark.parametrize("character", CONTROL, ids=repr)
def test_import_refuses_a_control_character_with_its_row(app, client, auth, regions, character):
    auth.login_as(make_user("sekretaris", DESA_PASAR_IPUH))
    (village,) = synthetic.villages_from_regions([db.session.get(Region, DESA_PASAR_IPUH)])
    rows, _ = synthetic.generate([village], families_per_village=1, seed=7)
    rows[0]["nama"] = f"BUDI{character}SANTOSO"
    importer = Importer(client, app)
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    if character == "\x00":  # a NUL makes the whole file binary: refused as a whole
        assert record.status == "failed" and "bukan spreadsheet" in record.message
    else:
        errors = errors_by_row(record)
        assert list(errors) == [2], (record.status, record.message)  # the header is row 1
        assert "Kolom nama berisi karakter kontrol" in errors[2][0]
        assert "Kolom nama berisi karakter kontrol" in text_of(importer.page(record.id))
    if record.status == "preview":
        client.post(f"/keluarga/impor/{record.id}/konfirmasi")
    assert counts() == {"households": 0, "persons": 0, "events": 0}


def _store_hostile_name() -> tuple[Person, str]:
    person = (
        db.session.execute(
            select(Person).join(Household).where(Household.village_code == DESA_PASAR_IPUH)
        )
        .scalars()
        .first()
    )
    clean = person.name
    # \x01, not NUL: PostgreSQL cannot store a NUL in text (import refuses it on both).
    person.name = f"\x0b{clean[:3]}\x01\x1b{clean[3:]}\ufffe"
    person.household.alamat = "Jl. Merdeka\x0c No. 1"
    db.session.commit()
    return person, clean


def test_village_exports_clean_stored_control_characters(client, auth, request) -> None:
    users = request.getfixturevalue("users")
    request.getfixturevalue("register")
    person, clean = _store_hostile_name()
    auth.login_as(users["admin"])
    response = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    by_nik = {row[header.index("nomor_nik")]: row for row in rows}
    assert by_nik[person.nik][header.index("nama")] == clean
    assert by_nik[person.nik][header.index("alamat")] == "Jl. Merdeka No. 1"
    response = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.csv")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    assert clean in text and "\x0b" not in text and "\x01" not in text and "\ufffe" not in text


def test_operator_exports_clean_stored_control_characters(client, auth, request) -> None:
    users = request.getfixturevalue("users")
    meeting, _review = request.getfixturevalue("confirmed")
    _person, clean = _store_hostile_name()
    auth.login_as(users["operator"])
    response = client.get(f"/entri/{meeting.id}/keputusan.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    cells = [
        value
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]
    assert clean in cells
    assert not [c for c in cells if any(ch in c for ch in "\x0b\x00\x01\x1b\x0c\ufffe")]
    response = client.get(f"/entri/{meeting.id}/keputusan.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    flat = [cell for row in rows for cell in row]
    assert clean in flat
    assert not [c for c in flat if any(ch in c for ch in "\x0b\x00\x01\x1b\x0c\ufffe")]


def test_a_form_field_refuses_control_characters(client, auth, request) -> None:
    users = request.getfixturevalue("users")
    auth.login_as(users["admin"])
    response = client.post(
        "/admin/pengguna/baru",
        data={
            "username": "dewi.sekdes",
            "full_name": "Dewi\x0bLestari",
            "role": "sekretaris",
            "region_code": DESA_PASAR_IPUH,
            "email": "",
            "phone": "",
            "password": "",
        },
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Berisi karakter kontrol yang tidak terlihat" in page
    from portal.blueprints.users.models import User

    assert (
        db.session.execute(select(User).where(User.username == "dewi.sekdes")).scalar_one_or_none()
        is None
    )


class _Sample(forms.FlaskForm):
    line = StringField()
    note = TextAreaField()
    token = HiddenField()


@pytest.mark.parametrize(
    ("line", "note", "refused"),
    [
        ("Budi Santoso", "baris satu\r\nbaris\tdua", set()),
        ("Budi\tSantoso", "ok", {"line"}),
        ("Budi\nSantoso", "ok", {"line"}),
        ("Budi", "a\x0bb", {"note"}),
        ("Budi\x85", "a\uffffb", {"line", "note"}),
    ],
)
def test_text_fields_refuse_control_characters_areas_keep_line_breaks(app, line, note, refused):
    with app.test_request_context(method="POST", data={"line": line, "note": note}):
        form = _Sample()
        assert form.validate() is not bool(refused)
        assert {name for name, errors in form.errors.items() if errors} == refused


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_portal_form_refuses_control_characters(app) -> None:
    """A new form that derives from Flask-WTF directly would let control characters in."""
    outside = [
        f"{cls.__module__}.{cls.__name__}"
        for cls in _subclasses(flask_wtf.FlaskForm)
        if cls.__module__.startswith("portal.") and not issubclass(cls, forms.FlaskForm)
    ]
    assert outside == []
