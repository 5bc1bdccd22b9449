"""The schema comes from the migrations: upgrade and downgrade on an empty database."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.extensions import db
from tests.conftest import base_config

MIGRATIONS = str(Path(__file__).parent.parent / "migrations")
TABLES = {"regions", "users", "audit_entries"}


def _empty_database_url(tmp_path: Path) -> tuple[str, callable]:
    """A database with nothing in it, and a cleanup."""
    pg = os.environ.get("TEST_DATABASE_URL")
    if not pg:
        return f"sqlite:///{tmp_path / 'empty.sqlite'}", lambda: None
    schema = "migration_check"
    engine = sa.create_engine(pg)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))

    def cleanup() -> None:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()

    separator = "&" if "?" in pg else "?"
    return f"{pg}{separator}options=-csearch_path%3D{schema}", cleanup


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_on_empty_database(tmp_path):
    url, cleanup = _empty_database_url(tmp_path)
    try:
        app = create_app(base_config(url))
        with app.app_context():
            upgrade(directory=MIGRATIONS)
            assert _tables(url) >= TABLES
            downgrade(directory=MIGRATIONS, revision="base")
            assert _tables(url) == set()
            upgrade(directory=MIGRATIONS)
            assert _tables(url) >= TABLES
            db.engine.dispose()
    finally:
        cleanup()


def test_models_match_migrations(app):
    """Autogenerate against the migrated test database finds nothing to add: no model change
    is missing its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_database_enforces_role_scope(app, regions):
    """The role/scope rule is a CHECK constraint too: a camat on a village is refused."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from portal.blueprints.users.models import User

    db.session.add(
        User(
            username="salah",
            full_name="Salah",
            password_hash="x",
            role="camat",
            region_code="1706052006",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
