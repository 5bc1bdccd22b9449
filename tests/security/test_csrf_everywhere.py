"""CSRF on everything: every POST route in the URL map (a new one included, automatically)
refuses a request without the token, for a logged-in user and for anyone, and writes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.routing import Rule

from portal import create_app
from portal.audit import AuditEntry
from portal.extensions import db
from tests.conftest import base_config
from tests.factories import make_user
from tests.security.test_csrf import EXPIRED, login

ARGUMENT_VALUES = {"int": 1, "default": "1706052006", "path": "x"}


def _post_rules() -> list[Rule]:
    app = create_app(base_config("sqlite://"))
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())),
        key=lambda rule: rule.endpoint,
    )


def _url(rule: Rule) -> str:
    values = {
        name: ARGUMENT_VALUES.get(type(converter).__name__.replace("Converter", "").lower(), "1")
        for name, converter in rule._converters.items()
    }
    return rule.build(values, append_unknown=False)[1]


POST_RULES = _post_rules()


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WTF_CSRF_ENABLED": True}


def test_the_map_has_post_routes():
    assert len(POST_RULES) > 30  # the enumeration itself works


@pytest.mark.parametrize("rule", POST_RULES, ids=lambda rule: rule.endpoint)
@pytest.mark.parametrize("who", ["anonymous", "sekretaris"])
def test_post_without_token_is_refused(app, client, regions, rule, who):
    if who != "anonymous":
        login(client, make_user(who, "1706052006"))
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(_url(rule), data={"x": "1"}, headers=headers)
        assert response.status_code == 400, (rule.endpoint, response.status_code)
        assert EXPIRED in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before
