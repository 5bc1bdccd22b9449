"""Fixtures of the dashboard tests: issue 6's users and meetings (tests/review/conftest.py)."""

from __future__ import annotations

from tests.review.conftest import (  # noqa: F401  (fixtures)
    confirmed,
    locked,
    register,
    returned,
    sekretaris,
    users,
)
