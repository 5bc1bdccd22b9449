"""`flask backup create` / `flask backup restore`: a restored portal has the same data and its
berita acara still verifies; a damaged archive, or one of the other database kind, changes
nothing. Each app here has its own instance folder under tmp_path (never the checkout's)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import sqlite3
import stat
import tarfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from portal import create_app
from portal.backup import BackupError, backup_cli, create_backup, read_manifest, restore_backup
from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.berita_acara import signing
from portal.blueprints.berita_acara.models import BeritaAcara, SigningCertificate
from portal.blueprints.register.models import Household
from portal.blueprints.users.models import User
from portal.extensions import db
from tests.berita_acara.conftest import build_decided, lock
from tests.conftest import PG_URL, base_config, truncate_all
from tests.factories import DESA_PASAR_IPUH, make_user
from tests.meetings.conftest import register, sekretaris  # noqa: F401  (fixtures)

KIND = "postgresql" if PG_URL else "sqlite"
DATABASE_MEMBER = {"sqlite": "database/portal.sqlite", "postgresql": "database/portal.dump"}[KIND]
SOURCE_CONFIG = b'REGISTER_NAME = "DTSEN"  # config.py portal sumber\n'
TARGET_CONFIG = 'REGISTER_NAME = "DTKS"  # config.py portal tujuan\n'
DEMO_PDF = "demo/berita-acara-1.pdf"


def make_app(instance: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """create_app() with `instance` as its instance folder (config.py, signing key, …)."""
    with monkeypatch.context() as patch:
        patch.setattr(Flask, "auto_find_instance_path", lambda _self: str(instance))
        return create_app(base_config(url))


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    """An instance folder as a running portal has it: config, demo copy, queue, old backup."""
    folder = tmp_path / "instance"
    (folder / "demo").mkdir(parents=True)
    (folder / "backups").mkdir()
    (folder / "config.py").write_bytes(SOURCE_CONFIG)
    (folder / DEMO_PDF).write_bytes(b"%PDF-1.7 salinan demo")
    (folder / "huey.sqlite").write_bytes(b"antrian")
    (folder / "huey.sqlite-wal").write_bytes(b"antrian wal")
    (folder / "backups" / "portal-lama.tar.gz").write_bytes(b"cadangan lama")
    return folder


@pytest.fixture
def database_url(database_template: str, instance: Path) -> Iterator[str]:
    """SQLite: the live database inside instance/, where a real install keeps it."""
    if PG_URL:
        yield PG_URL
        truncate_all(PG_URL)
    else:
        path = instance / "portal.sqlite"
        shutil.copy(database_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url: str, instance: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = make_app(instance, database_url, monkeypatch)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def target_url(tmp_path: Path) -> Iterator[str]:
    """An empty database for a second portal: a new SQLite file, or a scratch PostgreSQL
    database dropped at the end."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'baru' / 'portal.sqlite'}"
        return
    name = f"backup_rt_{uuid.uuid4().hex[:12]}"
    server = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def table_counts() -> dict[str, int]:
    return {
        name: db.session.execute(
            sa.select(sa.func.count()).select_from(sa.table(name))
        ).scalar_one()
        for name in sa.inspect(db.engine).get_table_names()
    }


def household_names() -> list[tuple[str, list[str]]]:
    households = db.session.execute(select(Household)).scalars()
    return sorted((h.kk, sorted(member.name for member in h.members)) for h in households)


def signing_files(instance: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in (instance / "signing").iterdir()}


