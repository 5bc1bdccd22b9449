"""Bulk inserts for the big imports: COPY on PostgreSQL, a plain executemany on SQLite.

SQLAlchemy's executemany spends most of a 150,000-row insert building parameters; these paths
skip that, inside the session's own transaction (so a failed import still rolls back whole).
Values go through each column type's bind processor on SQLite, so what is stored is exactly
what the ORM would have stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import JSON, Table, text

from portal.extensions import db

if TYPE_CHECKING:
    import psycopg

BATCH = 5000


def bulk_insert(table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    db.session.flush()
    connection = db.session.connection()
    raw = connection.connection.dbapi_connection
    assert raw is not None  # the session's connection, just checked out: not invalidated
    column_list = ", ".join(columns)
    count = 0
    if connection.dialect.name == "postgresql":
        json_columns = [isinstance(table.c[c].type, JSON) for c in columns]
        with (
            cast("psycopg.Connection[Any]", raw).cursor() as pg_cursor,
            pg_cursor.copy(f"COPY {table.name} ({column_list}) FROM STDIN") as copy,
        ):
            for row in rows:
                if any(json_columns):
                    row = [
                        json.dumps(v) if is_json and v is not None else v
                        for v, is_json in zip(row, json_columns, strict=True)
                    ]
                copy.write_row(row)
                count += 1
        return count
    processors = [table.c[c].type.bind_processor(connection.dialect) for c in columns]
    active = [(i, p) for i, p in enumerate(processors) if p is not None]
    sql = f"INSERT INTO {table.name} ({column_list}) VALUES ({', '.join('?' * len(columns))})"
    cursor = raw.cursor()
    batch: list[Sequence[Any]] = []
    for row in rows:
        if active:
            row = list(row)
            for index, process in active:
                row[index] = process(row[index])
        batch.append(row)
        if len(batch) >= BATCH:
            cursor.executemany(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)
        count += len(batch)
    cursor.close()
    return count


def analyse_tables(*names: str) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL plans badly without them)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        for name in names:
            connection.execute(text(f"ANALYZE {name}"))


def in_chunks(column: Any, values: Sequence[Any]):
    """Conditions `column IN values`, split so that each statement stays small.

    PostgreSQL takes the whole list as one array parameter (`= ANY(:values)`), one query and
    index lookups; SQLite gets IN lists of 900, under its bound-parameter limit.
    """
    from sqlalchemy import any_, bindparam
    from sqlalchemy.dialects.postgresql import ARRAY

    if not values:
        return
    if db.session.connection().dialect.name == "postgresql":
        yield column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return
    for start in range(0, len(values), 900):
        yield column.in_(values[start : start + 900])
