"""Benchmark of the berita acara PDF (issue 5): a meeting of 2,000 families, target ≤ 10 s
rendered and signed, ≤ 450 MB peak per process, ≥ 2.5× faster than a naive single-table render
of the same rows measured in the same run.

    .venv/bin/python bench/ba_render.py                       # 3 rounds, workers 1 and 2
    .venv/bin/python bench/ba_render.py --rounds 3 --workers 1,2,4 --families 2000

The synthetic meeting (tests/berita_acara/synthetic.py): 1,600 tetap, 250 keluar, 80 usulan baru
(with their members), 70 perbaikan, 40 participants, some long names. Every measurement runs in
a fresh child process that builds the app first (as a Huey worker does), so its peak memory
(ru_maxrss) is that one job's:

- naive: one WeasyPrint document holding one table of all 2,000 families (8 columns: no,
  category, KK, NIK, name, RT/RW, reason/alamat/changes, decision), auto table layout, one
  process, the garbage collector on: the issue's baseline.
- render_ba_pdf with `workers` = 1, 2 (…): the full berita acara (text, daftar hadir, every
  attachment, page numbers, QR codes, embedded JSON); its forked children's peak is
  RUSAGE_CHILDREN of the job. Then signed with pyHanko (PAdES, EC P-256 self-signed certificate
  made here with the non-repudiation key usage), incremental update.

Rounds are interleaved (naive, w1, w2, naive, …); the table gives medians. The machine's load is
recorded around every measurement: /proc/loadavg, and the CPU time the machine spent on other
processes during the measurement (from /proc/stat minus the job's own CPU time). Before each
measurement the bench waits (up to --quiet-wait s) for the machine to be idle for 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIX = {"tetap": 0.80, "keluar": 0.125, "baru": 0.04, "perbaikan": 0.035}


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def wait_for_quiet(limit: float, threshold: float = 0.15) -> float:
    """Wait (at most `limit` s) until the machine was less than `threshold` busy for 3 s: other
    people's jobs share these 2 cores. Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        busy0, total0 = machine_busy()
        time.sleep(3)
        busy1, total1 = machine_busy()
        if (busy1 - busy0) / max(1e-9, total1 - total0) < threshold:
            break
    return time.monotonic() - started


def loadavg() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def synthetic(families: int):
    sys.path.insert(0, str(REPO))
    from tests.berita_acara.synthetic import synthetic_document

    counts = {k: round(families * share) for k, share in MIX.items()}
    counts["tetap"] += families - sum(counts.values())
    return synthetic_document(**counts, rejected=12, participants=40, long_names=30, seed=11)


def naive_html(doc) -> str:
    """All families in one table, auto layout: what a first implementation would do."""
    from markupsafe import escape

    rows = []
    number = 0
    families = doc["families"]
    for kind in ("tetap", "keluar", "baru", "perbaikan"):
        for f in families[kind]:
            number += 1
            if kind == "keluar":
                note = f"{f['reason']} {f.get('reason_text') or ''}"
            elif kind == "baru":
                note = f"{f.get('alamat') or ''}; " + "; ".join(
                    f"{m['nik']} {m['name']} ({m['relation']})" for m in f["members"]
                )
            elif kind == "perbaikan":
                note = "; ".join(
                    f"{c['field']}: {c['before']} → {c['after']}" for c in f["changes"]
                )
            else:
                note = f"{f['members']} anggota"
            decision = f.get("decision") or {}
            cells = [
                number,
                kind,
                f["kk"],
                f["head_nik"],
                f["head_name"],
                f"{f['rt']}/{f['rw']}",
                note,
                f"{decision.get('method', '')} {decision.get('yes', '')}",
            ]
            rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>"
        for h in ("No", "Kategori", "No. KK", "NIK", "Nama", "RT/RW", "Keterangan", "Keputusan")
    )
    style = (
        "@page{size:A4;margin:18mm 16mm 25mm 20mm;font-family:'Liberation Serif';"
        "@bottom-center{content:'Halaman ' counter(page) ' dari ' counter(pages)}}"
        "body{font-family:'Liberation Serif';font-size:8.5pt}"
        "table{width:100%;border-collapse:collapse}td,th{border:0.5pt solid #000;padding:1.5pt 3pt}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{style}</style></head><body>"
        f"<h1>Daftar keputusan</h1><table><thead><tr>{head}</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )


def make_signer():
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder_data
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Portal Musyawarah")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pem") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
        handle.flush()
        certificate = load_cert_from_pemder(handle.name)
    private = load_private_key_from_pemder_data(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        passphrase=None,
    )
    return signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=private,
        cert_registry=SimpleCertificateStore.from_certs([certificate]),
    )


