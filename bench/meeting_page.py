"""Benchmark of the meeting page under load (issue 4).

    .venv/bin/python bench/meeting_page.py [--seconds 15] [--rounds 3] [--postgres URL]

A village (Pasar Ipuh, 1706052006) with 2,000 synthetic families in its register, and an open
meeting (in session) with 40 participants (24 invited voters checked in, 16 non-voting observers
not yet) and 500 removal proposals on distinct families, one of them under a named vote. The
portal is served by gunicorn (2 sync workers) on 127.0.0.1 and loaded with wrk (16 connections,
2 threads) as the meeting's sekretaris:

- bare page: a separate Flask app (bench/bare_app.py) under gunicorn with the same 2 workers,
  serving a constant HTML body of exactly the meeting page's byte size, measured in the same run;
- authenticated no-op: GET /sehat with the session cookie (the user loaded as on every page,
  SELECT 1, 16 bytes of JSON), against a bare page of its size: the floor of any portal page;
- meeting page GET /musyawarah/<id>, proposals page GET /musyawarah/<id>/usulan (50 a page);
- check-in POST /musyawarah/<id>/peserta/<pid>/hadir (htmx): "repeat" taps hadir=1 on the 24
  voters already present (idempotent, no row changes), "toggle" sets the 16 observers present
  and absent in turn (each tap writes the row and an audit entry);
- vote POST /musyawarah/<id>/usulan/<proposal>/suara/<pid> pilihan=setuju (htmx), rotating the
  24 present voters (each an upsert of the vote and an audit entry).

Targets: meeting page req/s ≥ 0.4 × the bare page's, p95 < 100 ms; check-in and vote p95 < 50 ms.
Afterwards each request is timed in-process (Flask test client) with every SQL statement timed,
to show where the time goes. SQLite in a temporary directory by default; `--postgres URL` also
runs on PostgreSQL in a throwaway schema `bench_meeting` (created, then dropped).
Prints markdown rows for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import platform
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

VILLAGE = "1706052006"  # Desa Pasar Ipuh, in tests/data/regions_small.csv
REGIONS = REPO / "tests" / "data" / "regions_small.csv"
FAMILIES = 2000
PROPOSALS = 500
VOTERS = 24
OBSERVERS = 16
USERNAME = "bench-sekretaris"
PASSWORD = "sandi-bench-2026"
USER_AGENT = "meeting-page-bench"
SCHEMA = "bench_meeting"

TARGET_RATIO = 0.4
TARGET_PAGE_P95 = 100.0
TARGET_ACTION_P95 = 50.0


# --- the database ----------------------------------------------------------------------------


def engine_options(schema: str | None) -> dict[str, object]:
    options: dict[str, object] = {"pool_pre_ping": True, "hide_parameters": True}
    if schema:
        options["connect_args"] = {"options": f"-csearch_path={schema}"}
    return options


def app_config(url: str, schema: str | None, tmp: Path) -> dict[str, object]:
    """The served app's settings; the same, as PORTAL_* variables, go to gunicorn."""
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(schema),
        "SECRET_KEY": "bench",
        "ENV_NAME": "production",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        "WTF_CSRF_ENABLED": False,
        "LOGIN_LIMIT_ACCOUNT": "1000 per minute",
        "LOGIN_LIMIT_ADDRESS": "1000 per minute",
        "HUEY_SQLITE_PATH": str(tmp / "huey.sqlite"),
    }


