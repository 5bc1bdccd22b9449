"""The dashboard's figures against the known meeting of tests/review/conftest.py (its decisions
are listed in EXPECTED there), on the page, in the kecamatan rows and in the CSV."""

from __future__ import annotations

import json
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.entry.models import EntryMark
from portal.blueprints.regions.models import Region
from portal.extensions import db
from tests.dashboard.helpers import cells, csv_rows, row_of, summary, text_of
from tests.factories import DESA_PASAR_IPUH, KEC_IPUH
from tests.review.conftest import EXPECTED, FAMILIES

JAKARTA = ZoneInfo("Asia/Jakarta")
NUMBER = "005/BA-MD/XI/2026"  # build_decided's meeting
MEETING_DATE = "2026-11-20"  # tests.meetings.conftest.meeting_data
CSV_COLUMNS = [
    "kode_kecamatan",
    "kecamatan",
    "kode_desa_kelurahan",
    "desa_kelurahan",
    "musyawarah_terakhir_nomor",
    "musyawarah_terakhir_tanggal",
    "musyawarah_terakhir_dikonfirmasi",
    "musyawarah_dikonfirmasi_periode",
    "keluarga_diverifikasi",
    "keluar",
    "keluar_sudah_mampu",
    "keluar_meninggal",
    "keluar_pindah",
    "keluar_ganda",
    "keluar_tidak_ditemukan",
    "keluar_lainnya",
    "baru",
    "perbaikan",
    "entri_selesai",
    "entri_ditolak_siks",
    "entri_total",
    "entri_persen",
    "berisiko_data_beku",
]


def confirmed_on(review) -> str:
    moment = review.created_at
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(JAKARTA).date().isoformat()


def mark(meeting, households, entered: int, rejected: int) -> None:
    for household in households[:entered]:
        db.session.add(
            EntryMark(
                meeting_id=meeting.id,
                household_id=household.id,
                category="tetap",
                status="entered",
            )
        )
    for household in households[entered : entered + rejected]:
        db.session.add(
            EntryMark(
                meeting_id=meeting.id,
                household_id=household.id,
                category="tetap",
                status="rejected",
                reason="NIK tidak padan Dukcapil",
            )
        )
    db.session.commit()


@pytest.fixture
def camat(client, auth, users):
    auth.login_as(users["camat"])
    return users["camat"]


def test_the_village_row_shows_the_meeting_decisions(client, camat, confirmed) -> None:
    meeting, review = confirmed
    response = client.get("/dasbor/")
    row = cells(row_of(response, "data-village", DESA_PASAR_IPUH))
    assert row == [
        "Pasar Ipuh",
        f"{NUMBER} tanggal {MEETING_DATE}, dikonfirmasi {confirmed_on(review)}",
        "1",
        str(FAMILIES),
        "2 Sudah mampu 1, Meninggal 1",
        str(EXPECTED["baru"]),
        str(EXPECTED["perbaikan"]),
        f"0 dari {EXPECTED['entry_total']} (0%)",
        "terkini",
    ]
    assert f'href="/musyawarah/{meeting.id}"' in row_of(response, "data-village", DESA_PASAR_IPUH)
    assert 'class="issue-error"' not in row_of(response, "data-village", DESA_PASAR_IPUH)
    # The two other villages of Ipuh have no confirmed meeting: at risk.
    for code in ("1706052004", "1706052005"):
        other = row_of(response, "data-village", code)
        assert 'class="issue-error"' in other and "berisiko data beku" in other
        assert "Belum ada" in other
    assert summary(response) == {
        "villages": "3",
        "meetings": "1",
        "at_risk": "2",
        "families": str(FAMILIES),
        "removed": "2",
        "added": "1",
        "corrected": "1",
        "entry": "0%",
    }


def test_the_figures_are_the_berita_acara_counts(client, camat, confirmed) -> None:
    """The SQL aggregates agree with the locked decided list (the canonical JSON)."""
    meeting, _ = confirmed
    counts = json.loads(ba_services.of_meeting(meeting.id).canonical)["counts"]
    (row,) = [
        r
        for r in csv_rows(client.get("/dasbor/unduh.csv"))
        if r["kode_desa_kelurahan"] == DESA_PASAR_IPUH
    ]
    assert int(row["keluarga_diverifikasi"]) == counts["families"] == EXPECTED["families"]
    assert int(row["keluar"]) == counts["keluar"] == EXPECTED["keluar"]
    by_reason = {k: v for k, v in counts["keluar_by_reason"].items() if v}
    assert by_reason == EXPECTED["keluar_by_reason"]
    for reason, n in by_reason.items():
        assert int(row[f"keluar_{reason}"]) == n
    assert int(row["baru"]) == counts["baru"]
    assert int(row["perbaikan"]) == counts["perbaikan"]