def test_a_restored_portal_has_the_same_data_and_its_berita_acara_still_verifies(
    app, sekretaris, register, tmp_path, target_url, monkeypatch
):
    ba = lock(build_decided(sekretaris, register), sekretaris, real_pdf=False)
    assert ba.status == "done", ba.error
    counts, names, pdf = table_counts(), household_names(), ba.pdf
    assert counts["berita_acara"] == 1 and counts["persons"] > 10
    source_keys = signing_files(Path(app.instance_path))
    archive = tmp_path / "cadangan.tar.gz"

    result = app.test_cli_runner().invoke(backup_cli, ["create", str(archive)])
    assert result.exit_code == 0, result.output
    assert f"Cadangan dibuat: {archive}" in result.output
    assert re.search(rf"^  households +{counts['households']}$", result.output, re.M)

    fresh = tmp_path / "baru"
    fresh.mkdir()
    (fresh / "config.py").write_text(TARGET_CONFIG)
    restored = make_app(fresh, target_url, monkeypatch)
    assert signing_files(fresh) != source_keys  # the new portal made its own key at start
    with restored.app_context():
        result = restored.test_cli_runner().invoke(backup_cli, ["restore", str(archive), "--yes"])
        assert result.exit_code == 0, result.output
        assert "Jumlah baris sama dengan cadangan." in result.output
        assert "config.py.restored" in result.output
        assert table_counts() == counts
        assert household_names() == names
        restored_ba = db.session.get(BeritaAcara, ba.id)
        assert restored_ba.pdf == pdf
        verdict = ba_services.check_file(restored_ba.pdf, restored_ba)
        assert verdict.genuine, verdict.reasons
        # The restored key is the identity the restored database records: new berita acara
        # are signed by the same portal.
        identity = signing.load_identity()
        assert db.session.get(SigningCertificate, identity.fingerprint) is not None
        db.session.remove()
        db.engine.dispose()
    assert signing_files(fresh) == source_keys
    assert (fresh / "config.py").read_text() == TARGET_CONFIG  # never overwritten
    assert (fresh / "config.py.restored").read_bytes() == SOURCE_CONFIG
    assert (fresh / DEMO_PDF).read_bytes() == b"%PDF-1.7 salinan demo"


def test_the_archive_is_private_and_holds_no_queue_old_backup_or_live_database_file(
    app, sekretaris, tmp_path
):
    instance = Path(app.instance_path)
    if KIND == "sqlite":
        assert (instance / "portal.sqlite-wal").exists()  # the live database is open
    archive = create_backup(app)

    assert archive.parent == instance / "backups"
    assert re.fullmatch(r"portal-\d{8}-\d{6}\.tar\.gz", archive.name)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        contents = {member.name: tar.extractfile(member).read() for member in tar}
    assert names[0] == "manifest.json"
    assert set(names) == {
        "manifest.json",
        DATABASE_MEMBER,
        "instance/config.py",
        f"instance/{DEMO_PDF}",
        "instance/signing/signing-cert.pem",
        "instance/signing/signing-key.pem",
    }
    manifest = json.loads(contents["manifest.json"])
    assert manifest["files"] == {
        name: hashlib.sha256(data).hexdigest()
        for name, data in contents.items()
        if name != "manifest.json"
    }
    assert manifest["database"]["kind"] == KIND
    revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert manifest["database"]["alembic_revision"] == revision
    assert manifest["tables"] == table_counts()
    assert manifest["tables"]["users"] == 1
    assert read_manifest(archive) == manifest
    if KIND == "sqlite":  # the copy is a whole database on its own
        copy = tmp_path / "salinan.sqlite"
        copy.write_bytes(contents[DATABASE_MEMBER])
        connection = sqlite3.connect(copy)
        assert connection.execute("SELECT username FROM users").fetchall() == [
            (sekretaris.username,)
        ]
        connection.close()

    result = app.test_cli_runner().invoke(backup_cli, ["create", str(archive)])
    assert result.exit_code == 1
    assert "sudah ada" in result.output


def restore_cli(app: Flask, archive: Path, *args: str, **kwargs):
    db.session.commit()  # the test's own session holds no lock the restore would wait for
    return app.test_cli_runner().invoke(backup_cli, ["restore", str(archive), *args], **kwargs)


def test_restore_asks_first_then_replaces_the_current_data(app, sekretaris, tmp_path):
    archive = create_backup(app, tmp_path)
    assert archive.parent == tmp_path
    counts, username = table_counts(), sekretaris.username
    make_user("operator", DESA_PASAR_IPUH)
    demo = Path(app.instance_path) / DEMO_PDF
    demo.write_bytes(b"diubah setelah cadangan")

    result = restore_cli(app, archive, input="n\n")
    assert result.exit_code == 1
    assert "Lanjutkan?" in result.output and "Pemulihan dibatalkan." in result.output
    assert db.session.execute(select(sa.func.count()).select_from(User)).scalar_one() == 2
    assert demo.read_bytes() == b"diubah setelah cadangan"

    result = restore_cli(app, archive, input="y\n")
    assert result.exit_code == 0, result.output
    assert "Jumlah baris sama dengan cadangan." in result.output
    db.session.remove()
    assert table_counts() == counts
    assert db.session.execute(select(User.username)).scalars().all() == [username]
    assert demo.read_bytes() == b"%PDF-1.7 salinan demo"


