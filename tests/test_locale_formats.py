"""Dates, times and numbers follow the chosen language (and the portal's time zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from flask import session

TEMPLATE = "{{ day|date }} | {{ moment|datetime }} | {{ count|number }}"
VALUES = {
    "day": date(2026, 11, 23),
    "moment": datetime(2026, 11, 23, 2, 5, tzinfo=UTC),  # 09:05 in Jakarta
    "count": 1234567,
}


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("id", ("23 Nov 2026", "09.05", "1.234.567")),
        ("en", ("Nov 23, 2026", "9:05", "1,234,567")),
    ],
)
def test_filters_follow_the_language(app, lang, expected):
    with app.test_request_context("/"):
        session["lang"] = lang
        text = app.jinja_env.from_string(TEMPLATE).render(**VALUES)
    day, moment, count = (part.strip() for part in text.split("|"))
    assert day == expected[0]
    assert expected[1] in moment and "2026" in moment
    assert count == expected[2]


# The login's time on the audit trail, short, in both languages. The clock is frozen: the day of
# the month decides how many digits the date has, and the hour decides the date in WIB.
PAGE_MOMENTS = [
    # (moment in UTC, Indonesian short form, English short form)
    pytest.param(
        datetime(2026, 12, 3, 2, 5, tzinfo=UTC), "3/12/26 09.05", "12/3/26, 9:05 AM", id="day-3"
    ),
    pytest.param(
        datetime(2026, 12, 31, 16, 30, tzinfo=UTC),
        "31/12/26 23.30",
        "12/31/26, 11:30 PM",
        id="23.30-wib-31-december",
    ),
    pytest.param(
        datetime(2026, 12, 31, 17, 30, tzinfo=UTC),
        "1/1/27 00.30",
        "1/1/27, 12:30 AM",
        id="new-year-in-wib-not-in-utc",
    ),
    pytest.param(
        datetime(2028, 2, 29, 5, 0, tzinfo=UTC),
        "29/2/28 12.00",
        "2/29/28, 12:00 PM",
        id="29-february",
    ),
    pytest.param(
        datetime(2026, 11, 30, 17, 0, tzinfo=UTC),
        "1/12/26 00.00",
        "12/1/26, 12:00 AM",
        id="month-end-in-utc-next-month-in-wib",
    ),
]


@pytest.mark.parametrize(("moment", "indonesian", "english"), PAGE_MOMENTS)
def test_an_english_page_shows_english_dates(client, auth, regions, moment, indonesian, english):
    from tests.factories import make_user

    with time_machine.travel(moment, tick=False):
        auth.login_as(make_user("admin", "1706"))
        client.post("/bahasa", data={"lang": "en", "next": "/jejak-audit/"})
        html = client.get("/jejak-audit/").get_data(as_text=True)
        assert "Audit trail" in html and "Jejak audit" not in html
        # English writes month/day/year and a 12-hour clock (CLDR puts a narrow no-break space
        # before AM/PM).
        assert english in html.replace("\u202f", " ")
        client.post("/bahasa", data={"lang": "id", "next": "/jejak-audit/"})
        html = client.get("/jejak-audit/").get_data(as_text=True)
        assert indonesian in html


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 12, 31, 16, 30, tzinfo=UTC), ("31 Des 2026", "23.30")),
        (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), ("1 Jan 2027", "00.00")),
        (datetime(2028, 2, 29, 16, 59, tzinfo=UTC), ("29 Feb 2028", "23.59")),
        (datetime(2028, 2, 29, 17, 0, tzinfo=UTC), ("1 Mar 2028", "00.00")),
        (datetime(2026, 4, 30, 20, 0, tzinfo=UTC), ("1 Mei 2026", "03.00")),
    ],
)
def test_a_stored_moment_shows_the_wib_date(app, moment, expected):
    """The date filter of a stored (UTC) moment gives the date in Jakarta, not in UTC."""
    with app.test_request_context("/"):
        session["lang"] = "id"
        text = app.jinja_env.from_string("{{ m|date }} | {{ m|datetime('short') }}").render(
            m=moment
        )
    day, short = (part.strip() for part in text.split("|"))
    assert day == expected[0]
    assert short.endswith(expected[1])