def test_entry_progress_counts_the_operator_marks(
    client, camat, auth, users, confirmed, register
) -> None:
    meeting, _ = confirmed
    mark(meeting, register, entered=2, rejected=1)
    response = client.get("/dasbor/")
    total = EXPECTED["entry_total"]
    percent = 3 * 100 // total
    assert cells(row_of(response, "data-village", DESA_PASAR_IPUH))[7] == (
        f"3 dari {total} ({percent}%)"
    )
    assert summary(response)["entry"] == f"{percent}%"
    (row,) = [
        r
        for r in csv_rows(client.get("/dasbor/unduh.csv"))
        if r["kode_desa_kelurahan"] == DESA_PASAR_IPUH
    ]
    assert (row["entri_selesai"], row["entri_ditolak_siks"]) == ("3", "1")
    assert (row["entri_total"], row["entri_persen"]) == (str(total), str(percent))
    auth.logout()
    auth.login_as(users["admin"])
    kecamatan = cells(row_of(client.get("/dasbor/"), "data-kecamatan", KEC_IPUH))
    # Kecamatan, villages, at risk, meetings, families, removed, added, corrected, entry.
    assert kecamatan == ["Ipuh", "3", "2", "1", str(FAMILIES), "2", "1", "1", f"{percent}%"]


def test_a_returned_meeting_does_not_count(client, camat, returned) -> None:
    response = client.get("/dasbor/")
    row = row_of(response, "data-village", DESA_PASAR_IPUH)
    assert "Belum ada" in row and "berisiko data beku" in row and NUMBER not in row
    assert summary(response)["meetings"] == "0"
    assert summary(response)["at_risk"] == "3"
    assert summary(response)["entry"] == "—"


def test_village_csv(client, camat, confirmed) -> None:
    _, review = confirmed
    response = client.get("/dasbor/unduh.csv")
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="dasbor-{KEC_IPUH}-'
    )
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data().decode("utf-8-sig")
    assert text.splitlines()[0].split(",") == CSV_COLUMNS
    rows = {row["kode_desa_kelurahan"]: row for row in csv_rows(response)}
    assert list(rows) == ["1706052004", "1706052005", DESA_PASAR_IPUH]
    assert rows[DESA_PASAR_IPUH] == {
        "kode_kecamatan": KEC_IPUH,
        "kecamatan": "Ipuh",
        "kode_desa_kelurahan": DESA_PASAR_IPUH,
        "desa_kelurahan": "Pasar Ipuh",
        "musyawarah_terakhir_nomor": NUMBER,
        "musyawarah_terakhir_tanggal": MEETING_DATE,
        "musyawarah_terakhir_dikonfirmasi": confirmed_on(review),
        "musyawarah_dikonfirmasi_periode": "1",
        "keluarga_diverifikasi": str(FAMILIES),
        "keluar": "2",
        "keluar_sudah_mampu": "1",
        "keluar_meninggal": "1",
        "keluar_pindah": "0",  # proposed, but rejected by the meeting
        "keluar_ganda": "0",
        "keluar_tidak_ditemukan": "0",
        "keluar_lainnya": "0",
        "baru": "1",
        "perbaikan": "1",
        "entri_selesai": "0",
        "entri_ditolak_siks": "0",
        "entri_total": str(EXPECTED["entry_total"]),
        "entri_persen": "0",
        "berisiko_data_beku": "TIDAK",
    }
    assert rows["1706052004"]["berisiko_data_beku"] == "YA"
    assert rows["1706052004"]["musyawarah_terakhir_nomor"] == ""
    assert rows["1706052004"]["entri_persen"] == ""


def test_csv_cells_cannot_run_as_formulas(client, camat, confirmed) -> None:
    db.session.get(Region, DESA_PASAR_IPUH).name = '=HYPERLINK("http://x","Pasar Ipuh")'
    db.session.commit()
    rows = csv_rows(client.get("/dasbor/unduh.csv"))
    names = [row["desa_kelurahan"] for row in rows]
    assert '\'=HYPERLINK("http://x","Pasar Ipuh")' in names
    assert not any(name.startswith("=") for name in names)


def test_monthly_csv(client, camat, confirmed) -> None:
    _, review = confirmed
    month = confirmed_on(review)[:7]
    rows = csv_rows(client.get("/dasbor/per-bulan.csv"))
    assert list(rows[0]) == [
        "bulan",
        "musyawarah_dikonfirmasi",
        "keluarga_keluar",
        "keluarga_baru",
        "keluarga_perbaikan",
    ]
    assert len(rows) == 12 and rows[-1]["bulan"] == month
    assert [r["bulan"] for r in rows] == sorted(r["bulan"] for r in rows)
    assert rows[-1] == {
        "bulan": month,
        "musyawarah_dikonfirmasi": "1",
        "keluarga_keluar": "2",
        "keluarga_baru": "1",
        "keluarga_perbaikan": "1",
    }
    assert all(r["musyawarah_dikonfirmasi"] == "0" for r in rows[:-1])
    assert len(csv_rows(client.get("/dasbor/per-bulan.csv?bulan=3"))) == 3


def test_the_page_states_the_rule(client, camat, confirmed) -> None:
    page = text_of(client.get("/dasbor/"))
    assert "lebih dari 3 bulan" in page


def test_a_few_queries_whatever_the_number_of_villages(app, users, confirmed) -> None:
    """The figures come from aggregate queries over the area, not one query per village."""
    from flask_login import login_user
    from sqlalchemy import event

    from portal.blueprints.dashboard import services

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.test_request_context():
        login_user(users["admin"])
        area = db.session.get(Region, "1706")
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            dashboard = services.build(area, user=users["admin"])
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert dashboard.totals.villages == 5 and dashboard.totals.meetings == 1
    assert len(statements) <= 6, statements
