"""The two steps of an import through the web: upload → preview (nothing written) → confirm
(written in one transaction) or cancel; what a newer file of the village changes, and the trace
every change leaves."""

from __future__ import annotations

import re
from collections import OrderedDict

import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.blueprints.register import applying
from portal.blueprints.register import tasks as register_tasks
from portal.blueprints.register.models import Household, HouseholdEvent, Person
from portal.demo import synthetic
from portal.extensions import db
from tests.factories import (
    DESA_AIR_BULUH,
    DESA_PASAR_IPUH,
    KAB_MUKOMUKO,
    KEL_PASAR_MUKOMUKO,
    KEL_TANAH_GARAM,
    make_user,
)
from tests.register.conftest import (
    counts,
    csv_bytes,
    errors_by_row,
    events_of,
    household,
    person,
    text_of,
)


@pytest.fixture
def rows(pasar_ipuh):
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=6, seed=5)
    return rows


def families(rows) -> OrderedDict[str, list[dict[str, str]]]:
    grouped: OrderedDict[str, list[dict[str, str]]] = OrderedDict()
    for row in rows:
        grouped.setdefault(row["nomor_kk"], []).append(row)
    return grouped


def without_family(rows, kk: str):
    return [row for row in rows if row["nomor_kk"] != kk]


def all_events() -> list[HouseholdEvent]:
    db.session.expire_all()
    return list(db.session.execute(select(HouseholdEvent).order_by(HouseholdEvent.id)).scalars())


def audit_actions() -> list[str]:
    return [
        action
        for action in db.session.execute(
            select(AuditEntry.action).order_by(AuditEntry.id)
        ).scalars()
        if action.startswith("register.")
    ]


def snapshot() -> dict[str, object]:
    """Everything the register holds, to compare before and after."""
    db.session.expire_all()
    return {
        "households": [
            (h.kk, h.status, h.alamat, h.rt, h.rw, h.removed_reason)
            for h in db.session.execute(select(Household).order_by(Household.kk)).scalars()
        ],
        "persons": [
            (p.nik, p.household_id, p.name, p.relation)
            for p in db.session.execute(select(Person).order_by(Person.nik)).scalars()
        ],
        "events": len(all_events()),
    }


# --- Preview, confirm, cancel -----------------------------------------------------------


def test_preview_writes_nothing_and_confirm_writes_everything(sekretaris, importer, rows):
    assert counts() == {"households": 0, "persons": 0, "events": 0}
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)

    assert record.status == "preview"
    assert record.created_by == sekretaris.id
    assert counts() == {"households": 0, "persons": 0, "events": 0}
    summary = record.summary
    grouped = families(rows)
    assert (summary["rows"], summary["rows_valid"], summary["rows_rejected"]) == (
        len(rows), len(rows), 0)  # fmt: skip
    assert summary["add"] == summary["families_in_file"] == len(grouped)
    assert summary["persons_new"] == len(rows)
    page = importer.page(record.id)
    text = text_of(page)
    assert "Pratinjau" in text and "menunggu konfirmasi" in text
    assert "Konfirmasi dan simpan" in text and "Batalkan" in text
    assert re.search(r"Keluarga baru</th><td class=\"num\">6<", text)

    record = importer.confirm(record.id)
    assert record.status == "done"
    assert record.applied_by == sekretaris.id and record.applied_at is not None
    assert counts() == {"households": len(grouped), "persons": len(rows), "events": len(grouped)}
    for kk, members in grouped.items():
        family = household(kk)
        head = members[0]
        assert family.village_code == DESA_PASAR_IPUH
        assert family.status == "active" and family.removed_reason is None
        assert (family.alamat, family.dusun, family.rt, family.rw, family.iddtks) == (
            head["alamat"], head["dusun"] or None, head["rt"], head["rw"],
            head["iddtks"] or None)  # fmt: skip
        assert (family.pkh, family.bpnt, family.pbi) == tuple(
            head[flag] == "YA" for flag in ("pkh", "bpnt", "pbi"))  # fmt: skip
        assert family.desil == (int(head["desil"]) if head["desil"] else None)
        assert [m.nik for m in family.members] == [row["nomor_nik"] for row in members]
        for position, (member, row) in enumerate(zip(family.members, members, strict=True)):
            assert member.name == row["nama"]
            assert member.sex == row["jenis_kelamin"]
            assert member.birth_date.isoformat() == row["tanggal_lahir"]
            assert member.birth_place == row["tempat_lahir"]
            assert member.mother_name == row["nama_ibu_kandung"]
            assert member.relation == row["hubungan_keluarga"]
            assert member.position == position
        assert family.head.nik == head["nomor_nik"]
        (created,) = events_of(kk)
        assert (created.kind, created.source, created.import_id) == ("created", "import", record.id)
        assert created.user_id == sekretaris.id
    assert audit_actions() == [
        "register.import_upload", "register.import_confirm", "register.import_apply"]  # fmt: skip

    text = text_of(importer.page(record.id))
    assert "Hasil impor" in text and "selesai" in text
    assert "Konfirmasi dan simpan" not in text


