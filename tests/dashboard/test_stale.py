"""The stale-village rule ("berisiko data beku") with a frozen clock: no confirmed meeting for
more than the kabupaten's `stale_months` (default 3) months."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.blueprints.dashboard import services
from portal.blueprints.meetings.models import KabupatenRules
from portal.extensions import db
from tests.dashboard.helpers import csv_rows, row_of, summary
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO


def confirmation_day(review) -> date:
    moment = review.created_at
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo("Asia/Jakarta")).date()


def freeze(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    monkeypatch.setattr(services, "today", lambda: day)


def at_risk(client) -> bool:
    response = client.get("/dasbor/")
    row = row_of(response, "data-village", DESA_PASAR_IPUH)
    shown = "berisiko data beku" in row
    (csv_row,) = [
        r
        for r in csv_rows(client.get("/dasbor/unduh.csv"))
        if r["kode_desa_kelurahan"] == DESA_PASAR_IPUH
    ]
    assert (csv_row["berisiko_data_beku"] == "YA") == shown  # page and CSV agree
    return shown


@pytest.fixture
def camat(client, auth, users):
    auth.login_as(users["camat"])
    return users["camat"]


def test_two_months_after_is_not_at_risk_four_months_is(
    client, camat, confirmed, monkeypatch
) -> None:
    day = confirmation_day(confirmed[1])
    freeze(monkeypatch, day)
    assert not at_risk(client)
    freeze(monkeypatch, day + timedelta(days=61))  # two months, whatever the months
    assert not at_risk(client)
    freeze(monkeypatch, day + timedelta(days=4 * 31))  # four months and more
    assert at_risk(client)
    assert summary(client.get("/dasbor/"))["at_risk"] == "3"


def test_the_kabupaten_sets_the_number_of_months(client, camat, confirmed, monkeypatch) -> None:
    freeze(monkeypatch, confirmation_day(confirmed[1]) + timedelta(days=4 * 31))
    assert at_risk(client)
    db.session.add(KabupatenRules(kabupaten_code=KAB_MUKOMUKO, stale_months=6))
    db.session.commit()
    assert not at_risk(client)
    assert "lebih dari 6 bulan" in client.get("/dasbor/").get_data(as_text=True)
    freeze(monkeypatch, confirmation_day(confirmed[1]) + timedelta(days=7 * 31))
    assert at_risk(client)


def test_a_meeting_before_the_period_still_dates_the_village(
    client, camat, confirmed, monkeypatch
) -> None:
    """Thirteen months on, the meeting is outside the 12 months shown but still the last one."""
    freeze(monkeypatch, confirmation_day(confirmed[1]) + timedelta(days=400))
    response = client.get("/dasbor/")
    row = row_of(response, "data-village", DESA_PASAR_IPUH)
    assert "005/BA-MD/XI/2026" in row and "berisiko data beku" in row
    assert summary(response)["meetings"] == "0"
    assert summary(client.get("/dasbor/?bulan=24"))["meetings"] == "1"


def test_a_frozen_clock_before_the_confirmation_does_not_see_it(
    client, camat, confirmed, monkeypatch
) -> None:
    freeze(monkeypatch, confirmation_day(confirmed[1]) - timedelta(days=40))
    assert summary(client.get("/dasbor/"))["meetings"] == "0"
    assert at_risk(client)


@pytest.mark.parametrize(
    ("last", "on", "months", "stale"),
    [
        (None, date(2026, 5, 1), 3, True),
        (date(2026, 8, 15), date(2026, 11, 15), 3, False),  # exactly three months
        (date(2026, 8, 15), date(2026, 11, 16), 3, True),
        (date(2026, 11, 30), date(2027, 2, 28), 3, False),  # 30 Feb does not exist
        (date(2026, 11, 30), date(2027, 3, 1), 3, True),
        (date(2026, 1, 10), date(2026, 7, 10), 6, False),
        (date(2026, 1, 10), date(2026, 7, 11), 6, True),
        (date(2026, 1, 10), date(2026, 1, 10), 1, False),
    ],
)
def test_the_rule_at_its_edges(last, on, months, stale) -> None:
    assert services.is_stale(last, on, months) is stale
