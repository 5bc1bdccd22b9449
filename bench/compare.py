"""Paired comparison of two checkouts under the meeting benchmark's load (issue 4).

    .venv/bin/python bench/compare.py BASE_CHECKOUT [--rounds 4] [--seconds 6] [--postgres URL]

On the machines we are given, identical runs minutes apart differ by up to ±50 % (the host's
load, not ours), so two separate runs of bench/meeting_page.py cannot tell a 15 % change. Here
both versions serve the same data at once (gunicorn, 2 sync workers each, on two ports; the
same secret key, so one login serves both) and wrk measures them in turns, A B B A, request by
request: the drift of the machine falls on both alike. BASE_CHECKOUT is a worktree of the older
commit (`git worktree add /tmp/base <rev>`); it runs with this checkout's virtualenv and must
have the same database schema. Prints a markdown table: medians per version and B / A.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import meeting_page as bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="checkout of the version to compare against")
    parser.add_argument("--rounds", type=int, default=4, help="A B B A pairs per request")
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8751)
    parser.add_argument(
        "--postgres", help="PostgreSQL URL (schema bench_meeting) instead of SQLite"
    )
    options = parser.parse_args()
    base = options.base.resolve()
    if not (base / "wsgi.py").exists():
        sys.exit(f"{base} is not a checkout of the portal")
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as name:
        tmp = Path(name)
        if options.postgres:
            bench.postgres_schema(options.postgres, create=True)
            config = bench.app_config(options.postgres, bench.SCHEMA, tmp)
        else:
            config = bench.app_config(f"sqlite:///{tmp / 'bench.sqlite'}", None, tmp)
        try:
            run(options, base, config, tmp)
        finally:
            if options.postgres:
                bench.postgres_schema(options.postgres, create=False)


def run(options, base: Path, config: dict, tmp: Path) -> None:
    ids = bench.build(config, tmp)
    env = bench.gunicorn_env(config)
    log = tmp / "gunicorn.log"
    ports = {"A": options.port, "B": options.port + 1}
    servers = {}
    try:
        servers["A"] = bench.start_gunicorn("wsgi:app", ports["A"], env, log, base)
        servers["B"] = bench.start_gunicorn("wsgi:app", ports["B"], env, log, bench.REPO)
        cookie = bench.login(ports["B"])
        meeting, proposal = ids["meeting"], ids["proposal"]
        plain = {"Cookie": cookie, "User-Agent": bench.USER_AGENT}
        post = {**plain, "Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
        check_in = f"/musyawarah/{meeting}/peserta/{{}}/hadir"
        toggles = [(check_in.format(p), "hadir=0") for p in ids["observers"]] + [
            (check_in.format(p), "hadir=1") for p in ids["observers"]
        ]
        vote = f"/musyawarah/{meeting}/usulan/{proposal}/suara/{{}}"
        cases = [
            ("authenticated no-op /sehat", "GET", [("/sehat", "")], plain),
            ("meeting page", "GET", [(f"/musyawarah/{meeting}", "")], plain),
            (
                "check-in, repeat (no change)",
                "POST",
                [(check_in.format(p), "hadir=1") for p in ids["voters"]],
                post,
            ),
            ("check-in, toggle (writes)", "POST", toggles, post),
            (
                "vote (named, upsert)",
                "POST",
                [(vote.format(p), "pilihan=setuju") for p in ids["voters"]],
                post,
            ),
        ]
        for side, port in ports.items():  # both answer the same page, logged in
            status, _, body = bench.fetch(port, "GET", f"/musyawarah/{meeting}", cookie=cookie)
            assert status == 200 and b"500" in body, (side, status)
        results: dict[tuple[str, str], list[dict]] = {}
        for name, method, requests, headers in cases:
            script = bench.write_lua(
                tmp / "compare.lua", method, requests, headers, options.threads
            )
            for round_number in range(options.rounds):
                order = ("A", "B") if round_number % 2 == 0 else ("B", "A")
                for side in order:
                    port = ports[side]
                    bench.wrk(port, script, options.warmup, options.connections, options.threads)
                    cpu_before = bench.worker_cpu_seconds(servers[side])
                    result = bench.wrk(
                        port, script, options.seconds, options.connections, options.threads
                    )
                    cpu = bench.worker_cpu_seconds(servers[side]) - cpu_before
                    result["cpu_ms"] = cpu * 1000 / max(1, result["requests"])
                    if result["non2xx"] or result["socket_errors"] or result["timeouts"]:
                        raise RuntimeError(f"{side} {name}: errors {result}")
                    results.setdefault((name, side), []).append(result)
                    print(
                        f"{name} [{side}] {result['rps']:.0f} req/s, p95 "
                        f"{result['p95_ms']:.1f} ms, {result['cpu_ms']:.2f} ms CPU/request",
                        flush=True,
                    )
    finally:
        for server in servers.values():
            bench.stop(server)
    print(f"\nA = {base}, B = {bench.REPO}; median of {options.rounds} runs each, A B B A\n")
    print("| Request | req/s A → B | p95 ms A → B | worker CPU ms/req A → B | B / A req/s |")
    print("|---|---|---|---|---:|")
    for name, *_ in cases:
        a, b = results[(name, "A")], results[(name, "B")]

        def med(rows: list[dict], key: str) -> float:
            return statistics.median(r[key] for r in rows)

        ratio = statistics.median(y["rps"] / x["rps"] for x, y in zip(a, b, strict=True))
        print(
            f"| {name} | {med(a, 'rps'):,.0f} → {med(b, 'rps'):,.0f} "
            f"| {med(a, 'p95_ms'):.1f} → {med(b, 'p95_ms'):.1f} "
            f"| {med(a, 'cpu_ms'):.2f} → {med(b, 'cpu_ms'):.2f} | {ratio:.2f} |"
        )


if __name__ == "__main__":
    main()