def test_confirm_twice_applies_once(sekretaris, importer, rows):
    record = importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
    after = snapshot()
    response = importer.client.post(
        f"/keluarga/impor/{record.id}/konfirmasi", follow_redirects=True
    )
    assert "Impor ini tidak sedang menunggu konfirmasi." in text_of(response)
    assert snapshot() == after


def test_reimporting_the_same_file_changes_nothing(sekretaris, importer, rows, make_file):
    importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
    before, events_before = snapshot(), counts()["events"]

    # The same content, even as XLSX this time.
    record = importer.preview(make_file(rows, "xlsx"), DESA_PASAR_IPUH)
    summary = record.summary
    assert summary["unchanged"] == summary["families_in_file"] == len(families(rows))
    for key in ("add", "change", "remove", "reactivate", "held", "persons_new"):
        assert summary[key] == 0, key
    assert re.search(r"Keluarga tetap \(tanpa perubahan\)</th><td class=\"num\">6<",
                     text_of(importer.page(record.id)))  # fmt: skip

    record = importer.confirm(record.id)
    assert record.status == "done"
    assert snapshot() == before
    assert counts()["events"] == events_before


def test_cancel_leaves_the_register_unchanged(sekretaris, importer, rows):
    first = families(rows)
    importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
    before = snapshot()
    changed = without_family(rows, next(iter(first)))
    for row in changed:
        row["alamat"] = "Jl. Baru No. 9"

    record = importer.preview(csv_bytes(changed), DESA_PASAR_IPUH)
    assert record.summary["remove"] == 1 and record.summary["change"] == 5
    response = importer.client.post(f"/keluarga/impor/{record.id}/batal", follow_redirects=True)
    assert "Impor dibatalkan; register tidak berubah." in text_of(response)
    assert importer.record(record.id).status == "cancelled"
    assert "dibatalkan" in text_of(importer.page(record.id))
    assert snapshot() == before

    # A cancelled import cannot be confirmed afterwards.
    response = importer.client.post(
        f"/keluarga/impor/{record.id}/konfirmasi", follow_redirects=True
    )
    assert "Impor ini tidak sedang menunggu konfirmasi." in text_of(response)
    assert snapshot() == before
    assert "register.import_cancel" in audit_actions()


def test_cancel_after_done_is_refused(sekretaris, importer, rows):
    record = importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
    response = importer.client.post(f"/keluarga/impor/{record.id}/batal", follow_redirects=True)
    assert "Impor ini tidak dapat dibatalkan lagi." in text_of(response)
    assert importer.record(record.id).status == "done"


# --- What a newer file changes ------------------------------------------------------------


def test_absent_family_is_removed_and_reactivated_when_it_reappears(sekretaris, importer, rows):
    grouped = families(rows)
    gone = list(grouped)[2]
    importer.run(csv_bytes(rows), DESA_PASAR_IPUH)

    record = importer.preview(csv_bytes(without_family(rows, gone)), DESA_PASAR_IPUH)
    assert record.summary["remove"] == 1
    assert record.summary["samples"]["remove"] == [gone]
    assert household(gone).status == "active"  # not before confirmation
    record = importer.confirm(record.id)

    family = household(gone)
    assert family.status == "removed"
    assert family.removed_reason == "tidak_ada_di_prelist"
    assert family.removed_at is not None
    assert len(family.members) == len(grouped[gone])  # the members stay with the family
    removed = events_of(gone)[-1]
    assert (removed.kind, removed.import_id) == ("removed", record.id)
    assert removed.before == {"status": "active"}
    assert removed.after == {"status": "removed", "reason": "tidak_ada_di_prelist"}
    # Only that family changed.
    assert [e.kind for e in all_events()].count("removed") == 1
    for kk in grouped:
        if kk != gone:
            assert household(kk).status == "active"

    village = text_of(importer.client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}"))
    assert gone not in village  # the list shows active families
    page = text_of(importer.client.get(f"/keluarga/{family.id}"))
    assert "keluar" in page and "tidak_ada_di_prelist" in page

    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    assert record.summary["reactivate"] == 1
    assert record.summary["remove"] == 0
    record = importer.confirm(record.id)
    family = household(gone)
    assert family.status == "active"
    assert family.removed_reason is None and family.removed_at is None
    back = events_of(gone)[-1]
    assert (back.kind, back.before, back.after) == (
        "reactivated", {"status": "removed"}, {"status": "active"})  # fmt: skip


