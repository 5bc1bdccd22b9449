"""Benchmark of the regions import (issue 2): the national file, 91,599 rows, target < 30 s.

    .venv/bin/python bench/regions_import.py                      # SQLite only
    .venv/bin/python bench/regions_import.py --postgres URL       # and PostgreSQL
    TEST_DATABASE_URL=URL .venv/bin/python bench/regions_import.py

Each database is measured in its own child process, so that the peak memory (ru_maxrss) is that
of one import run: a fresh database migrated to head, a first import, then a re-import that must
add and change nothing. The import runs as `flask regions import --skip-invalid` does (service,
then one commit). On PostgreSQL the run uses a throwaway schema, created and dropped here, so the
`public` schema of a shared test database is left alone.

Prints one markdown table row per database, for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WILAYAH = Path(__file__).resolve().parents[2] / "shared" / "data" / "wilayah.csv"
EXPECTED_ROWS = 91_599

HEADER = (
    "| Database | Rows | First import (s) | Added | Rejected | Re-import (s) "
    "| Re-import added/changed | RSS before import (MiB) | Peak RSS (MiB) | Pass (< 30 s) |\n"
    "|---|---:|---:|---:|---:|---:|---|---:|---:|---|"
)


def config(url: str, schema: str | None) -> dict[str, object]:
    options: dict[str, object] = {}
    if schema:
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    return {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": options,
        "RATELIMIT_STORAGE_URI": "memory://",
    }


def measure(url: str, schema: str | None) -> dict[str, object]:
    """One run in this process: migrate, import, re-import. Returns the figures."""
    sys.path.insert(0, str(REPO))
    import logging

    from flask_migrate import upgrade

    from portal import create_app
    from portal.blueprints.regions.models import Region
    from portal.blueprints.regions.services import import_regions
    from portal.extensions import db

    app = create_app(config(url, schema))
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        logging.getLogger("alembic").setLevel(logging.WARNING)
        rss_before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        started = time.perf_counter()
        first = import_regions(WILAYAH, skip_invalid=True)
        db.session.commit()
        first_seconds = time.perf_counter() - started

        started = time.perf_counter()
        again = import_regions(WILAYAH, skip_invalid=True)
        db.session.commit()
        again_seconds = time.perf_counter() - started

        stored = db.session.execute(db.select(db.func.count()).select_from(Region)).scalar_one()
        db.session.remove()
        db.engine.dispose()

    return {
        "rows": first.added + first.changed + first.unchanged + len(first.errors),
        "stored": stored,
        "first_seconds": first_seconds,
        "added": first.added,
        "rejected": len(first.errors),
        "again_seconds": again_seconds,
        "again_added": again.added,
        "again_changed": again.changed,
        "rss_before_mib": rss_before_kib / 1024,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(url: str, schema: str | None) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", url]
    if schema:
        command += ["--schema", schema]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark run failed for {label(url)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def label(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


def row(name: str, figures: dict[str, object]) -> str:
    ok = figures["first_seconds"] < 30 and figures["again_seconds"] < 30
    return (
        f"| {name} | {figures['rows']:,} | {figures['first_seconds']:.2f} | {figures['added']:,} "
        f"| {figures['rejected']} | {figures['again_seconds']:.2f} "
        f"| {figures['again_added']}/{figures['again_changed']} "
        f"| {figures['rss_before_mib']:.0f} | {figures['peak_rss_mib']:.0f} "
        f"| {'yes' if ok else 'NO'} |"
    )


def bench_sqlite() -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-regions-") as folder:
        return run_child(f"sqlite:///{Path(folder) / 'bench.sqlite'}", None)


def bench_postgres(url: str) -> dict[str, object]:
    import sqlalchemy as sa

    schema = f"bench_regions_{os.getpid()}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        return run_child(url, schema)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def check(name: str, figures: dict[str, object]) -> None:
    """The figures mean nothing if the import did not do its job."""
    problems = []
    if figures["rows"] != EXPECTED_ROWS:
        problems.append(f"{figures['rows']} rows read, expected {EXPECTED_ROWS}")
    if figures["stored"] != figures["added"]:
        problems.append(f"{figures['stored']} stored but {figures['added']} added")
    if figures["again_added"] or figures["again_changed"]:
        problems.append("the re-import added or changed rows")
    for problem in problems:
        print(f"WARNING ({name}): {problem}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(measure(args.child, args.schema)))
        return

    if not WILAYAH.exists():
        raise SystemExit(f"{WILAYAH} not found: the national file sits in ../shared/data/")
    print(HEADER)
    targets = [("SQLite", bench_sqlite)]
    if args.postgres:
        targets.append(("PostgreSQL", lambda: bench_postgres(args.postgres)))
    for name, bench in targets:
        figures = bench()
        check(name, figures)
        print(row(name, figures), flush=True)


if __name__ == "__main__":
    main()
