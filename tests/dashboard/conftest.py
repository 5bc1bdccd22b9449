"""Fixtures of the dashboard tests: issue 6's users and meetings (tests/after/conftest.py)."""

from __future__ import annotations

from tests.after.conftest import (  # noqa: F401  (fixtures)
    confirmed,
    locked,
    register,
    returned,
    sekretaris,
    users,
)