def gunicorn_env(config: dict[str, object]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PORTAL_DATABASE_URL"] = str(config["SQLALCHEMY_DATABASE_URI"])
    env["PORTAL_ENV"] = "production"
    for key, value in config.items():
        if key in ("SQLALCHEMY_DATABASE_URI", "ENV_NAME"):
            continue
        env[f"PORTAL_{key}"] = value if isinstance(value, str) else json.dumps(value)
    # Text values that would parse as JSON must stay text: "bench" does not, the limits do not.
    return env


def postgres_schema(url: str, create: bool) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        if create:
            conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()


def build(config: dict[str, object], tmp: Path) -> dict[str, object]:
    """Migrate, load regions, the user, the register and the meeting. Returns the ids."""
    import logging

    from flask_migrate import upgrade
    from sqlalchemy import select

    from portal import create_app
    from portal.blueprints.meetings import services
    from portal.blueprints.meetings.models import REMOVAL_REASONS, UNSUR
    from portal.blueprints.regions.models import Region
    from portal.blueprints.regions.services import import_regions
    from portal.blueprints.register import services as register
    from portal.blueprints.register.applying import apply_plan
    from portal.blueprints.register.models import ACTIVE, Household
    from portal.blueprints.users import services as users
    from portal.demo import synthetic
    from portal.extensions import db

    app = create_app(config)
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        logging.getLogger("alembic").setLevel(logging.WARNING)
        report = import_regions(REGIONS)
        assert report.ok, report.errors
        db.session.commit()

        user, _ = users.create_user(
            users.UserData(USERNAME, "Sekretaris Bench", "sekretaris", VILLAGE),
            password=PASSWORD,
        )
        user.must_change_password = False
        db.session.commit()

        (village,) = synthetic.villages_from_regions([db.session.get(Region, VILLAGE)])
        rows, _ = synthetic.generate([village], families_per_village=FAMILIES, seed=1)
        path = synthetic.write(rows, tmp / "register.csv", "csv")
        analysis = register.analyse(Path(path).read_bytes(), VILLAGE)
        errors = [i for i in analysis.issues if i.severity == "error"]
        assert not errors, errors[:5]
        apply_plan(analysis.plan, import_id=None, user_id=None)
        db.session.commit()

        meeting = services.create_meeting(
            VILLAGE,
            services.MeetingData(
                number="001/MUSDES/XI/2026",
                meeting_date=date(2026, 11, 20),
                start_time=clock(9, 0),
                place="Balai Desa Pasar Ipuh",
                agenda="Pemutakhiran DTSEN",
                chair_name="Kepala Desa",
                notulen_name="Sekretaris Desa",
                period="2026-11",
            ),
            user=user,
        )
        voting_unsur = [u for u in UNSUR if u not in ("notulen", "pengamat")]
        voters, observers = [], []
        for i in range(VOTERS):
            voters.append(
                services.add_participant(
                    meeting,
                    services.ParticipantData(
                        name=f"Peserta {i + 1}", unsur=voting_unsur[i % len(voting_unsur)]
                    ),
                    user=user,
                )
            )
        for i in range(OBSERVERS):
            observers.append(
                services.add_participant(
                    meeting,
                    services.ParticipantData(
                        name=f"Pengamat {i + 1}", unsur="pengamat", votes=False
                    ),
                    user=user,
                )
            )
        services.move(meeting, "schedule", user=user)
        households = (
            db.session.execute(
                select(Household)
                .where(Household.village_code == VILLAGE, Household.status == ACTIVE)
                .order_by(Household.kk)
            )
            .scalars()
            .all()
        )
        assert len(households) == FAMILIES, len(households)
        reasons = [r for r in REMOVAL_REASONS if r != "lainnya"]
        proposals = []
        for i, household in enumerate(households[:: FAMILIES // PROPOSALS][:PROPOSALS]):
            proposals.append(
                services.add_removal(
                    meeting,
                    household,
                    reason=reasons[i % len(reasons)],
                    reason_text=None,
                    proposer="rt_rw",
                    proposer_name=None,
                    note=None,
                    user=user,
                )
            )
        db.session.commit()
        services.move(meeting, "open", user=user, confirm_other_day=True)  # a fixed date
        for participant in voters:
            services.check_in(meeting, participant, user=user)
        voted = proposals[0]
        services.open_named_vote(meeting, voted, user=user)
        db.session.commit()
        ids = {
            "meeting": meeting.id,
            "proposal": voted.id,
            "voters": [p.id for p in voters],
            "observers": [p.id for p in observers],
            "user": user.id,
        }
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return ids


def counts(config: dict[str, object], meeting_id: int, proposal_id: int) -> dict[str, int]:
    from sqlalchemy import func, select

    from portal import create_app
    from portal.audit import AuditEntry
    from portal.blueprints.meetings.models import Participant, Vote
    from portal.extensions import db

    app = create_app(config)
    with app.app_context():
        result = {
            action: db.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            )
            for action in ("meeting.check_in", "meeting.check_out", "meeting.vote")
        }
        result["votes"] = db.session.scalar(
            select(func.count()).select_from(Vote).where(Vote.proposal_id == proposal_id)
        )
        result["present"] = db.session.scalar(
            select(func.count())
            .select_from(Participant)
            .where(Participant.meeting_id == meeting_id, Participant.present.is_(True))
        )
        db.session.remove()
        db.engine.dispose()
    return result


# --- servers and HTTP ------------------------------------------------------------------------


def start_gunicorn(target: str, port: int, env: dict[str, str], log: Path, chdir: Path):
    command = [
        str(REPO / ".venv" / "bin" / "gunicorn"),
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{port}",
        target,
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=chdir, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn {target} exited: see {log}\n{log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn {target} did not answer on port {port}")


def worker_cpu_seconds(process) -> float:
    """User + system CPU of the gunicorn master's children (its workers), from /proc."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    ticks = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all CPUs), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields  # steal: other VMs
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """CPU of this process's finished children (wrk runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stop(process) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fetch(port: int, method: str, path: str, *, cookie: str = "", form=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"User-Agent": USER_AGENT}
    if cookie:
        sent["Cookie"] = cookie
    body = None
    if form is not None:
        body = urlencode(form)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    sent.update(headers or {})
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    data = response.read()
    result = (response.status, dict(response.getheaders()), data)
    conn.close()
    return result


def login(port: int) -> str:
    status, headers, body = fetch(
        port, "POST", "/masuk", form={"username": USERNAME, "password": PASSWORD}
    )
    if status != 302:
        raise RuntimeError(f"login failed: {status} {body[:300]!r}")
    match = re.search(r"session=([^;]+)", headers.get("Set-Cookie", ""))
    if not match:
        raise RuntimeError(f"no session cookie: {headers}")
    return f"session={match.group(1)}"


# --- wrk -------------------------------------------------------------------------------------

LUA = r"""
local method = "%(method)s"
local paths = {%(paths)s}
local bodies = {%(bodies)s}
local headers = {%(headers)s}
local threads = {}
local counter = 0
local step = 1
non2xx = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = tid
  step = %(threads)d
end

function request()
  local i = (counter %% #paths) + 1
  counter = counter + step
  if bodies[i] ~= "" then
    return wrk.format(method, paths[i], headers, bodies[i])
  end
  return wrk.format(method, paths[i], headers)
end

function response(status, hdrs, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do
    n = n + t:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %%d, "duration_us": %%d, "bytes": %%d, "non2xx": %%d, ' ..
    '"socket_errors": %%d, "timeouts": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "mean_us": %%.1f}\n',
    summary.requests, summary.duration, summary.bytes, n,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def write_lua(
    path: Path,
    method: str,
    requests: list[tuple[str, str]],
    headers: dict[str, str],
    threads: int,
) -> Path:
    path.write_text(
        LUA
        % {
            "method": method,
            "paths": ", ".join(lua_string(p) for p, _ in requests),
            "bodies": ", ".join(lua_string(b) for _, b in requests),
            "headers": ", ".join(
                f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()
            ),
            "threads": threads,
        }
    )
    return path


def wrk(port: int, script: Path, seconds: int, connections: int, threads: int) -> dict:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("BENCHJSON "))
    result = json.loads(line.removeprefix("BENCHJSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    for key in ("p50", "p95", "p99", "max"):
        result[f"{key}_ms"] = result[f"{key}_us"] / 1000
    return result


# --- in-process timing -----------------------------------------------------------------------


def profile(config: dict[str, object], cases: list[dict], repeats: int) -> list[dict]:
    """Each request `repeats` times through the test client, every SQL statement timed, and
    the template rendering (which includes any SQL a template triggers)."""
    from flask import before_render_template, template_rendered
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db

    app = create_app(config)
    results = []
    stats: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    render = {"t0": 0.0, "total": 0.0}
    with app.app_context():
        engine = db.engine  # requests below run without this context: a session each, as served

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info["bench_t0"].pop()
        entry = stats[re.sub(r"\s+", " ", statement).strip()]
        entry[0] += 1
        entry[1] += elapsed

    def _render_start(sender, **extra):
        render["t0"] = time.perf_counter()

    def _render_end(sender, **extra):
        render["total"] += time.perf_counter() - render["t0"]

    before_render_template.connect(_render_start, app)
    template_rendered.connect(_render_end, app)
    client = app.test_client()
    response = client.post(
        "/masuk",
        data={"username": USERNAME, "password": PASSWORD},
        headers={"User-Agent": USER_AGENT},
    )
    assert response.status_code == 302, response.status_code
    for case in cases:
        for warm in range(3):
            client.open(
                case["path"](warm),
                method=case["method"],
                data=case["data"](warm),
                headers=case["headers"],
            )
        stats.clear()
        render["total"] = 0.0
        times = []
        for i in range(repeats):
            started = time.perf_counter()
            response = client.open(
                case["path"](i),
                method=case["method"],
                data=case["data"](i),
                headers=case["headers"],
            )
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (case["label"], response.status_code)
        top = sorted(stats.items(), key=lambda kv: kv[1][1], reverse=True)[:3]
        results.append(
            {
                "label": case["label"],
                "median_ms": statistics.median(times),
                "mean_ms": statistics.fmean(times),
                "sql_ms": sum(v[1] for v in stats.values()) * 1000 / repeats,
                "statements": sum(v[0] for v in stats.values()) / repeats,
                "render_ms": render["total"] * 1000 / repeats,
                "top": [(text[:110], v[0] / repeats, v[1] * 1000 / repeats) for text, v in top],
            }
        )
    with app.app_context():
        db.engine.dispose()
    return results


# --- the run ---------------------------------------------------------------------------------


def run_database(label: str, url: str, schema: str | None, tmp: Path, options) -> dict:
    config = app_config(url, schema, tmp)
    started = time.perf_counter()
    ids = build(config, tmp)
    print(
        f"[{label}] data built in {time.perf_counter() - started:.1f} s: {ids['meeting']=}",
        flush=True,
    )
    meeting, proposal = ids["meeting"], ids["proposal"]
    port, bare_port = options.port, options.port + 1
    env = gunicorn_env(config)
    logs = tmp / f"gunicorn-{label}.log"
    portal = start_gunicorn("wsgi:app", port, env, logs, REPO)
    bare = None
    rows = []
    try:
        bare = start_gunicorn("bare_app:app", bare_port, env, logs, REPO / "bench")
        cookie = login(port)
        pages = {}
        for name, path in (
            ("meeting", f"/musyawarah/{meeting}"),
            ("proposals", f"/musyawarah/{meeting}/usulan"),
        ):
            status, _, body = fetch(port, "GET", path, cookie=cookie)
            assert status == 200, (path, status)
            pages[name] = (path, len(body))
        shown = body.count(b'<li id="usulan-')  # the proposals page: 50 proposals a page
        assert shown == 50, shown
        # The floor: GET /sehat with the session cookie loads the user (as every page does),
        # runs SELECT 1 and answers 16 bytes of JSON. No view can cost less on this stack.
        status, _, body = fetch(port, "GET", "/sehat", cookie=cookie)
        assert status == 200, status
        pages["noop"] = ("/sehat", len(body))
        text = fetch(port, "GET", pages["meeting"][0], cookie=cookie)[2].decode()
        assert f"0/{PROPOSALS}" in text, "summary should show 0/500 decided"
        for _name, (_, size) in pages.items():
            status, _, body = fetch(bare_port, "GET", f"/{size}")
            assert status == 200 and len(body) == size, (status, len(body), size)
        print(
            f"[{label}] meeting page {pages['meeting'][1]:,} B, proposals page "
            f"{pages['proposals'][1]:,} B",
            flush=True,
        )

        base = {"Cookie": cookie, "User-Agent": USER_AGENT}
        post = {**base, "Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
        check_in = f"/musyawarah/{meeting}/peserta/{{}}/hadir"
        toggles = [(check_in.format(p), "hadir=0") for p in ids["observers"]] + [
            (check_in.format(p), "hadir=1") for p in ids["observers"]
        ]
        cases = [
            ("bare page (no-op size)", bare_port, "GET", [(f"/{pages['noop'][1]}", "")], base),
            ("authenticated no-op /sehat", port, "GET", [("/sehat", "")], base),
            ("bare page (meeting size)", bare_port, "GET", [(f"/{pages['meeting'][1]}", "")], base),
            ("meeting page", port, "GET", [(pages["meeting"][0], "")], base),
            (
                "bare page (proposals size)",
                bare_port,
                "GET",
                [(f"/{pages['proposals'][1]}", "")],
                base,
            ),
            ("proposals page", port, "GET", [(pages["proposals"][0], "")], base),
            (
                "check-in, repeat (no change)",
                port,
                "POST",
                [(check_in.format(p), "hadir=1") for p in ids["voters"]],
                post,
            ),
            ("check-in, toggle (writes)", port, "POST", toggles, post),
            (
                "vote (named, upsert)",
                port,
                "POST",
                [
                    (f"/musyawarah/{meeting}/usulan/{proposal}/suara/{p}", "pilihan=setuju")
                    for p in ids["voters"]
                ],
                post,
            ),
        ]
        before = counts(config, meeting, proposal)
        for round_number in range(1, options.rounds + 1):
            for name, target_port, method, requests, headers in cases:
                script = write_lua(tmp / "bench.lua", method, requests, headers, options.threads)
                server = bare if target_port == bare_port else portal
                wrk(target_port, script, options.warmup, options.connections, options.threads)
                cpu_before = worker_cpu_seconds(server)
                busy_before, wrk_before = machine_busy_seconds(), children_cpu_seconds()
                result = wrk(
                    target_port, script, options.seconds, options.connections, options.threads
                )
                cpu = worker_cpu_seconds(server) - cpu_before
                wrk_cpu = children_cpu_seconds() - wrk_before
                other = machine_busy_seconds() - busy_before - cpu - wrk_cpu
                result["cpu_ms"] = cpu * 1000 / max(1, result["requests"])
                # Busy CPU that was neither the workers nor wrk, as % of the machine: the
                # database server (PostgreSQL) and anything else sharing the machine.
                result["other_pct"] = 100 * other / (options.seconds * (os.cpu_count() or 1))
                result.update(name=name, round=round_number, database=label)
                rows.append(result)
                print(
                    f"[{label}] round {round_number} {name}: {result['rps']:.0f} req/s, "
                    f"p50 {result['p50_ms']:.1f} p95 {result['p95_ms']:.1f} "
                    f"p99 {result['p99_ms']:.1f} ms, non-2xx {result['non2xx']}, "
                    f"errors {result['socket_errors']}/{result['timeouts']}, "
                    f"worker CPU {result['cpu_ms']:.1f} ms/request, other CPU "
                    f"{result['other_pct']:.0f}% of the machine",
                    flush=True,
                )
        status, _, body = fetch(port, "GET", pages["meeting"][0], cookie=cookie)
        assert status == 200
    finally:
        stop(portal)
        if bare is not None:
            stop(bare)
    after = counts(config, meeting, proposal)
    writes = {
        k: after[k] - before[k] for k in ("meeting.check_in", "meeting.check_out", "meeting.vote")
    }
    print(
        f"[{label}] rows after the run: {after}; audit entries written during load: {writes}",
        flush=True,
    )

    def path_of(i: int, items: list[int], fmt: str) -> str:
        return fmt.format(items[i % len(items)])

    profile_cases = [
        {
            "label": "meeting page",
            "method": "GET",
            "path": lambda i: pages["meeting"][0],
            "data": lambda i: None,
            "headers": {"User-Agent": USER_AGENT},
        },
        {
            "label": "proposals page",
            "method": "GET",
            "path": lambda i: pages["proposals"][0],
            "data": lambda i: None,
            "headers": {"User-Agent": USER_AGENT},
        },
        {
            "label": "check-in, repeat",
            "method": "POST",
            "path": lambda i: path_of(i, ids["voters"], check_in),
            "data": lambda i: {"hadir": "1"},
            "headers": {"User-Agent": USER_AGENT, "HX-Request": "true"},
        },
        {
            "label": "check-in, toggle",
            "method": "POST",
            "path": lambda i: path_of(i, ids["observers"], check_in),
            "data": lambda i: {"hadir": str(i // len(ids["observers"]) % 2)},
            "headers": {"User-Agent": USER_AGENT, "HX-Request": "true"},
        },
        {
            "label": "vote",
            "method": "POST",
            "path": lambda i: path_of(
                i, ids["voters"], f"/musyawarah/{meeting}/usulan/{proposal}/suara/{{}}"
            ),
            "data": lambda i: {"pilihan": "setuju"},
            "headers": {"User-Agent": USER_AGENT, "HX-Request": "true"},
        },
    ]
    profiled = profile(config, profile_cases, options.profile_repeats)
    return {"rows": rows, "pages": pages, "writes": writes, "after": after, "profile": profiled}


def summarise(label: str, result: dict, rounds: int) -> None:
    rows = result["rows"]
    by_name = collections.defaultdict(list)
    for row in rows:
        by_name[row["name"]].append(row)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in by_name[name])

    print(f"\n### {label}: median of {rounds} round(s); req/s of each round in brackets\n")
    print(
        "| Request | Body (B) | req/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | "
        "Worker CPU (ms/req) | Other CPU (%) | Requests | Non-2xx | Socket errors/timeouts |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    sizes = {
        "bare page (no-op size)": result["pages"]["noop"][1],
        "authenticated no-op /sehat": result["pages"]["noop"][1],
        "bare page (meeting size)": result["pages"]["meeting"][1],
        "meeting page": result["pages"]["meeting"][1],
        "bare page (proposals size)": result["pages"]["proposals"][1],
        "proposals page": result["pages"]["proposals"][1],
    }
    for name, items in by_name.items():
        each = ", ".join(f"{r['rps']:.0f}" for r in items)
        print(
            f"| {name} | {sizes.get(name, round(med(name, 'bytes') / med(name, 'requests')))} "
            f"| {med(name, 'rps'):,.0f} [{each}] | {med(name, 'p50_ms'):.1f} "
            f"| {med(name, 'p95_ms'):.1f} | {med(name, 'p99_ms'):.1f} | {med(name, 'max_ms'):.1f} "
            f"| {med(name, 'cpu_ms'):.1f} | {med(name, 'other_pct'):.0f} "
            f"| {sum(r['requests'] for r in items):,} "
            f"| {sum(r['non2xx'] for r in items)} "
            f"| {sum(r['socket_errors'] for r in items)}/{sum(r['timeouts'] for r in items)} |"
        )
    ratios = []
    for page, bare in (
        ("meeting page", "bare page (meeting size)"),
        ("proposals page", "bare page (proposals size)"),
        ("authenticated no-op /sehat", "bare page (no-op size)"),
    ):
        per_round = [p["rps"] / b["rps"] for p, b in zip(by_name[page], by_name[bare], strict=True)]
        ratios.append((page, statistics.median(per_round), per_round))
    print()
    for page, ratio, per_round in ratios:
        print(
            f"- {page} / bare page of the same size: {ratio:.2f} "
            f"(rounds: {', '.join(f'{r:.2f}' for r in per_round)})"
        )
    # The floor of any logged-in page on this stack, measured in the same run: how much the
    # meeting page costs beyond authenticating a request.
    floor = [
        p["rps"] / n["rps"]
        for p, n in zip(by_name["meeting page"], by_name["authenticated no-op /sehat"], strict=True)
    ]
    print(
        f"- meeting page / authenticated no-op: {statistics.median(floor):.2f} "
        f"(rounds: {', '.join(f'{r:.2f}' for r in floor)})"
    )
    checks = [
        ("meeting page req/s ratio ≥ 0.4", ratios[0][1] >= TARGET_RATIO, f"{ratios[0][1]:.2f}"),
        (
            "meeting page p95 < 100 ms",
            med("meeting page", "p95_ms") < TARGET_PAGE_P95,
            f"{med('meeting page', 'p95_ms'):.1f} ms",
        ),
    ]
    for name in (
        "check-in, repeat (no change)",
        "check-in, toggle (writes)",
        "vote (named, upsert)",
    ):
        checks.append(
            (
                f"{name} p95 < 50 ms",
                med(name, "p95_ms") < TARGET_ACTION_P95,
                f"{med(name, 'p95_ms'):.1f} ms",
            )
        )
    for text, ok, value in checks:
        print(f"- {text}: {'met' if ok else 'MISSED'} ({value})")
    print(f"- audit entries written under load: {result['writes']}")
    print("\nIn-process (Flask test client, one request at a time, no load):\n")
    print(
        "| Request | median (ms) | mean (ms) | SQL statements | SQL time (ms) "
        "| Template rendering (ms) | Slowest statement (ms/request) |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for entry in result["profile"]:
        text, _n, ms = entry["top"][0]
        print(
            f"| {entry['label']} | {entry['median_ms']:.1f} | {entry['mean_ms']:.1f} "
            f"| {entry['statements']:.1f} | {entry['sql_ms']:.1f} | {entry['render_ms']:.1f} "
            f"| {ms:.2f}: `{text}` |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="seconds, not recorded")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--port", type=int, default=8741, help="portal; the bare app gets +1")
    parser.add_argument("--profile-repeats", type=int, default=50)
    parser.add_argument("--postgres", help="also run on PostgreSQL (schema bench_meeting)")
    parser.add_argument(
        "--sqlite", action=argparse.BooleanOptionalAction, default=True, help="run on SQLite"
    )
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    print(
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs; wrk -t{options.threads} -c{options.connections} "
        f"-d{options.seconds}s (after {options.warmup} s warm-up), {options.rounds} round(s)",
        flush=True,
    )
    revision = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"code: {revision or 'unknown'}; "
        f"started {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-meeting-") as tmp_name:
        tmp = Path(tmp_name)
        if options.sqlite:
            sqlite_dir = tmp / "sqlite"
            sqlite_dir.mkdir()
            url = f"sqlite:///{sqlite_dir / 'bench.sqlite'}"
            results.append(("SQLite", run_database("SQLite", url, None, sqlite_dir, options)))
        if options.postgres:
            pg_dir = tmp / "postgres"
            pg_dir.mkdir()
            postgres_schema(options.postgres, create=True)
            try:
                results.append(
                    (
                        "PostgreSQL",
                        run_database("PostgreSQL", options.postgres, SCHEMA, pg_dir, options),
                    )
                )
            finally:
                postgres_schema(options.postgres, create=False)
        for label, result in results:
            summarise(label, result, options.rounds)


if __name__ == "__main__":
    main()