def test_changed_field_recorded_with_before_and_after(sekretaris, importer, rows):
    grouped = families(rows)
    kk = list(grouped)[1]
    old, old_rt = grouped[kk][0]["alamat"], grouped[kk][0]["rt"]
    importer.run(csv_bytes(rows), DESA_PASAR_IPUH)

    for row in rows:
        if row["nomor_kk"] == kk:
            row["alamat"] = "Jl. Pahlawan No. 45"
            row["rt"] = "014"
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    assert (record.summary["change"], record.summary["unchanged"]) == (1, len(grouped) - 1)
    assert record.summary["samples"]["change"][kk]["fields"]["alamat"] == [
        old, "Jl. Pahlawan No. 45"]  # fmt: skip
    assert household(kk).alamat == old
    importer.confirm(record.id)

    family = household(kk)
    assert (family.alamat, family.rt) == ("Jl. Pahlawan No. 45", "014")
    updated = events_of(kk)[-1]
    assert updated.kind == "updated"
    assert updated.before == {"alamat": old, "rt": old_rt}
    assert updated.after == {"alamat": "Jl. Pahlawan No. 45", "rt": "014"}
    page = text_of(importer.client.get(f"/keluarga/{family.id}"))
    assert f"Alamat: {old} → Jl. Pahlawan No. 45" in page


def test_member_changes_are_traced(sekretaris, importer, rows):
    grouped = families(rows)
    big = [kk for kk, members in grouped.items() if len(members) >= 3]
    source, target = big[0], next(kk for kk in grouped if kk != big[0])
    importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
    leaving = grouped[source][-1]  # leaves the register with this export
    moving = grouped[source][-2]  # moves to another family of the village
    renamed = grouped[target][0]

    newer = [row for row in rows if row is not leaving]
    moving.update(nomor_kk=target, hubungan_keluarga="FAMILI LAIN")
    newer.remove(moving)
    newer.append(moving)  # the families stay consecutive
    renamed["nama"] = renamed["nama"] + " Putra"
    newer.sort(key=lambda row: list(grouped).index(row["nomor_kk"]))

    record = importer.preview(csv_bytes(newer), DESA_PASAR_IPUH)
    assert errors_by_row(record) == {}
    assert record.summary["change"] == 2
    importer.confirm(record.id)

    assert person(leaving["nomor_nik"]) is None
    assert person(moving["nomor_nik"]).household.kk == target
    assert person(moving["nomor_nik"]).relation == "FAMILI LAIN"
    assert person(renamed["nomor_nik"]).name == renamed["nama"]
    kinds = {(e.kind, (e.before or e.after or {}).get("nik")) for e in events_of(source)}
    assert ("member_removed", leaving["nomor_nik"]) in kinds
    target_events = events_of(target)
    added = [e for e in target_events if e.kind == "member_added"]
    assert [e.after["nik"] for e in added] == [moving["nomor_nik"]]
    assert added[0].after["from_household"] == household(source).id
    updated = [e for e in target_events if e.kind == "member_updated"]
    assert updated[0].before["name"] + " Putra" == updated[0].after["name"]

    # The same newer file once more: nothing left to do.
    before = snapshot()
    record = importer.preview(csv_bytes(newer), DESA_PASAR_IPUH)
    assert record.summary["change"] == record.summary["add"] == record.summary["remove"] == 0
    importer.confirm(record.id)
    assert snapshot() == before


