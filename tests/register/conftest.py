"""Fixtures of the register tests: villages, logged-in users, files and the two-step import."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from portal.blueprints.regions.models import Region
from portal.blueprints.register.models import (
    Household,
    HouseholdEvent,
    Person,
    RegisterImport,
)
from portal.blueprints.users.models import User
from portal.demo import synthetic
from portal.extensions import db
from tests.factories import DESA_AIR_BULUH, DESA_PASAR_IPUH, KEL_PASAR_MUKOMUKO, Auth, make_user


def village_of(code: str) -> synthetic.Village:
    (found,) = synthetic.villages_from_regions([db.session.get(Region, code)])
    return found


@pytest.fixture
def pasar_ipuh(regions: None) -> synthetic.Village:
    return village_of(DESA_PASAR_IPUH)


@pytest.fixture
def air_buluh(regions: None) -> synthetic.Village:
    return village_of(DESA_AIR_BULUH)


@pytest.fixture
def pasar_mukomuko(regions: None) -> synthetic.Village:
    return village_of(KEL_PASAR_MUKOMUKO)


@pytest.fixture
def sekretaris(regions: None, auth: Auth) -> User:
    """The secretary of Pasar Ipuh, logged in."""
    user = make_user("sekretaris", DESA_PASAR_IPUH)
    auth.login_as(user)
    return user


def counts() -> dict[str, int]:
    """Rows of the register's tables."""
    return {
        name: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for name, model in (
            ("households", Household),
            ("persons", Person),
            ("events", HouseholdEvent),
        )
    }


def person(nik: str) -> Person | None:
    db.session.expire_all()
    return db.session.execute(select(Person).where(Person.nik == nik)).scalar_one_or_none()


def household(kk: str) -> Household | None:
    db.session.expire_all()
    return db.session.execute(select(Household).where(Household.kk == kk)).scalar_one_or_none()


def events_of(kk: str) -> list[HouseholdEvent]:
    found = household(kk)
    assert found is not None, kk
    return list(
        db.session.execute(
            select(HouseholdEvent)
            .where(HouseholdEvent.household_id == found.id)
            .order_by(HouseholdEvent.id)
        ).scalars()
    )


def csv_bytes(
    rows: Sequence[dict[str, str]],
    *,
    columns: Sequence[str] = synthetic.COLUMNS,
    header: Sequence[str] | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    """Rows as delimited text; `header` names the columns differently from the row keys."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or columns)
    writer.writerows([row.get(c, "") for c in columns] for row in rows)
    return buffer.getvalue().encode(encoding)


def family_rows(
    village: synthetic.Village,
    *,
    kk: str,
    members: Sequence[tuple[str, str, str]],
    **fields: str,
) -> list[dict[str, str]]:
    """Rows of one hand-made family: members as (nik, name, relation)."""
    base = {
        "provinsi": village.provinsi,
        "kabupaten_kota": village.kabupaten,
        "kecamatan": village.kecamatan,
        "desa_kelurahan": village.name,
        "kode_wilayah": village.code,
        "alamat": "Jl. Merdeka No. 1",
        "dusun": "Dusun I",
        "rt": "001",
        "rw": "001",
        "nomor_kk": kk,
        "pkh": "YA",
        "bpnt": "TIDAK",
        "pbi": "YA",
        "desil": "2",
    }
    base.update(fields)
    return [
        {**base, "nomor_nik": nik, "nama": name, "hubungan_keluarga": relation}
        for nik, name, relation in members
    ]


@dataclass
class Importer:
    """The two steps of an import through the web, as a secretary's browser does them."""

    client: FlaskClient
    app: Flask

    def upload(
        self, data: bytes | Path, target: str, filename: str = "prelist.csv", **kwargs: Any
    ) -> TestResponse:
        if isinstance(data, Path):
            filename = data.name
            data = data.read_bytes()
        return self.client.post(
            "/keluarga/impor",
            data={"target": target, "file": (io.BytesIO(data), filename)},
            content_type="multipart/form-data",
            **kwargs,
        )

    def preview(
        self, data: bytes | Path, target: str, filename: str = "prelist.csv"
    ) -> RegisterImport:
        """Upload and follow to the status page; the import record (validated: immediate)."""
        response = self.upload(data, target, filename)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        match = re.search(r"/keluarga/impor/(\d+)$", response.headers["Location"])
        assert match, response.headers["Location"]
        return self.record(int(match.group(1)))

    def record(self, import_id: int) -> RegisterImport:
        db.session.expire_all()
        found = db.session.get(RegisterImport, import_id)
        assert found is not None
        return found

    def page(self, import_id: int, **kwargs: Any) -> TestResponse:
        return self.client.get(f"/keluarga/impor/{import_id}", **kwargs)

    def confirm(self, import_id: int) -> RegisterImport:
        response = self.client.post(f"/keluarga/impor/{import_id}/konfirmasi")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return self.record(import_id)

    def cancel(self, import_id: int) -> RegisterImport:
        response = self.client.post(f"/keluarga/impor/{import_id}/batal")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return self.record(import_id)

    def run(self, data: bytes | Path, target: str, filename: str = "prelist.csv"):
        """Upload, check the preview, confirm: the applied import record."""
        record = self.preview(data, target, filename)
        assert record.status == "preview", (record.status, record.message)
        record = self.confirm(record.id)
        assert record.status == "done", (record.status, record.message)
        return record


@pytest.fixture
def importer(client: FlaskClient, app: Flask) -> Importer:
    return Importer(client, app)


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[..., Path]:
    """synthetic.write into tmp_path: make_file(rows, "xlsx", name=..., **write options)."""

    def make(rows: list[dict[str, str]], fmt: str = "csv", name: str | None = None, **options):
        suffix = {"xlsx": ".xlsx", "pipe": ".txt"}.get(fmt, ".csv")
        path = tmp_path / (name or f"prelist-{fmt}{suffix}")
        return synthetic.write(rows, path, fmt, **options)

    return make


def errors_by_row(record: RegisterImport) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for row, _column, message, severity in record.issues or []:
        if severity == "error":
            found.setdefault(row, []).append(message)
    return found


def seed_register(data: bytes, scope: str) -> None:
    """Put a file into the register directly (as `flask register import` does)."""
    from portal.blueprints.register import services
    from portal.blueprints.register.applying import apply_plan

    analysis = services.analyse(data, scope)
    assert not [i for i in analysis.issues if i.severity == "error"], analysis.issues[:5]
    apply_plan(analysis.plan, import_id=None, user_id=None)
    db.session.commit()


def text_of(response: TestResponse) -> str:
    """The response body with HTML entities undone (messages are compared as users read them)."""
    return html.unescape(response.get_data(as_text=True))
