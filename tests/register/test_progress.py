"""The import's progress: reported while a big file is checked, and a hint when no worker runs."""

from __future__ import annotations

from datetime import timedelta

from portal.blueprints.register import services
from portal.blueprints.register.models import RegisterImport
from portal.demo import synthetic
from portal.extensions import db
from portal.timeutil import utcnow
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO, make_user
from tests.register.conftest import csv_bytes


def test_validation_reports_progress_every_5000_rows(app, regions, pasar_ipuh):
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=4000, seed=5)
    assert len(rows) > 10_000
    seen: list[tuple[int, int]] = []
    services.analyse(csv_bytes(rows), DESA_PASAR_IPUH, on_progress=lambda d, t: seen.append((d, t)))
    assert [done for done, _ in seen] == list(range(5000, len(rows) + 1, 5000))
    assert all(total >= len(rows) for _, total in seen), (seen[:2], len(rows))


def test_queued_import_without_worker_says_so(client, auth, regions):
    admin = make_user("admin", KAB_MUKOMUKO)
    auth.login_as(admin)
    record = RegisterImport(
        scope_code=DESA_PASAR_IPUH,
        filename="x.csv",
        file_size=1,
        file_sha256="0" * 64,
        status="queued",
        progress=0,
        created_by=admin.id,
        created_at=utcnow() - timedelta(minutes=5),
    )
    db.session.add(record)
    db.session.commit()
    page = client.get(f"/keluarga/impor/{record.id}").get_data(as_text=True)
    assert "pekerja latar (huey_consumer)" in page
    assert 'hx-trigger="every 1s"' in page