def rewrite(archive: Path, out: Path, change: Callable[[str, bytes], bytes]) -> None:
    """Copy the archive member by member, passing each member's bytes through `change`."""
    with tarfile.open(archive) as source, tarfile.open(out, "w:gz") as target:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))


def flip_a_byte_of_the_database(archive: Path, out: Path) -> None:
    def change(name: str, data: bytes) -> bytes:
        if name != DATABASE_MEMBER:
            return data
        changed = bytearray(data)
        changed[len(data) // 2] ^= 0x01
        return bytes(changed)

    rewrite(archive, out, change)


def flip_a_byte_of_the_archive(archive: Path, out: Path) -> None:
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    out.write_bytes(bytes(data))


def alter_a_hash_in_the_manifest(archive: Path, out: Path) -> None:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["files"]["instance/signing/signing-key.pem"] = "0" * 64
        return json.dumps(manifest).encode()

    rewrite(archive, out, change)


def leave_out_a_member(archive: Path, out: Path) -> None:
    with tarfile.open(archive) as source, tarfile.open(out, "w:gz") as target:
        for member in source:
            if member.name != "instance/signing/signing-key.pem":
                target.addfile(member, source.extractfile(member))


@pytest.mark.parametrize(
    "damage",
    [
        flip_a_byte_of_the_database,
        flip_a_byte_of_the_archive,
        alter_a_hash_in_the_manifest,
        leave_out_a_member,
    ],
)
def test_a_damaged_archive_changes_nothing(app, sekretaris, tmp_path, damage):
    archive = create_backup(app, tmp_path / "cadangan.tar.gz")
    make_user("operator", DESA_PASAR_IPUH)  # after the backup: a restore would remove it
    demo = Path(app.instance_path) / DEMO_PDF
    demo.write_bytes(b"diubah setelah cadangan")
    counts = table_counts()
    damaged = tmp_path / "rusak.tar.gz"
    damage(archive, damaged)

    result = restore_cli(app, damaged, "--yes")
    assert result.exit_code == 1
    assert "Gagal: Arsip rusak" in result.output
    if damage is leave_out_a_member:
        assert "instance/signing/signing-key.pem tidak ada di arsip" in result.output
    db.session.remove()
    assert table_counts() == counts
    assert counts["users"] == 2
    assert demo.read_bytes() == b"diubah setelah cadangan"
    # The undamaged archive still restores (the damage, not the set-up, was refused).
    assert restore_cli(app, archive, "--yes").exit_code == 0


def test_an_archive_of_the_other_database_kind_is_refused(app, sekretaris, tmp_path, monkeypatch):
    archive = create_backup(app, tmp_path / "cadangan.tar.gz")
    other = tmp_path / "lain"
    other.mkdir()
    if KIND == "sqlite":  # never connected to: the kind is refused before
        url, archived, current = (
            "postgresql+psycopg://postgres@127.0.0.1:9/tidak_ada",
            "SQLite",
            "PostgreSQL",
        )
    else:
        url, archived, current = f"sqlite:///{other / 'portal.sqlite'}", "PostgreSQL", "SQLite"
    target = make_app(other, url, monkeypatch)
    keys = signing_files(other)
    message = (
        f"Cadangan ini berisi basis data {archived}, sedangkan portal ini memakai {current}: "
        "pemulihan ditolak."
    )
    with target.app_context():
        result = target.test_cli_runner().invoke(backup_cli, ["restore", str(archive), "--yes"])
        assert result.exit_code == 1
        assert message in result.output
        with pytest.raises(BackupError, match=re.escape(message)):
            restore_backup(target, archive, confirm=lambda _manifest: True)
    assert signing_files(other) == keys
    assert not (other / "portal.sqlite").exists()


def test_a_signing_file_outside_instance_is_named_as_not_included(app, tmp_path):
    """A PKCS#12 file configured elsewhere is not in the archive: the command says so."""
    outside = tmp_path / "elsewhere" / "portal.p12"
    outside.parent.mkdir()
    outside.write_bytes(b"not really a key")
    app.config["BA_SIGNING_PKCS12"] = str(outside)
    result = app.test_cli_runner().invoke(backup_cli, ["create", str(tmp_path / "b.tar.gz")])
    assert result.exit_code == 0, result.output
    assert "di luar instance/ dan tidak ikut dicadangkan" in result.output
    assert str(outside) in result.output