def test_member_of_a_family_gone_from_the_file_moves_in_one_import(sekretaris, importer, rows):
    """Family A is gone from the newer export and its head now lives in family B: A is removed
    and the head moves to B in the same import (not held as a conflict with A)."""
    grouped = families(rows)
    gone, target = list(grouped)[:2]
    importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
    moving = dict(grouped[gone][0], nomor_kk=target, hubungan_keluarga="FAMILI LAIN")
    newer = [row for row in rows if row["nomor_kk"] != gone]
    newer.insert(len(grouped[target]), moving)  # at the end of family B, the first one now

    record = importer.preview(csv_bytes(newer), DESA_PASAR_IPUH)
    assert errors_by_row(record) == {}
    summary = record.summary
    assert (summary["remove"], summary["change"], summary["held"]) == (1, 1, 0)
    importer.confirm(record.id)

    assert household(gone).status == "removed"
    moved = person(moving["nomor_nik"])
    assert moved.household.kk == target and moved.relation == "FAMILI LAIN"
    (added,) = [e for e in events_of(target) if e.kind == "member_added"]
    assert added.after == {"nik": moving["nomor_nik"], "from_household": household(gone).id}

    before = snapshot()
    record = importer.preview(csv_bytes(newer), DESA_PASAR_IPUH)
    assert record.summary["unchanged"] == len(grouped) - 1
    assert record.summary["change"] == record.summary["remove"] == 0
    importer.confirm(record.id)
    assert snapshot() == before


def test_kk_registered_in_another_village_is_refused(sekretaris, importer, rows, air_buluh):
    other, _ = synthetic.generate([air_buluh], families_per_village=1, seed=2)
    from tests.register.conftest import seed_register

    seed_register(csv_bytes(other), DESA_AIR_BULUH)
    kk = other[0]["nomor_kk"]
    for row in rows[:2]:
        row["nomor_kk"] = kk
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    errors = errors_by_row(record)
    assert sorted(errors) == [2, 3]
    assert errors[2] == [
        "No. KK ini sudah terdaftar di wilayah lain; pindah antarwilayah diputuskan oleh wilayah "
        "asal atau oleh admin dinas sosial kabupaten."
    ]
    assert DESA_AIR_BULUH not in text_of(importer.page(record.id))
    importer.confirm(record.id)
    assert household(kk).village_code == DESA_AIR_BULUH
    assert [m.nik for m in household(kk).members] == [r["nomor_nik"] for r in other]


# --- A failed apply -----------------------------------------------------------------------


def test_failed_apply_leaves_the_register_as_it_was(sekretaris, importer, rows, monkeypatch):
    real = register_tasks.apply_plan

    def apply_then_fail(plan, **kwargs):
        real(plan, **kwargs)  # everything written into the transaction …
        raise RuntimeError("koneksi terputus")  # … then the server fails before commit

    monkeypatch.setattr(register_tasks, "apply_plan", apply_then_fail)
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    record = importer.confirm(record.id)

    assert record.status == "failed"
    assert counts() == {"households": 0, "persons": 0, "events": 0}
    assert "register.import_apply" not in audit_actions()
    text = text_of(importer.page(record.id))
    assert "Terjadi kesalahan saat menyimpan; register tidak berubah." in text
    assert "koneksi terputus" not in text  # no internals on the page
    assert "gagal" in text


def test_insert_failing_midway_rolls_back_a_changing_import(
    sekretaris, importer, rows, monkeypatch
):
    grouped = families(rows)
    importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
    before = snapshot()

    newer, _ = synthetic.generate(
        [synthetic.villages_from_regions([household(next(iter(grouped))).village])[0]],
        families_per_village=3,
        seed=99,
    )  # new families to add …
    first, second = list(grouped)[:2]
    newer = without_family(rows, first) + newer  # … one to remove
    for row in newer:
        if row["nomor_kk"] == second:
            row["alamat"] = "Jl. Sekolah No. 2"  # … one to change

    real_insert = applying.bulk_insert

    def failing_insert(table, *args, **kwargs):
        if table is Person.__table__:  # after families were removed, changed and added
            raise RuntimeError("disk penuh")
        return real_insert(table, *args, **kwargs)

    monkeypatch.setattr(applying, "bulk_insert", failing_insert)
    record = importer.preview(csv_bytes(newer), DESA_PASAR_IPUH)
    assert (record.summary["add"], record.summary["remove"], record.summary["change"]) == (3, 1, 1)
    record = importer.confirm(record.id)

    assert record.status == "failed"
    assert snapshot() == before
    assert "Terjadi kesalahan saat menyimpan" in text_of(importer.page(record.id))

    # Once the fault is gone, the same upload can be sent again and works.
    monkeypatch.setattr(applying, "bulk_insert", real_insert)
    record = importer.run(csv_bytes(newer), DESA_PASAR_IPUH)
    assert household(first).status == "removed"
    assert household(second).alamat == "Jl. Sekolah No. 2"