def sign(pdf: bytes, signer) -> bytes:
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    out = BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name="PortalMusyawarah", reason="bench"),
        signer=signer,
        output=out,
    )
    return out.getvalue()


def job(mode: str, families: int) -> dict:
    """One measurement, in this (fresh) process. Prints JSON."""
    import gc
    import resource

    sys.path.insert(0, str(REPO))
    from portal import create_app

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    doc = synthetic(families)
    out: dict = {"mode": mode}
    with app.app_context():
        from io import BytesIO

        import pikepdf
        from weasyprint import HTML

        from portal.blueprints.berita_acara.canonical import canonical_bytes, sha256_hex
        from portal.blueprints.berita_acara.rendering.embedded import read_embedded
        from portal.blueprints.berita_acara.rendering.pipeline import render_ba_pdf

        data = canonical_bytes(doc)
        digest = sha256_hex(data)
        signer = make_signer() if mode != "naive" else None
        gc.collect()
        out["rss_before_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cpu0 = os.times()
        busy0, total0 = machine_busy()
        load0 = loadavg()
        started = time.perf_counter()
        if mode == "naive":
            document = HTML(string=naive_html(doc)).render()
            document.write_pdf()
            out["render_s"] = time.perf_counter() - started
            out["sign_s"] = 0.0
            out["pages"] = len(document.pages)
            del document
        else:
            workers = int(mode.removeprefix("w"))
            result = render_ba_pdf(
                data,
                sha256=digest,
                verify_url=f"https://portal.example.go.id/verifikasi/{digest[:20]}",
                workers=workers,
            )
            out["render_s"] = time.perf_counter() - started
            signed_at = time.perf_counter()
            signed = sign(result.pdf, signer)
            out["sign_s"] = time.perf_counter() - signed_at
            out["pages"] = result.pages
            out["parts"] = result.parts
            out["timings"] = result.timings
            out["planned_ok"] = result.planned_pages == result.list_pages
            out["pdf_kib"] = len(signed) / 1024
            embedded, info = read_embedded(signed)
            out["embedded_ok"] = embedded == data and info.get("PortalSha256") == digest
            with pikepdf.open(BytesIO(signed)) as check:
                out["pages_signed"] = len(check.pages)
        out["total_s"] = time.perf_counter() - started
        cpu1 = os.times()
        busy1, total1 = machine_busy()
        own = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) + (
            cpu1.children_user + cpu1.children_system - cpu0.children_user - cpu0.children_system
        )
        out["cpu_s"] = own
        out["other_cpu_share"] = max(0.0, (busy1 - busy0) - own) / max(1e-9, total1 - total0)
        out["load"] = f"{load0} → {loadavg()}"
        out["peak_parent_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["peak_children_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(out))
    return out


