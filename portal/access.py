"""Who may do what, and on which regions: the one place for permissions and region scoping.

A user's scope is a region code prefix: an admin's kabupaten (4 digits), a camat's kecamatan
(6), a secretary's village (10), an operator's village or kecamatan. Every query that lists or
loads data filters by `in_scope(column)`; every object load goes through `get_scoped_or_404`, so
an object outside the scope answers 404, not 403 (its existence is not revealed).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, bindparam, false
from sqlalchemy.orm import InstrumentedAttribute

from portal.extensions import db, sqlite_begin_immediate

ADMIN, SEKRETARIS, CAMAT, OPERATOR = "admin", "sekretaris", "camat", "operator"
ROLES = (ADMIN, SEKRETARIS, CAMAT, OPERATOR)

# Which region levels a role's scope may be (1 province … 4 village).
ROLE_SCOPE_LEVELS: dict[str, tuple[int, ...]] = {
    ADMIN: (2,),
    SEKRETARIS: (4,),
    CAMAT: (3,),
    OPERATOR: (3, 4),
}

# Capabilities by role. Routes ask for a capability, never for a role name.
CAPABILITIES: dict[str, frozenset[str]] = {
    "view_regions": frozenset(ROLES),
    "manage_users": frozenset({ADMIN}),
    "view_users": frozenset({ADMIN, CAMAT}),
    "view_register": frozenset(ROLES),
    "import_register": frozenset({ADMIN, SEKRETARIS}),
    "view_meetings": frozenset(ROLES),
    "run_meeting": frozenset({SEKRETARIS}),
    "set_meeting_rules": frozenset({ADMIN}),
    "review_meetings": frozenset({CAMAT}),
    "enter_decisions": frozenset({OPERATOR}),
    "view_dashboard": frozenset({ADMIN, CAMAT}),
    "view_notifications": frozenset(ROLES),
    "view_audit": frozenset({ADMIN, CAMAT}),
    "verify_audit": frozenset({ADMIN}),
    "view_failed_logins": frozenset({ADMIN}),
}

F = TypeVar("F", bound=Callable[..., Any])


def can(capability: str, user: Any = None) -> bool:
    user = user if user is not None else current_user
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in CAPABILITIES[capability]


def require(capability: str) -> Callable[[F], F]:
    """Route decorator: login required, then the capability (403 otherwise)."""
    if capability not in CAPABILITIES:
        raise KeyError(capability)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            from portal.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(capability):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def scope_prefix(user: Any = None) -> str | None:
    """The region code prefix the user may see; None for nobody (anonymous)."""
    user = user if user is not None else current_user
    if not getattr(user, "is_authenticated", False):
        return None
    return user.region_code


def code_range_condition(column: Any, prefix: str) -> ColumnElement[bool]:
    """Codes that start with `prefix`, as a range so that the index serves it on every database.

    Codes are digit strings of length 2/4/6/10, so `prefix <= code <= prefix + '9…9'` is exactly
    "starts with prefix".
    """
    low, high = code_range(prefix)
    return and_(column >= low, column <= high)


def code_range(prefix: str) -> tuple[str, str]:
    return prefix, prefix + "9" * (10 - len(prefix))


def in_scope(column: Any, user: Any = None) -> ColumnElement[bool]:
    """SQL condition: the region code in `column` lies in the user's scope."""
    prefix = scope_prefix(user)
    if prefix is None:
        return false()
    return code_range_condition(column, prefix)


def covers(code: str | None, user: Any = None) -> bool:
    """Python form of `in_scope`, for an object already loaded."""
    prefix = scope_prefix(user)
    return bool(prefix and code and code.startswith(prefix))


def scope_column(model: Any) -> InstrumentedAttribute[Any]:
    """The column holding a scoped model's region code (named by `__scope_column__`)."""
    return getattr(model, model.__scope_column__)


def scoped_select(model: Any, user: Any = None):  # -> Select
    """`select(model)` restricted to the user's scope."""
    return db.select(model).where(in_scope(scope_column(model), user))


def get_scoped_or_404(model: Any, ident: Any, user: Any = None, *, lock: bool = False) -> Any:
    """Load by primary key inside the user's scope, or 404 (outside looks like missing).

    `lock`: SELECT … FOR UPDATE (PostgreSQL), so that a request changing the object decides on
    its latest committed state; a second request waits for the first to commit. SQLite has no row
    locks and its driver begins a transaction only at the first write, so a check made before
    another request's commit could be written after it: there the transaction begins IMMEDIATE
    (the database's write lock, held until commit) before the object is read.
    """
    obj = find_scoped(model, ident, user, lock=lock)
    if obj is None:
        abort(404)
    return obj


def find_scoped(model: Any, ident: Any, user: Any = None, *, lock: bool = False) -> Any | None:
    """`get_scoped_or_404` without the 404: None when missing or outside the scope."""
    prefix = scope_prefix(user)
    if prefix is None:
        return None
    if lock and db.session.get_bind().dialect.name == "sqlite":
        _begin_immediate()
    low, high = code_range(prefix)
    stmt = _scoped_by_key(model, lock)
    return db.session.execute(stmt, {"low": low, "high": high, "ident": ident}).scalar_one_or_none()


def _begin_immediate() -> None:
    # Called on SQLite only, where the driver's connection is the standard library's.
    dbapi_connection = cast(sqlite3.Connection, db.session.connection().connection.dbapi_connection)
    if not dbapi_connection.in_transaction:
        sqlite_begin_immediate(dbapi_connection)


@cache
def _scoped_by_key(model: Any, lock: bool):  # -> Select
    """`get_scoped_or_404`'s statement, built once per model: a request binds only the scope's
    code range and the key (building it anew each time cost ~0.2 ms)."""
    column = scope_column(model)
    pk = model.__mapper__.primary_key[0]
    stmt = db.select(model).where(
        column >= bindparam("low"), column <= bindparam("high"), pk == bindparam("ident")
    )
    return stmt.with_for_update(of=model) if lock else stmt
