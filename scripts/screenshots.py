"""Screenshots of the main pages from the demo data, at desktop width and at 360 px.

    .venv/bin/python scripts/screenshots.py [OUT_DIR] [NAME_PREFIX …]

With name prefixes (e.g. `audit`), only the pages whose names start with one of them.

Serves the app on a throwaway copy of a demo database (migrated and seeded here) and drives
Debian's Chromium with Playwright. Used to look at pages while building them and for the README.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

from flask_migrate import upgrade
from werkzeug.serving import make_server

from portal import create_app
from portal.demo.meetings import seed_meeting, seed_meeting_states
from portal.demo.seed import DEMO_PASSWORD, seed, seed_prelists
from portal.extensions import db

ROOT = Path(__file__).resolve().parent.parent
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# (login, [(name, path)])
PAGES = [
    (
        None,
        [
            ("login", "/masuk"),
            ("verification", "/verifikasi/{code}"),
            ("transparency", "/transparansi/1706052006"),
        ],
    ),
    (
        "admin.mukomuko",
        [
            ("home-admin", "/"),
            ("dashboard-kabupaten", "/dasbor/"),
            ("users", "/admin/pengguna/"),
            ("user-new", "/admin/pengguna/baru"),
            ("region-kabupaten", "/wilayah/1706"),
            ("audit-admin", "/jejak-audit/"),
        ],
    ),
    (
        "camat.ipuh",
        [
            ("home-camat", "/"),
            ("review-inbox", "/konfirmasi/"),
            ("review-locked", "/konfirmasi/{locked}"),
            ("review-confirmed", "/konfirmasi/{confirmed}"),
            ("dashboard-kecamatan", "/dasbor/"),
            ("audit-camat", "/jejak-audit/?kelompok=meeting"),
        ],
    ),
    (
        "sekdes.pasaripuh",
        [
            ("home-sekretaris", "/"),
            ("register-village", "/keluarga/desa/1706052006"),
            ("household", "/keluarga/{household}"),
            ("meeting", "/musyawarah/1"),
            ("meeting-participants", "/musyawarah/1/peserta"),
            ("meeting-proposals", "/musyawarah/1/usulan"),
            ("meeting-locked", "/musyawarah/{locked}"),
            ("meeting-decided", "/musyawarah/{decided}"),
            ("meeting-returned", "/musyawarah/{returned}"),
            ("meeting-confirmed", "/musyawarah/{confirmed}"),
            ("meeting-session", "/musyawarah/{in_session}"),
            ("meeting-session-participants", "/musyawarah/{in_session}/peserta"),
            ("meeting-session-proposals", "/musyawarah/{in_session}/usulan"),
            ("meeting-session-batch", "/musyawarah/{in_session}/putuskan-sekaligus"),
            ("meeting-confirmed-decided", "/musyawarah/{confirmed}/keputusan"),
            ("notifications", "/notifikasi/"),
        ],
    ),
    (
        "operator.ipuh",
        [
            ("home-operator", "/"),
            ("entry-inbox", "/entri/"),
            ("entry-meeting", "/entri/{confirmed}"),
        ],
    ),
]


def import_preview(browser, base: str, out: Path) -> None:
    """Upload a damaged synthetic export as the admin and shoot the preview, desktop and phone."""
    from portal.demo import synthetic

    rows, _ = synthetic.generate(
        [synthetic.Village("1706052006", "Pasar Ipuh", "Ipuh", "Kabupaten Mukomuko", "Bengkulu")],
        families_per_village=60,
        seed=99,
        damage={"nik_scientific": 2, "empty_name": 1, "nik_duplicate": 1, "nik_bad_day": 1},
    )
    path = synthetic.write(rows, Path(tempfile.mkdtemp()) / "prelist-pasar-ipuh.csv", "csv")
    for width, suffix in ((1280, "desktop"), (360, "phone")):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(f"{base}/masuk")
        page.fill("#username", "admin.mukomuko")
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/keluarga/impor")
        page.select_option("#target", "1706052006")
        page.set_input_files("#file", str(path))
        page.click("button[type=submit]")
        try:
            page.wait_for_selector("text=Pratinjau", timeout=15000)
        except Exception:
            page.screenshot(path=str(out / f"import-failed-{suffix}.png"), full_page=True)
            raise
        page.screenshot(path=str(out / f"import-preview-{suffix}.png"), full_page=True)
        context.close()


def main(out: Path, only: tuple[str, ...] = ()) -> None:
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'demo.sqlite'}",
            "SECRET_KEY": "screenshots",
            "HUEY_IMMEDIATE": True,  # the upload's validation runs in the request
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed()
        seed_prelists()
        seed_meeting()
        db.session.commit()
        seed_meeting_states()
        from portal.blueprints.berita_acara.models import BeritaAcara
        from portal.blueprints.meetings.models import Meeting
        from portal.blueprints.register.models import Household

        ids = {
            state: db.session.execute(
                db.select(Meeting.id).where(Meeting.state == state)
            ).scalar_one()
            for state in ("locked", "decided", "returned", "confirmed", "in_session")
        }
        code = db.session.execute(
            db.select(BeritaAcara.verify_code).where(BeritaAcara.meeting_id == ids["locked"])
        ).scalar_one()

        household = db.session.execute(
            db.select(Household.id).where(Household.village_code == "1706052006").limit(1)
        ).scalar_one()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS
            )
            if not only or "import".startswith(only):
                import_preview(browser, base, out)
            for width, suffix in ((1280, "desktop"), (360, "phone")):
                for username, pages in PAGES:
                    context = browser.new_context(viewport={"width": width, "height": 800})
                    page = context.new_page()
                    if username:
                        page.goto(f"{base}/masuk")
                        page.fill("#username", username)
                        page.fill("#password", DEMO_PASSWORD)
                        page.click("button[type=submit]")
                        page.wait_for_url(f"{base}/")
                    for name, path in pages:
                        if only and not name.startswith(only):
                            continue
                        page.goto(base + path.format(household=household, code=code, **ids))
                        page.screenshot(path=str(out / f"{name}-{suffix}.png"), full_page=True)
                    context.close()
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    if out.resolve() == (ROOT / "docs" / "screenshots").resolve():
        shrink(out)
    print(f"screenshots in {out}")


def shrink(folder: Path, max_height: int = 1600) -> None:
    """The README's copies: the top of each page, 128 colours (a tenth of the bytes)."""
    from PIL import Image

    for path in folder.glob("*.png"):
        with Image.open(path) as image:
            top = image.crop((0, 0, image.width, min(image.height, max_height)))
            small = top.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots",
        tuple(sys.argv[2:]),
    )