def run_job(mode: str, families: int) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--job", mode, "--families", str(families)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"job {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def describe_machine() -> list[str]:
    cpu = "?"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        mem_kib = int(handle.readline().split()[1])
    import weasyprint

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], capture_output=True, text=True, cwd=REPO
    ).stdout.strip()
    return [
        f"- Machine: {os.cpu_count()} CPUs (`nproc`), {cpu}, {mem_kib / 1024 / 1024:.1f} GiB RAM; "
        f"Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}.",
        f"- Date: {time.strftime('%a %b %d %H:%M:%S UTC %Y', time.gmtime())} (`date -u`); "
        f"code at {commit}{' with uncommitted changes' if dirty else ''}.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--no-naive", action="store_true")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300,
        help="before each measurement, wait up to this many seconds for an idle machine",
    )
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        job(args.job, args.families)
        return

    modes = ([] if args.no_naive else ["naive"]) + [f"w{w}" for w in args.workers.split(",")]
    results: dict[str, list[dict]] = {m: [] for m in modes}
    for round_ in range(1, args.rounds + 1):
        for mode in modes:
            waited = wait_for_quiet(args.quiet_wait) if args.quiet_wait else 0.0
            figures = run_job(mode, args.families)
            figures["waited_s"] = waited
            results[mode].append(figures)
            print(
                f"round {round_} {mode}: render {figures['render_s']:.2f} s, sign "
                f"{figures['sign_s']:.2f} s, pages {figures['pages']}, parent "
                f"{figures['peak_parent_mib']:.0f} MiB, children {figures['peak_children_mib']:.0f}"
                f" MiB, cpu {figures['cpu_s']:.1f} s, other CPU "
                f"{figures['other_cpu_share']:.0%}, load {figures['load']}, waited {waited:.0f} s",
                flush=True,
            )

    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results[mode])

    print()
    print("\n".join(describe_machine()))
    print()
    print(
        "| Run | Pages | Parts | Render (s) | Sign (s) | Render + sign (s) | Speed-up vs naive "
        "| Speed-up per round | Job CPU (s) | Peak RSS parent / children (MiB) | Other CPU "
        "| Rounds: render + sign (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---|")
    naive = med("naive", "render_s") if "naive" in results else None
    for mode in modes:
        rounds = ", ".join(f"{r['render_s'] + r['sign_s']:.2f}" for r in results[mode])
        total = statistics.median(r["render_s"] + r["sign_s"] for r in results[mode])
        speed = f"{naive / med(mode, 'render_s'):.2f}×" if naive and mode != "naive" else "—"
        per_round = "—"
        if naive and mode != "naive":
            # The naive render of the same round (same machine conditions, a minute apart).
            ratios = [
                n["render_s"] / r["render_s"]
                for n, r in zip(results["naive"], results[mode], strict=True)
            ]
            per_round = ", ".join(f"{x:.2f}" for x in ratios)
            per_round += f" (median {statistics.median(ratios):.2f}×)"
        parts = results[mode][0].get("parts", 1)
        label = "naive single table" if mode == "naive" else f"render_ba_pdf workers={mode[1:]}"
        # The naive job forks nothing; importing WeasyPrint runs a short subprocess
        # (ctypes.util.find_library) that would show here.
        children = "—" if mode == "naive" else f"{med(mode, 'peak_children_mib'):.0f}"
        print(
            f"| {label} | {results[mode][0]['pages']} | {parts} | {med(mode, 'render_s'):.2f} "
            f"| {med(mode, 'sign_s'):.2f} | {total:.2f} | {speed} | {per_round} "
            f"| {med(mode, 'cpu_s'):.1f} "
            f"| {med(mode, 'peak_parent_mib'):.0f} / {children} "
            f"| {med(mode, 'other_cpu_share'):.0%} | {rounds} |"
        )
    for mode in modes:
        if mode != "naive":
            ok = all(r["embedded_ok"] and r["planned_ok"] for r in results[mode])
            print(
                f"{mode}: embedded JSON and docinfo read back after signing, page plan exact: {ok}"
            )
            print(
                f"{mode}: phases (median round) {results[mode][len(results[mode]) // 2]['timings']}"
            )


if __name__ == "__main__":
    main()
