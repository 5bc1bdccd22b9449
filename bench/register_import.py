"""Benchmark of the register import and search (issue 3).

    .venv/bin/python bench/register_import.py [--persons 150000] [--postgres URL]

A kabupaten-wide export (Kabupaten Mukomuko, 151 villages, ~150,000 persons, from the synthetic
generator) is written as CSV and as XLSX, then each is imported into a fresh database migrated to
head, in a child process of its own so that its peak memory (VmHWM) is that of one import:
read + validate + plan + apply + commit, exactly what a confirmed import does. Then the search of
the village page is timed over the imported register: 400 searches (name part, NIK prefix,
KK prefix, RT/RW) on random villages, each a count plus the first page of 25 families.
On PostgreSQL a throwaway schema is created and dropped, leaving `public` alone.

Targets: CSV ≥ 10,000 persons/s, XLSX ≥ 5,000 persons/s, peak memory < 500 MB,
search p95 < 50 ms on SQLite and PostgreSQL. Prints markdown rows for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WILAYAH = Path(__file__).resolve().parents[2] / "shared" / "data" / "wilayah.csv"
KABUPATEN = "1706"


def app_config(url: str, schema: str | None) -> dict[str, object]:
    options: dict[str, object] = {"pool_pre_ping": True}
    if schema:
        options["connect_args"] = {"options": f"-csearch_path={schema}"}
    return {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": options,
        "HUEY_IMMEDIATE": True,
    }


def regions_csv(tmp: Path) -> Path:
    path = tmp / "wilayah-17.csv"
    with WILAYAH.open(encoding="utf-8") as source, path.open("w", encoding="utf-8") as target:
        for number, line in enumerate(source):
            if number == 0 or line.startswith("17"):
                target.write(line)
    return path


def make_files(tmp: Path, persons: int) -> dict[str, object]:
    """Generate the export in the parent (not timed), as CSV and XLSX."""
    sys.path.insert(0, str(REPO))
    from portal import create_app
    from portal.blueprints.regions.models import Region
    from portal.blueprints.regions.services import import_regions
    from portal.demo import synthetic
    from portal.extensions import db

    app = create_app(app_config(f"sqlite:///{tmp / 'regions.sqlite'}", None))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(REPO / "migrations"))
        import_regions(regions_csv(tmp))
        db.session.commit()
        villages = (
            db.session.execute(
                db.select(Region)
                .where(Region.level == 4, Region.code.startswith(KABUPATEN))
                .order_by(Region.code)
            )
            .scalars()
            .all()
        )
        specs = synthetic.villages_from_regions(villages)
    per_village = max(1, round(persons / 3.0 / len(specs)))
    started = time.perf_counter()
    rows, _ = synthetic.generate(specs, families_per_village=per_village, seed=2026)
    generated = time.perf_counter() - started
    files = {}
    for fmt in ("csv", "xlsx"):
        started = time.perf_counter()
        files[fmt] = str(synthetic.write(rows, tmp / f"kabupaten.{fmt}", fmt))
        files[f"{fmt}_write_s"] = round(time.perf_counter() - started, 1)
    files.update(
        persons=len(rows),
        villages=len(specs),
        generate_s=round(generated, 1),
        csv_mb=round(os.path.getsize(files["csv"]) / 2**20, 1),
        xlsx_mb=round(os.path.getsize(files["xlsx"]) / 2**20, 1),
    )
    return files


def peak_rss_mib() -> int:
    """VmHWM, this process's own peak (ru_maxrss would include the parent's size at fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def measure(url: str, schema: str | None, path: str, regions: str, do_search: bool) -> dict:
    """In a child process: migrate, load regions, import the file, then time searches."""
    sys.path.insert(0, str(REPO))
    import logging

    from flask_migrate import upgrade

    from portal import create_app
    from portal.blueprints.regions.services import import_regions
    from portal.blueprints.register import services
    from portal.blueprints.register.applying import apply_plan
    from portal.blueprints.register.models import Household, Person
    from portal.extensions import db

    app = create_app(app_config(url, schema))
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        logging.getLogger("alembic").setLevel(logging.WARNING)
        import_regions(Path(regions))
        db.session.commit()
        data = Path(path).read_bytes()
        rss_before = peak_rss_mib()
        started = time.perf_counter()
        analysis = services.analyse(data, KABUPATEN)
        analysed = time.perf_counter() - started
        apply_plan(analysis.plan, import_id=None, user_id=None)
        db.session.commit()
        total = time.perf_counter() - started
        peak = peak_rss_mib()
        persons = db.session.scalar(db.select(db.func.count()).select_from(Person))
        result = {
            "persons": persons,
            "rows": analysis.validated.total_rows,
            "analyse_s": round(analysed, 1),
            "total_s": round(total, 1),
            "persons_per_s": round(analysis.validated.total_rows / total),
            "rss_before_mib": rss_before,
            "peak_mib": peak,
        }
        if do_search:
            result["search"] = search_timings(db, services, Household, Person)
    return result


