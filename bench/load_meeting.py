"""Load test (issue 7): 50 simulated users checking in and voting in one meeting, on gunicorn +
PostgreSQL, for a bounded time, on 127.0.0.1 only.

    .venv/bin/python bench/load_meeting.py \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test \
        [--users 50] [--seconds 120] [--workers 2] [--threads 1]

The meeting (Pasar Ipuh, in session) has 100 voting participants present, 50 observers, and
one proposal under a named vote. 50 accounts of the village's secretariat log in (one session
each). Every simulated user owns two voters and one observer, so that the order of its own
requests is the order the server saw them: in a loop without pause it casts a named vote for one
of its voters (a random choice), or taps its observer present/absent. Afterwards the database is
compared with what was sent: one vote row per voter that got a 2xx answer, each with the last
choice sent; each observer in the last state sent; no response other than 2xx; the audit
trail's hash chain still whole. Latency (p50/p95/p99) and throughput are printed as markdown
rows for bench/RESULTS.md. The schema `bench_load` is created and dropped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from meeting_page import (  # noqa: E402  (bench scripts share the server helpers)
    REGIONS,
    VILLAGE,
    app_config,
    gunicorn_env,
    stop,
)

SCHEMA = "bench_load"
PASSWORD = "sandi-beban-2026"
VOTERS_PER_USER = 2


def schema(url: str, create: bool) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        if create:
            conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()


def config_for(url: str, tmp: Path) -> dict[str, object]:
    config = app_config(url, SCHEMA, tmp)
    return config


def build(config: dict[str, object], users: int) -> dict[str, object]:
    """Migrate; regions; `users` secretariat accounts; the meeting in session with its vote."""
    import logging

    from flask_migrate import upgrade

    from portal import create_app
    from portal.blueprints.meetings import services
    from portal.blueprints.meetings.models import UNSUR
    from portal.blueprints.regions.models import Region
    from portal.blueprints.regions.services import import_regions
    from portal.blueprints.register import services as register
    from portal.blueprints.register.applying import apply_plan
    from portal.blueprints.register.models import ACTIVE, Household
    from portal.blueprints.users import services as accounts
    from portal.demo import synthetic
    from portal.extensions import db

    app = create_app(config)
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        logging.getLogger("alembic").setLevel(logging.WARNING)
        assert import_regions(REGIONS).ok
        db.session.commit()
        names = []
        for i in range(users):
            user, _ = accounts.create_user(
                accounts.UserData(f"beban{i:02d}", f"Sekretariat {i}", "sekretaris", VILLAGE),
                password=PASSWORD,
            )
            user.must_change_password = False
            names.append(user.username)
        db.session.commit()
        owner = db.session.execute(
            db.select(accounts.User).where(accounts.User.username == names[0])
        ).scalar_one()
        (village,) = synthetic.villages_from_regions([db.session.get(Region, VILLAGE)])
        rows, _ = synthetic.generate([village], families_per_village=50, seed=7)
        path = synthetic.write(rows, Path(str(config["HUEY_SQLITE_PATH"])).parent / "r.csv", "csv")
        analysis = register.analyse(Path(path).read_bytes(), VILLAGE)
        apply_plan(analysis.plan, import_id=None, user_id=None)
        db.session.commit()
        meeting = services.create_meeting(
            VILLAGE,
            services.MeetingData(
                number="002/MUSDES/XI/2026",
                meeting_date=date(2026, 11, 23),
                start_time=clock(9, 0),
                place="Balai Desa Pasar Ipuh",
                agenda="Pemutakhiran DTSEN",
                chair_name="Kepala Desa",
                notulen_name="Sekretaris Desa",
                period="2026-11",
            ),
            user=owner,
        )
        voting = [u for u in UNSUR if u not in ("notulen", "pengamat")]
        voters = [
            services.add_participant(
                meeting,
                services.ParticipantData(name=f"Warga {i + 1}", unsur=voting[i % len(voting)]),
                user=owner,
            )
            for i in range(users * VOTERS_PER_USER)
        ]
        observers = [
            services.add_participant(
                meeting,
                services.ParticipantData(name=f"Pengamat {i + 1}", unsur="pengamat", votes=False),
                user=owner,
            )
            for i in range(users)
        ]
        services.move(meeting, "schedule", user=owner)
        household = db.session.execute(
            db.select(Household)
            .where(Household.village_code == VILLAGE, Household.status == ACTIVE)
            .limit(1)
        ).scalar_one()
        proposal = services.add_removal(
            meeting,
            household,
            reason="sudah_mampu",
            reason_text=None,
            proposer="rt_rw",
            proposer_name=None,
            note=None,
            user=owner,
        )
        db.session.commit()
        services.move(meeting, "open", user=owner)
        for participant in voters:
            services.check_in(meeting, participant, user=owner)
        services.open_named_vote(meeting, proposal, user=owner)
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        ids = {
            "meeting": meeting.id,
            "proposal": proposal.id,
            "voters": [p.id for p in voters],
            "observers": [p.id for p in observers],
            "usernames": names,
        }
        db.session.remove()
        db.engine.dispose()
    return ids


def start(port: int, env: dict[str, str], log: Path, workers: int, threads: int):
    command = [
        str(REPO / ".venv" / "bin" / "gunicorn"),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
    ]
    if threads > 1:
        command += ["-k", "gthread", "--threads", str(threads)]
    command.append("wsgi:app")
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/sehat")
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError("gunicorn did not answer")


def request(port: int, method: str, path: str, cookie: str = "", form=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    sent = {"User-Agent": "load-meeting-bench", **(headers or {})}
    if cookie:
        sent["Cookie"] = cookie
    body = None
    if form is not None:
        body = urlencode(form)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.getheader("Set-Cookie") or "", data


def login(port: int, username: str) -> str:
    status, cookie, body = request(
        port, "POST", "/masuk", form={"username": username, "password": PASSWORD}
    )
    match = re.search(r"session=([^;]+)", cookie)
    if status != 302 or not match:
        raise RuntimeError(f"login {username}: {status} {body[:200]!r}")
    return f"session={match.group(1)}"


class SimulatedUser(threading.Thread):
    """One secretariat member tapping as fast as the server answers, on its own participants."""

    def __init__(self, port, cookie, ids, index, until, seed):
        super().__init__(daemon=True)
        self.port, self.cookie, self.until = port, cookie, until
        self.meeting, self.proposal = ids["meeting"], ids["proposal"]
        self.voters = ids["voters"][index * VOTERS_PER_USER : (index + 1) * VOTERS_PER_USER]
        self.observer = ids["observers"][index]
        self.random = random.Random(seed)
        self.latencies: dict[str, list[float]] = {"vote": [], "check_in": []}
        self.statuses: dict[int, int] = {}
        self.last_choice: dict[int, str] = {}
        self.present: bool | None = None
        self.votes_sent = 0

    def run(self) -> None:
        htmx = {"HX-Request": "true"}
        while time.monotonic() < self.until:
            if self.random.random() < 0.6:
                voter = self.random.choice(self.voters)
                choice = self.random.choice(("setuju", "tidak_setuju", "abstain"))
                path = f"/musyawarah/{self.meeting}/usulan/{self.proposal}/suara/{voter}"
                kind, form = "vote", {"pilihan": choice}
            else:
                present = not self.present
                path = f"/musyawarah/{self.meeting}/peserta/{self.observer}/hadir"
                kind, form = "check_in", {"hadir": "1" if present else "0"}
            began = time.perf_counter()
            status, _, _ = request(self.port, "POST", path, self.cookie, form, htmx)
            self.latencies[kind].append((time.perf_counter() - began) * 1000)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                if kind == "vote":
                    self.last_choice[voter] = choice
                    self.votes_sent += 1
                else:
                    self.present = present


def database_state(config: dict[str, object], ids: dict[str, object]) -> dict[str, object]:
    from portal import audit_chain, create_app
    from portal.blueprints.meetings.models import Participant, Vote
    from portal.extensions import db

    app = create_app(config)
    with app.app_context():
        votes = {
            v.participant_id: v.choice
            for v in db.session.execute(
                db.select(Vote).where(Vote.proposal_id == ids["proposal"])
            ).scalars()
        }
        present = {
            p.id: p.present
            for p in db.session.execute(
                db.select(Participant).where(Participant.id.in_(ids["observers"]))
            ).scalars()
        }
        chain = audit_chain.verify(db.session)
        db.session.remove()
        db.engine.dispose()
    return {"votes": votes, "present": present, "chain": chain}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", required=True, help="SQLAlchemy URL of a PostgreSQL database")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=5391)
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="load-meeting-"))
    schema(options.postgres, create=True)
    config = config_for(options.postgres, tmp)
    server = None
    try:
        print(f"building: {options.users} accounts, meeting, vote …", flush=True)
        ids = build(config, options.users)
        env = gunicorn_env(config)
        server = start(options.port, env, tmp / "gunicorn.log", options.workers, options.threads)
        cookies = [login(options.port, name) for name in ids["usernames"]]
        until = time.monotonic() + options.seconds
        users = [
            SimulatedUser(options.port, cookies[i], ids, i, until, seed=i)
            for i in range(options.users)
        ]
        began = time.perf_counter()
        for user in users:
            user.start()
        for user in users:
            user.join()
        elapsed = time.perf_counter() - began
    finally:
        if server is not None:
            stop(server)
    state = database_state(config, ids)
    schema(options.postgres, create=False)

    statuses: dict[int, int] = {}
    for user in users:
        for status, n in user.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    expected_votes = {v: c for user in users for v, c in user.last_choice.items()}
    expected_present = {user.observer: user.present for user in users if user.present is not None}
    lost = [v for v in expected_votes if v not in state["votes"]]
    extra = [v for v in state["votes"] if v not in expected_votes]
    wrong = [v for v, c in expected_votes.items() if state["votes"].get(v) not in (None, c)]
    wrong_presence = [o for o, p in expected_present.items() if state["present"][o] != p]
    votes = [ms for user in users for ms in user.latencies["vote"]]
    taps = [ms for user in users for ms in user.latencies["check_in"]]
    total = len(votes) + len(taps)
    errors = sum(n for status, n in statuses.items() if not 200 <= status < 300)
    report = {
        "users": options.users,
        "seconds": round(elapsed, 1),
        "workers": options.workers,
        "threads": options.threads,
        "requests": total,
        "rps": round(total / elapsed, 1),
        "statuses": statuses,
        "errors": errors,
        "vote_requests": len(votes),
        "votes_sent_ok": sum(u.votes_sent for u in users),
        "voters_voted": len(expected_votes),
        "vote_rows": len(state["votes"]),
        "lost": len(lost),
        "extra": len(extra),
        "wrong_choice": len(wrong),
        "wrong_presence": len(wrong_presence),
        "chain_ok": state["chain"].ok,
        "chain_entries": state["chain"].count,
        "vote_ms": {
            "p50": round(percentile(votes, 50), 1),
            "p95": round(percentile(votes, 95), 1),
            "p99": round(percentile(votes, 99), 1),
            "mean": round(statistics.fmean(votes), 1) if votes else 0,
        },
        "check_in_ms": {
            "p50": round(percentile(taps, 50), 1),
            "p95": round(percentile(taps, 95), 1),
            "p99": round(percentile(taps, 99), 1),
            "mean": round(statistics.fmean(taps), 1) if taps else 0,
        },
    }
    print(json.dumps(report, indent=2))
    machine = f"{platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()})"
    print(f"\nmachine: {machine}, date: {date.today().isoformat()}")
    print(
        f"| {options.users} users, {options.workers} workers × {options.threads} threads, "
        f"{report['seconds']} s | {total} | {report['rps']} | {errors} | "
        f"{report['vote_ms']['p50']} / {report['vote_ms']['p95']} / {report['vote_ms']['p99']} | "
        f"{report['check_in_ms']['p50']} / {report['check_in_ms']['p95']} / "
        f"{report['check_in_ms']['p99']} | {report['voters_voted']} = {report['vote_rows']} "
        f"(lost {len(lost)}, extra {len(extra)}, wrong {len(wrong)}) | "
        f"{'whole' if report['chain_ok'] else 'BROKEN'} ({report['chain_entries']}) |"
    )
    ok = not errors and not lost and not extra and not wrong and not wrong_presence
    sys.exit(0 if ok and state["chain"].ok else 1)


if __name__ == "__main__":
    main()
