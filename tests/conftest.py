"""Test fixtures: an app per test on a database built by the migrations.

SQLite (default): the migrations run once into a template file; each test gets its own copy.
PostgreSQL (`TEST_DATABASE_URL` set): the migrations run once into a fresh `public` schema;
after each test every table is truncated.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.signals import request_started
from flask.testing import FlaskClient

from portal import create_app
from portal.extensions import db
from tests import cheap_pdf as cheap
from tests.factories import Auth, load_regions

PG_URL = os.environ.get("TEST_DATABASE_URL")
HERE = Path(__file__).parent
SHARED_DATA = HERE.parent.parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "real_pdf: the lock helpers render the real berita acara PDF (WeasyPrint) for this test, "
        "not tests/cheap_pdf.py's one page (tests/factories.py)",
    )


def base_config(url: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        "HUEY_IMMEDIATE": True,
        # Cheap hashing: argon2 at its defaults would dominate the suite's run time.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
    }


def migrate_to_head(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(url))
    with app.app_context():
        upgrade(directory=str(HERE.parent / "migrations"))
        db.engine.dispose()


def reset_postgres_schema(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The migrated database: a SQLite template file, or the PostgreSQL URL."""
    if PG_URL:
        reset_postgres_schema(PG_URL)
        migrate_to_head(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    migrate_to_head(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        yield PG_URL
        truncate_all(PG_URL)
    else:
        path = tmp_path / "test.sqlite"
        shutil.copy(database_template, path)
        yield f"sqlite:///{path}"


_CLEANERS: dict[str, tuple[sa.Engine, list[str], dict[str, list[str]], bool]] = {}


def _cleaner(url: str) -> tuple[sa.Engine, list[str], dict[str, list[str]], bool]:
    """One engine per URL for the whole run, with the schema's tables and id sequences (the
    schema does not change after the migrations ran) and whether the role is a superuser."""
    if url not in _CLEANERS:
        engine = sa.create_engine(url, poolclass=sa.pool.StaticPool)
        with engine.connect() as conn:
            tables = list(
                conn.execute(
                    sa.text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version' ORDER BY tablename"
                    )
                ).scalars()
            )
            sequences: dict[str, list[str]] = {}
            for table, sequence in conn.execute(
                sa.text(
                    "SELECT c.table_name, "
                    "pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) AS s "
                    "FROM information_schema.columns c WHERE c.table_schema = 'public'"
                )
            ):
                if sequence:
                    sequences.setdefault(table, []).append(sequence)
            superuser = bool(
                conn.execute(
                    sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                ).scalar()
            )
        _CLEANERS[url] = (engine, tables, sequences, superuser)
    return _CLEANERS[url]


def truncate_all(url: str) -> None:
    """Empty every table a test wrote to, and restart their ids.

    `TRUNCATE` of all 23 tables cost ~0.5 s a test (a new file per table), most of the
    PostgreSQL suite's time; deleting the rows of the few tables a test used costs a few ms.
    The suite's role is a superuser here (trust auth), so `session_replication_role = replica`
    lets the delete pass the foreign keys and the append-only triggers, which are the point of
    those tables in production. Without superuser rights it falls back to `TRUNCATE`.
    """
    engine, tables, sequences, superuser = _cleaner(url)
    if not tables:
        return
    with engine.begin() as conn:
        if not superuser:
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            return
        used = conn.execute(
            sa.text(
                " UNION ALL ".join(
                    f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables
                )
            )
        ).scalars()
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in list(used):
            conn.execute(sa.text(f'DELETE FROM "{table}"'))
            for sequence in sequences.get(table, []):
                conn.execute(sa.text("SELECT setval(:s, 1, false)"), {"s": sequence})


@pytest.fixture
def app_config() -> dict[str, object]:
    """Override in a test module to change the app's config."""
    return {}


@pytest.fixture
def app(database_url: str, app_config: dict[str, object]) -> Iterator[Flask]:
    app = create_app({**base_config(database_url), **app_config})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def regions(app: Flask) -> None:
    """A small real hierarchy: Mukomuko (Ipuh, Kota Mukomuko) and Kota Solok."""
    load_regions(HERE / "data" / "regions_small.csv")


@pytest.fixture
def real_pdf(request: pytest.FixtureRequest) -> bool:
    """Whether the `locked` fixtures render the real berita acara PDF: only for a test (or a
    module, a class) marked `real_pdf`; the cheap one otherwise (tests/factories.py)."""
    return request.node.get_closest_marker("real_pdf") is not None


@pytest.fixture
def cheap_pdf() -> Iterator[None]:
    """For the whole test, a berita acara rendered by any way (a route, the CLI, a job) is
    tests/cheap_pdf.py's one page, signed for real."""
    with cheap.cheap_pdf():
        yield


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@pytest.fixture
def national_regions_csv() -> Path:
    path = SHARED_DATA / "wilayah.csv"
    if not path.exists():
        pytest.skip("../shared/data/wilayah.csv is not beside the checkout")
    return path


@pytest.fixture(autouse=True)
def fresh_g_per_request(request: pytest.FixtureRequest) -> Iterator[None]:
    """Give every test request its own `g`, as a real server does.

    The `app` fixture keeps one app context pushed for the whole test, and Flask reuses a pushed
    app context for every request of the same app, so `g` would leak from one request into the
    next: Flask-Login's cached user (an anonymous client would see the last logged-in user's
    pages), Flask-WTF's `g.csrf_valid`, Flask-Babel's cached locale, the login view's flags.
    """
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")

    def clear_g(_sender: Flask, **_extra: object) -> None:
        for name in list(g):
            g.pop(name)

    request_started.connect(clear_g, app)
    yield
    request_started.disconnect(clear_g, app)