def search_timings(db, services, Household, Person) -> dict:
    rng = random.Random(7)
    villages = [v for (v,) in db.session.execute(db.select(Household.village_code).distinct())]
    samples = db.session.execute(
        db.select(Person.nik, Person.name, Household.kk, Household.village_code, Household.rt)
        .join(Household, Household.id == Person.household_id)
        .order_by(Person.id)
        .limit(2000)
    ).all()
    queries = []
    for index in range(400):
        row = rng.choice(samples)
        kind = index % 4
        if kind == 0:
            query = row.name.split()[0][:5].lower()
        elif kind == 1:
            query = row.nik[:10]
        elif kind == 2:
            query = row.kk[:12]
        else:
            query = f"RT {int(row.rt)}"
        queries.append((row.village_code if kind else rng.choice(villages), query))
    timings = []
    for village, query in queries:
        stmt = services.search_households(village, query)
        started = time.perf_counter()
        db.session.scalar(db.select(db.func.count()).select_from(stmt.subquery()))
        list(db.session.execute(stmt.limit(25)).scalars())
        timings.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "max_ms": round(timings[-1], 1),
        "n": len(timings),
    }


def child(args: list[str]) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(args)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def postgres_schema(url: str, name: str, create: bool) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        if create:
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=150_000)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--child")
    options = parser.parse_args()
    if options.child:
        url, schema, path, regions, do_search = json.loads(options.child)
        print(json.dumps(measure(url, schema, path, regions, do_search)))
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = make_files(tmp, options.persons)
        regions = str(regions_csv(tmp))
        print(
            f"file: {files['persons']:,} persons in {files['villages']} villages; "
            f"CSV {files['csv_mb']} MB, XLSX {files['xlsx_mb']} MB "
            f"(generated {files['generate_s']} s, written CSV {files['csv_write_s']} s, "
            f"XLSX {files['xlsx_write_s']} s)"
        )
        print(
            "| Database | Format | Persons | Validate+plan (s) | Total (s) | Persons/s | "
            "RSS before (MiB) | Peak RSS (MiB) | Search p50 / p95 / max (ms) |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---|")
        databases = [("SQLite", None)]
        if options.postgres:
            databases.append(("PostgreSQL", options.postgres))
        for label, pg in databases:
            for fmt in ("csv", "xlsx"):
                schema = None
                if pg:
                    schema = "bench_register"
                    postgres_schema(pg, schema, create=True)
                    url = pg
                else:
                    url = f"sqlite:///{tmp / f'{fmt}.sqlite'}"
                try:
                    result = child([url, schema, files[fmt], regions, fmt == "csv"])
                finally:
                    if pg:
                        postgres_schema(pg, schema, create=False)
                search = result.get("search")
                search_text = (
                    f"{search['p50_ms']} / {search['p95_ms']} / {search['max_ms']}"
                    if search
                    else "—"
                )
                print(
                    f"| {label} | {fmt.upper()} | {result['persons']:,} | {result['analyse_s']} "
                    f"| {result['total_s']} | {result['persons_per_s']:,} | "
                    f"{result['rss_before_mib']} | {result['peak_mib']} | {search_text} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