def test_all_rows_rejected_cannot_be_confirmed(sekretaris, importer, rows):
    for row in rows:
        row["nomor_nik"] = row["nomor_nik"][:15]
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    text = text_of(importer.page(record.id))
    assert "Tidak ada keluarga yang sah di berkas ini" in text
    assert "Konfirmasi dan simpan" not in text
    response = importer.client.post(
        f"/keluarga/impor/{record.id}/konfirmasi", follow_redirects=True
    )
    assert "Tidak ada keluarga yang sah untuk diimpor." in text_of(response)
    assert importer.record(record.id).status == "preview"
    assert counts()["households"] == 0


# --- The status page while a job runs ----------------------------------------------------


def test_status_fragment_polls_while_running_and_stops_when_done(
    sekretaris, importer, rows, monkeypatch
):
    from portal.blueprints.register import tasks

    monkeypatch.setattr(tasks, "validate_import_task", lambda import_id: None)  # a busy worker
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    assert record.status == "queued"

    fragment = importer.page(record.id, headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body
    assert 'hx-trigger="every 1s"' in body
    assert f'hx-get="/keluarga/impor/{record.id}"' in body
    assert "HX-Request" in fragment.headers.get("Vary", "")
    assert "menunggu" in body
    full = importer.page(record.id).get_data(as_text=True)
    assert "<html" in full and 'http-equiv="refresh"' in full  # without JavaScript too

    register_tasks.validate_import(record.id)  # the worker gets to it
    db.session.commit()
    body = importer.page(record.id, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in body
    assert "Pratinjau" in body
    assert importer.record(record.id).status == "preview"


# --- Other targets ------------------------------------------------------------------------


def test_admin_imports_a_whole_kabupaten(regions, auth, importer, pasar_ipuh, pasar_mukomuko):
    admin = make_user("admin", KAB_MUKOMUKO)
    auth.login_as(admin)
    rows, _ = synthetic.generate([pasar_ipuh, pasar_mukomuko], families_per_village=3, seed=8)
    stray = dict(rows[0], kode_wilayah=KEL_TANAH_GARAM, nomor_nik="1372015506880002",
                 nomor_kk="1372010101200001")  # fmt: skip
    record = importer.preview(csv_bytes([*rows, stray]), KAB_MUKOMUKO)

    assert errors_by_row(record) == {
        len(rows) + 2: [f"Wilayah {KEL_TANAH_GARAM} bukan desa/kelurahan di kabupaten/kota ini."]
    }
    villages = record.summary["villages"]
    assert set(villages) == {DESA_PASAR_IPUH, KEL_PASAR_MUKOMUKO}
    importer.confirm(record.id)
    for row in rows:
        assert household(row["nomor_kk"]).village_code == row["kode_wilayah"]
    assert counts()["persons"] == len(rows)


def test_sekretaris_cannot_import_into_another_village(sekretaris, importer, rows):
    for target in (DESA_AIR_BULUH, KAB_MUKOMUKO, KEL_TANAH_GARAM, "", "bukan-kode"):
        response = importer.upload(csv_bytes(rows), target)
        assert response.status_code == 200, target
        assert "Wilayah tujuan di luar cakupan Anda." in text_of(response)
    assert counts()["households"] == 0
    assert importer.client.get("/keluarga/impor").status_code == 200


def test_issues_download_lists_every_problem(sekretaris, importer, rows):
    rows[1]["nama"] = ""
    rows[2]["nomor_nik"] = "=1+1"
    record = importer.preview(csv_bytes(rows), DESA_PASAR_IPUH)
    response = importer.client.get(f"/keluarga/impor/{record.id}/masalah.csv")
    assert response.status_code == 200
    text = response.get_data().decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "baris,kolom,jenis,keterangan"
    assert "3,nama,ditolak,Nama kosong." in lines
    assert any(line.startswith("4,nomor_nik,ditolak,") for line in lines)
