"""A register import leaves the prelist of a village with a meeting under way alone."""

from __future__ import annotations

from portal.blueprints.meetings import services as meetings
from portal.blueprints.meetings.models import Meeting
from portal.demo import synthetic
from portal.extensions import db
from tests.factories import DESA_AIR_BULUH, DESA_PASAR_IPUH, KAB_MUKOMUKO, make_user
from tests.register.conftest import (  # noqa: F401  (importer is a fixture)
    counts,
    csv_bytes,
    errors_by_row,
    importer,
    village_of,
)


def _meeting_in(village: str, state: str) -> Meeting:
    user = make_user("sekretaris", village)
    meeting = meetings.create_meeting(
        village,
        meetings.MeetingData(
            "001",
            __import__("datetime").date(2026, 11, 24),
            None,
            "Balai",
            None,
            "Kades",
            "Sekdes",
            "2026-11",
        ),
        user=user,
    )
    meeting.state = state
    db.session.commit()
    return meeting


def test_village_import_is_refused_while_its_meeting_runs(client, auth, regions):
    _meeting_in(DESA_PASAR_IPUH, "in_session")
    auth.login_as(make_user("admin", KAB_MUKOMUKO))
    rows, _ = synthetic.generate([village_of(DESA_PASAR_IPUH)], families_per_village=3, seed=1)
    from io import BytesIO

    response = client.post(
        "/keluarga/impor",
        data={"target": DESA_PASAR_IPUH, "file": (BytesIO(csv_bytes(rows)), "p.csv")},
        content_type="multipart/form-data",
    )
    assert "sedang menjalankan musyawarah" in response.get_data(as_text=True)
    assert counts()["households"] == 0


def test_kabupaten_import_skips_only_the_busy_village(client, auth, regions, importer):
    _meeting_in(DESA_PASAR_IPUH, "scheduled")
    auth.login_as(make_user("admin", KAB_MUKOMUKO))
    rows, _ = synthetic.generate(
        [village_of(DESA_PASAR_IPUH), village_of(DESA_AIR_BULUH)], families_per_village=3, seed=2
    )
    record = importer.preview(csv_bytes(rows), KAB_MUKOMUKO)
    busy_rows = [i + 2 for i, row in enumerate(rows) if row["kode_wilayah"] == DESA_PASAR_IPUH]
    errors = errors_by_row(record)
    assert sorted(errors) == busy_rows
    assert all("sedang menjalankan musyawarah" in m[0] for m in errors.values())
    assert record.summary["families_in_file"] == 3  # Air Buluh's


def test_kabupaten_import_cannot_move_a_family_out_of_a_busy_village(
    client, auth, regions, importer
):
    from tests.register.conftest import seed_register

    rows, _ = synthetic.generate([village_of(DESA_PASAR_IPUH)], families_per_village=3, seed=7)
    seed_register(csv_bytes(rows), DESA_PASAR_IPUH)
    _meeting_in(DESA_PASAR_IPUH, "in_session")
    auth.login_as(make_user("admin", KAB_MUKOMUKO))
    moved = [dict(row) for row in rows]
    air_buluh = village_of(DESA_AIR_BULUH)
    for row in moved:
        row.update(kode_wilayah=air_buluh.code, desa_kelurahan=air_buluh.name)
    record = importer.preview(csv_bytes(moved), KAB_MUKOMUKO)
    assert record.summary["families_in_file"] == 0
    messages = [m for ms in errors_by_row(record).values() for m in ms]
    assert messages and all("sedang menjalankan musyawarah" in m for m in messages)
    from portal.blueprints.register.models import Household

    assert {h.village_code for h in db.session.execute(db.select(Household)).scalars()} == {
        DESA_PASAR_IPUH
    }
