"""The worker killed in the middle of a job: nothing half-written, nothing locked without its PDF,
and the job can be asked again and then finishes.

The real job function runs in a separate process on the test's own database (the SQLite file, or
PostgreSQL at TEST_DATABASE_URL). Inside that process one step is patched to report and then
block: after the berita acara's PDF is rendered and signed and the lock is made in the open
transaction, or after the import has written every family in its open transaction. The parent
then SIGKILLs it, as the OOM killer or a pulled plug would, and looks at what the database holds.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.meetings import states
from portal.blueprints.meetings.models import Meeting, MeetingMove
from portal.blueprints.register import services as register_services
from portal.blueprints.register import tasks as register_tasks
from portal.blueprints.register.models import Household, HouseholdEvent, Person, RegisterImport
from portal.demo import synthetic
from portal.extensions import db
from portal.timeutil import utcnow
from tests.berita_acara.conftest import decided  # noqa: F401  (fixtures)
from tests.factories import DESA_PASAR_IPUH, Auth, make_user
from tests.meetings.conftest import register, sekretaris  # noqa: F401  (fixtures)
from tests.register.conftest import Importer, csv_bytes, importer, village_of  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
BLOCKED = "blocked at "

# The job in its own process. argv: database URL, job, id. Prints BLOCKED + step, then waits
# to be killed (never longer than 10 minutes).
CHILD = r"""
import sys, time
from tests.conftest import base_config
from portal import create_app
from portal.extensions import db

url, job, ident = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app(base_config(url))


def block(step):
    db.session.flush()
    print("blocked at " + step, flush=True)
    time.sleep(600)
    sys.exit(3)


with app.app_context():
    if job == "ba-lock":
        # The PDF rendered and signed, the meeting moved to locked and the PDF stored, all in
        # the lock's transaction: the worker dies before it commits.
        from portal.blueprints.berita_acara import tasks
        from portal.blueprints.notifications import services as notifications

        notifications.notify_ba_locked = lambda *args, **kwargs: block("ba-lock")
        tasks.generate(ident)
    elif job == "ba-render":
        from portal.blueprints.berita_acara import tasks
        from portal.blueprints.berita_acara.rendering import pipeline

        pipeline.render_ba_pdf = lambda *args, **kwargs: block("ba-render")
        tasks.generate(ident)
    elif job == "apply":
        from portal.blueprints.register import tasks as services

        real = services.apply_plan

        def apply_then_block(plan, **kwargs):
            real(plan, **kwargs)
            block("apply")

        services.apply_plan = apply_then_block
        services.apply_import(ident)
    elif job == "validate":
        from portal.blueprints.register import tasks as services

        services.analyse = lambda *args, **kwargs: block("validate")
        services.validate_import(ident)
    print("finished without blocking", flush=True)
