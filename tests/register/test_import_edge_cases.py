"""Behaviours added after the first review: a register that changed between preview and
confirm, a cancelled upload's file, a small file whose NIK column was stored as numbers, search
text with LIKE wildcards."""

from __future__ import annotations

from sqlalchemy import select

from portal.blueprints.register.models import RegisterImportFile
from portal.demo import synthetic
from portal.extensions import db
from tests.factories import DESA_PASAR_IPUH
from tests.register.conftest import counts, csv_bytes, errors_by_row, seed_register, text_of


def _file(village, seed: int, families: int = 5) -> bytes:
    rows, _ = synthetic.generate([village], families_per_village=families, seed=seed)
    return csv_bytes(rows)


def test_confirm_after_the_register_changed_shows_a_new_preview(importer, sekretaris, pasar_ipuh):
    first = _file(pasar_ipuh, seed=1)
    record = importer.preview(first, DESA_PASAR_IPUH)
    assert record.summary["add"] == 5
    # Meanwhile the same families land by another way (another import, the CLI).
    seed_register(first, DESA_PASAR_IPUH)
    before = counts()

    record = importer.confirm(record.id)

    assert record.status == "preview"
    assert record.summary["add"] == 0 and record.summary["unchanged"] == 5
    assert counts() == before
    page = text_of(importer.page(record.id))
    assert "Register berubah sejak pratinjau dibuat" in page
    # Confirmed again, it does what the new preview says: nothing to add.
    assert importer.confirm(record.id).status == "done"
    assert counts()["households"] == before["households"]


def test_cancelled_import_keeps_no_copy_of_the_file(importer, sekretaris, pasar_ipuh):
    record = importer.preview(_file(pasar_ipuh, seed=2), DESA_PASAR_IPUH)
    assert db.session.get(RegisterImportFile, record.id) is not None
    record = importer.cancel(record.id)
    assert record.status == "cancelled"
    assert (
        db.session.execute(
            select(RegisterImportFile).where(RegisterImportFile.import_id == record.id)
        ).first()
        is None
    )


def test_small_file_with_every_nik_ending_in_zero_is_refused(importer, sekretaris, pasar_ipuh):
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=2, seed=3)
    assert 4 <= len(rows) < 20
    synthetic.zero_last_digit(rows, fraction=1.0)
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    errors = errors_by_row(record)
    assert len(errors) == len(rows)
    # Every row refused: most for the column-wide damage, a serial turned 0000 for its own reason.
    assert any("berakhir dengan 0" in " ".join(messages) for messages in errors.values())
    assert record.summary["families_in_file"] == 0


def test_name_search_treats_percent_and_underscore_as_text(client, sekretaris, pasar_ipuh):
    seed_register(_file(pasar_ipuh, seed=4, families=8), DESA_PASAR_IPUH)
    url = f"/keluarga/desa/{DESA_PASAR_IPUH}"
    everything = text_of(client.post(url, data={"q": ""}))
    assert "8 keluarga" in everything
    for wildcard in ("%", "_", "a%a"):
        page = text_of(client.post(url, data={"q": wildcard}))
        assert "0 keluarga cocok" in page, wildcard
