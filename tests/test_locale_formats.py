"""Dates, times and numbers follow the chosen language (and the portal's time zone)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
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


def test_an_english_page_shows_english_dates(client, auth, regions):
    from tests.factories import make_user

    auth.login_as(make_user("admin", "1706"))
    client.post("/bahasa", data={"lang": "en", "next": "/jejak-audit/"})
    html = client.get("/jejak-audit/").get_data(as_text=True)
    assert "Audit trail" in html and "Jejak audit" not in html
    # The login's time, short, as English writes it: month/day/year, 12-hour clock.
    assert re.search(r"\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}\s[AP]M", html)
    client.post("/bahasa", data={"lang": "id", "next": "/jejak-audit/"})
    html = client.get("/jejak-audit/").get_data(as_text=True)
    assert re.search(r"\d{2}/\d{2}/\d{2} \d{2}\.\d{2}", html)  # 23/11/26 23.26