"""


def run_and_kill(database_url: str, job: str, ident: int) -> None:
    """Run `job` on row `ident` in a child process, wait until it blocks, SIGKILL it."""
    db.session.commit()
    # The child's stderr goes to a file: a pipe nobody reads could fill up and block it.
    with tempfile.TemporaryFile("w+") as log:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, database_url, job, str(ident)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in child.stdout], daemon=True).start()
        deadline = time.monotonic() + 120
        try:
            while True:
                try:
                    line = lines.get(timeout=0.5)
                except queue.Empty:
                    if child.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        pytest.fail(f"the {job} job never blocked: {log.read()[-3000:]}")
                    continue
                if line.startswith(BLOCKED):
                    assert line.strip() == BLOCKED + job
                    break
        finally:
            child.kill()  # SIGKILL: no cleanup, no rollback sent, as the OOM killer does
            child.wait(timeout=30)
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    db.session.expire_all()


# --- the berita acara -----------------------------------------------------------------------


def requested(meeting: Meeting, user) -> BeritaAcara:
    """The secretary asks for the berita acara, the job is enqueued but no worker takes it yet."""
    from portal.blueprints.berita_acara import services

    ba = services.request_lock(meeting, user=user)
    db.session.commit()
    return ba


def ba_panel(client, meeting_id: int) -> str:
    return client.get(f"/musyawarah/{meeting_id}").get_data(as_text=True)


@pytest.mark.parametrize("killed_at", ["ba-lock", "ba-render"])
def test_worker_killed_during_the_berita_acara_leaves_the_meeting_decided_and_a_retry_locks_it(
    app, client, database_url, decided, sekretaris, killed_at
):
    meeting_id = decided.id
    ba = requested(decided, sekretaris)
    ba_id = ba.id

    run_and_kill(database_url, killed_at, ba_id)

    meeting = db.session.get(Meeting, meeting_id)
    assert meeting.state == states.DECIDED  # not locked without its PDF
    ba = db.session.get(BeritaAcara, ba_id)
    assert ba.status == "running" and ba.attempt == 1
    assert ba.pdf is None and ba.sha256 is None and ba.canonical is None
    assert ba.signed_at is None
    lock_moves = (
        select(func.count())
        .select_from(MeetingMove)
        .where(MeetingMove.meeting_id == meeting_id, MeetingMove.move == "lock")
    )
    assert db.session.scalar(lock_moves) == 0

    Auth(client).login_as(sekretaris)
    page = ba_panel(client, meeting_id)
    assert "Berita acara sedang dibuat" in page  # within the timeout: still shown as running
    assert "Buat berita acara dan kunci musyawarah" not in page

    app.config["BA_JOB_TIMEOUT"] = 60  # the job has been silent for longer than that now
    db.session.execute(
        update(BeritaAcara)
        .where(BeritaAcara.id == ba_id)
        .values(started_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()
    page = ba_panel(client, meeting_id)
    assert "Pembuatan berita acara terhenti" in page
    assert "Buat berita acara dan kunci musyawarah" in page

    # The secretary asks again (the route runs the job: immediate mode) and it locks.
    response = client.post(f"/musyawarah/{meeting_id}/berita-acara")
    assert response.status_code == 302
    db.session.expire_all()
    ba = db.session.get(BeritaAcara, ba_id)
    assert ba.status == "done", ba.error
    assert ba.attempt == 2
    assert ba.pdf.startswith(b"%PDF-") and ba.sha256
    assert db.session.get(Meeting, meeting_id).state == states.LOCKED
    assert db.session.scalar(lock_moves) == 1


# --- the register import --------------------------------------------------------------------


@pytest.fixture
def village_file(regions) -> bytes:
    rows, _ = synthetic.generate([village_of(DESA_PASAR_IPUH)], families_per_village=12, seed=7)
    return csv_bytes(rows)


@pytest.fixture
def logged_in(client, regions):
    user = make_user("sekretaris", DESA_PASAR_IPUH)
    Auth(client).login_as(user)
    return user


def register_state() -> tuple[int, int, int]:
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Household, Person, HouseholdEvent)
    )


def test_worker_killed_while_applying_an_import_writes_nothing_and_a_retry_applies_it_all(
    app,
    client,
    database_url,
    logged_in,
    importer,
    village_file,
):
    record = importer.preview(village_file, DESA_PASAR_IPUH)
    assert record.status == "preview", record.message
    families = record.summary["add"]
    persons = record.summary["persons_new"]
    assert families == 12
    register_services.confirm_import(record, user=logged_in)
    db.session.commit()
    before = register_state()

    run_and_kill(database_url, "apply", record.id)

    assert register_state() == before  # no family, member or event of the import
    record = importer.record(record.id)
    assert record.status == "applying"
    page = importer.page(record.id).get_data(as_text=True)
    assert "sedang disimpan" in page

    # Within the timeout the sweep leaves it alone; past it, back to the preview with the reason.
    assert register_tasks.settle_stalled_imports() == 0
    app.config["IMPORT_JOB_TIMEOUT"] = 60
    db.session.execute(
        update(RegisterImport)
        .where(RegisterImport.id == record.id)
        .values(started_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()
    from portal.blueprints.register.tasks import settle_stalled_imports_task

    settle_stalled_imports_task()  # the periodic job (immediate mode runs it now)
    record = importer.record(record.id)
    assert record.status == "preview"
    page = importer.page(record.id).get_data(as_text=True)
    assert "Penyimpanan terhenti sebelum selesai" in page
    assert "Konfirmasi dan simpan" in page
    assert register_state() == before

    # Confirmed again: applied completely.
    record = importer.confirm(record.id)
    assert record.status == "done", record.message
    households, people, events = register_state()
    assert households == before[0] + families
    assert people == before[1] + persons
    assert events > before[2]


def test_worker_killed_while_checking_an_upload_is_failed_with_the_reason(
    app,
    client,
    database_url,
    logged_in,
    village_file,
):
    record = register_services.create_import(
        user=logged_in, scope_code=DESA_PASAR_IPUH, filename="prelist.csv", data=village_file
    )
    db.session.commit()
    record_id = record.id
    before = register_state()

    run_and_kill(database_url, "validate", record_id)

    record = db.session.get(RegisterImport, record_id)
    assert record.status == "validating"
    app.config["IMPORT_JOB_TIMEOUT"] = 60
    record.started_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert register_tasks.settle_stalled_imports() == 1
    db.session.expire_all()
    record = db.session.get(RegisterImport, record_id)
    assert record.status == "failed"
    page = client.get(f"/keluarga/impor/{record_id}").get_data(as_text=True)
    assert "Pemeriksaan berkas terhenti" in page
    assert "hx-trigger" not in page  # no longer polling forever
    assert register_state() == before


def test_an_apply_job_taken_for_dead_that_wakes_up_writes_nothing(
    app, logged_in, importer, village_file, monkeypatch
):
    """The first job was only slow: meanwhile the sweep sent its import back to the preview
    (another connection, committed). When the job reaches its commit it finds the import no
    longer its own, keeps nothing, and leaves the sweep's answer standing."""
    record = importer.preview(village_file, DESA_PASAR_IPUH)
    register_services.confirm_import(record, user=logged_in)
    db.session.commit()
    record_id = record.id
    before = register_state()
    real = register_services.analyse

    def analyse_while_settled(*args, **kwargs):
        analysis = real(*args, **kwargs)
        with db.engine.begin() as other:  # the sweep, in its own transaction
            other.execute(
                update(RegisterImport)
                .where(RegisterImport.id == record_id)
                .values(status="preview", message="settled")
            )
        return analysis

    monkeypatch.setattr(register_tasks, "analyse", analyse_while_settled)
    register_tasks.apply_import(record_id)
    assert register_state() == before
    record = importer.record(record_id)
    assert (record.status, record.message) == ("preview", "settled")
