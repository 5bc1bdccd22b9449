"""The public verification page, the uploaded-PDF check, `flask ba verify`, the scan."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.blueprints.berita_acara.models import BeritaAcara
from portal.extensions import db
from tests.berita_acara.conftest import NIK_NEW_HEAD, build_decided, lock
from tests.factories import DESA_AIR_BULUH, make_user

# The `locked` fixture's real PDF (tests/factories.py): verified as a resident uploads it.
pytestmark = pytest.mark.real_pdf


def flip_byte(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


def check(client, ba: BeritaAcara, data: bytes, **headers) -> str:
    response = client.post(
        f"/verifikasi/{ba.verify_code}",
        data={"pdf": (io.BytesIO(data), "ba.pdf")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_public_page_of_a_locked_meeting_shows_counts_not_families(client, locked):
    """Not confirmed yet: the public sees the meeting, the counts and the hash, no family (the
    rule of the transparency page; tests/berita_acara/test_verify_transparency.py has the rest)."""
    meeting, ba = locked
    page = client.get(f"/verifikasi/{ba.verify_code}").get_data(as_text=True)
    assert "Pasar Ipuh" in page and meeting.number in page
    assert ba.sha256 in page
    assert "dikunci" in page
    decided = json.loads(ba.canonical)
    for rows in decided["families"].values():
        for row in rows:
            assert row["head_name"] not in page
            assert row["kk"] not in page and row["kk"][:6] + "********" + row["kk"][-2:] not in page
    assert "Andi Baru" not in page and "Meninggal" not in page


def test_the_villages_secretary_sees_the_decisions_with_masked_niks(
    client, auth, locked, sekretaris
):
    _meeting, ba = locked
    auth.login_as(sekretaris)
    page = client.get(f"/verifikasi/{ba.verify_code}").get_data(as_text=True)
    assert ba.sha256 in page
    decided = json.loads(ba.canonical)
    for rows in decided["families"].values():
        for row in rows:
            if row["head_nik"]:
                assert row["head_nik"] not in page  # never a full NIK on this page
                assert row["head_nik"][:6] + "********" + row["head_nik"][-2:] in page
            assert row["kk"] not in page
    assert "Andi Baru" in page
    assert NIK_NEW_HEAD not in page


def test_an_unknown_or_unfinished_code_is_404(client, decided, sekretaris):
    from portal.blueprints.berita_acara import services

    assert client.get("/verifikasi/tidak-ada-kode-ini-xyz").status_code == 404
    ba = services.request_lock(decided, user=sekretaris)
    db.session.commit()
    assert client.get(f"/verifikasi/{ba.verify_code}").status_code == 404  # not done yet


def test_the_genuine_pdf_is_accepted(client, locked):
    _meeting, ba = locked
    page = check(client, ba, ba.pdf)
    assert "Asli" in page and "Tidak asli" not in page
    # htmx: only the verdict fragment.
    fragment = check(client, ba, ba.pdf, **{"HX-Request": "true"})
    assert "Asli" in fragment and "<html" not in fragment


@pytest.mark.parametrize("where", [0.3, 0.6, 0.9])
def test_one_changed_byte_is_refused(client, locked, where):
    _meeting, ba = locked
    page = check(client, ba, flip_byte(ba.pdf, int(len(ba.pdf) * where)))
    assert "Tidak asli" in page


def test_text_appended_after_the_signature_is_refused(client, locked):
    _meeting, ba = locked
    page = check(client, ba, ba.pdf + b"\n%% tambahan\n")
    assert "Tidak asli" in page


def test_another_meetings_pdf_is_refused_with_the_reason(client, locked, sekretaris, register):
    _meeting, ba = locked
    other_village = make_user("sekretaris", DESA_AIR_BULUH, username="sekdes.airbuluh")
    from tests.meetings.conftest import families

    other = build_decided(other_village, families(DESA_AIR_BULUH), number="009/BA")
    other_ba = lock(other, other_village, real_pdf=True)
    assert other_ba.status == "done", other_ba.error
    page = check(client, ba, other_ba.pdf)
    assert "Tidak asli" in page
    assert "berita acara musyawarah lain" in page


def test_not_a_pdf_is_refused_without_an_error(client, locked):
    _meeting, ba = locked
    assert "bukan PDF" in check(client, ba, b"hello, this is not a pdf")
    assert "Tidak asli" in check(client, ba, b"%PDF-1.7\n garbage")


def test_flask_ba_verify(runner, locked, tmp_path):
    meeting, ba = locked
    genuine = tmp_path / "asli.pdf"
    genuine.write_bytes(ba.pdf)
    result = runner.invoke(args=["ba", "verify", str(genuine)])
    assert result.exit_code == 0, result.output
    assert "HASIL: ASLI" in result.output
    assert "utuh (intact): OK; sah (valid): OK; dipercaya (trusted): OK" in result.output
    assert f"musyawarah {meeting.id}" in result.output
    assert "Hash dihitung ulang dari data musyawarah: OK" in result.output

    modified = tmp_path / "ubah.pdf"
    modified.write_bytes(flip_byte(ba.pdf, len(ba.pdf) // 2))
    result = runner.invoke(args=["ba", "verify", str(modified)])
    assert result.exit_code == 1
    assert "HASIL: TIDAK ASLI" in result.output


def test_flask_ba_verify_refuses_another_meetings_pdf(runner, locked, tmp_path, register):
    meeting, _ba = locked
    other_user = make_user("sekretaris", DESA_AIR_BULUH, username="sekdes.ab")
    from tests.meetings.conftest import families

    other = lock(
        build_decided(other_user, families(DESA_AIR_BULUH), number="010/BA"),
        other_user,
        real_pdf=True,
    )
    path = tmp_path / "lain.pdf"
    path.write_bytes(other.pdf)
    assert runner.invoke(args=["ba", "verify", str(path)]).exit_code == 0  # genuine, of its own
    result = runner.invoke(args=["ba", "verify", str(path), "--meeting", str(meeting.id)])
    assert result.exit_code == 1
    assert "musyawarah lain" in result.output


# --- the scan ------------------------------------------------------------------------------


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def upload(client, meeting, data: bytes, name: str):
    return client.post(
        f"/musyawarah/{meeting.id}/berita-acara/pindaian",
        data={"scan": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


@pytest.mark.parametrize(
    ("make", "mimetype"), [(png_bytes, "image/png"), (jpeg_bytes, "image/jpeg")]
)
def test_the_scan_is_kept_with_its_hash(client, auth, locked, sekretaris, make, mimetype):
    import hashlib

    meeting, _ba = locked
    auth.login_as(sekretaris)
    data = make()
    page = upload(client, meeting, data, "scan.bin").get_data(as_text=True)
    assert "Pindaian berita acara tersimpan" in page
    db.session.expire_all()
    ba = db.session.execute(select(BeritaAcara)).scalar_one()
    assert ba.scan == data and ba.scan_mimetype == mimetype
    assert ba.scan_sha256 == hashlib.sha256(data).hexdigest()
    download = client.get(f"/musyawarah/{meeting.id}/berita-acara/pindaian")
    assert download.data == data and download.mimetype == mimetype
    assert "attachment" in download.headers["Content-Disposition"]


def test_a_pdf_scan_is_accepted(client, auth, locked, sekretaris):
    """A plain PDF (the portal's own, with its attached list, is not a scan: test_scan_rules)."""
    import pikepdf

    meeting, _ba = locked
    pdf = pikepdf.new()
    pdf.add_blank_page()
    buffer = io.BytesIO()
    pdf.save(buffer)
    auth.login_as(sekretaris)
    page = upload(client, meeting, buffer.getvalue(), "scan.pdf").get_data(as_text=True)
    assert "tersimpan" in page
    assert db.session.execute(select(BeritaAcara.scan_mimetype)).scalar() == "application/pdf"


@pytest.mark.parametrize(
    "data",
    [b"plain text named like a pdf", b"%PDF-1.4 not really", b"\x89PNG\r\n\x1a\nbroken", b""],
)
def test_a_scan_is_checked_by_its_content(client, auth, locked, sekretaris, data):
    meeting, _ba = locked
    auth.login_as(sekretaris)
    page = upload(client, meeting, data, "pindaian.pdf").get_data(as_text=True)
    assert "Pindaian berita acara tersimpan" not in page
    db.session.expire_all()
    assert db.session.execute(select(BeritaAcara.scan_sha256)).scalar() is None


def test_a_scan_too_large_is_refused(client, auth, locked, sekretaris, app):
    meeting, _ba = locked
    app.config["BA_SCAN_MAX_BYTES"] = 1000
    auth.login_as(sekretaris)
    page = upload(client, meeting, png_bytes() + b"\0" * 2000, "a.png").get_data(as_text=True)
    assert "terlalu besar" in page
    assert db.session.execute(select(BeritaAcara.scan_sha256)).scalar() is None


def test_no_scan_before_the_lock(client, auth, decided, sekretaris):
    auth.login_as(sekretaris)
    page = upload(client, decided, png_bytes(), "a.png").get_data(as_text=True)
    assert "Buat dan kunci berita acara dulu" in page


# --- through the web ---------------------------------------------------------------------------


def test_the_secretary_generates_and_locks_through_the_web(
    client, auth, decided, sekretaris, users
):
    auth.login_as(sekretaris)
    page = client.get(f"/musyawarah/{decided.id}").get_data(as_text=True)
    assert "Buat berita acara dan kunci musyawarah" in page
    response = client.post(f"/musyawarah/{decided.id}/berita-acara", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "sudah dikunci dan ditandatangani" in page
    assert "dikunci" in page
    pdf = client.get(f"/musyawarah/{decided.id}/berita-acara.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    actions = set(db.session.execute(select(AuditEntry.action)).scalars())
    assert {"berita_acara.request", "berita_acara.locked", "berita_acara.download_pdf"} <= actions
    # The camat and the operator of the village may download it too; nobody outside.
    for role in ("camat", "operator"):
        auth.logout()
        auth.login_as(users[role])
        assert client.get(f"/musyawarah/{decided.id}/berita-acara.pdf").status_code == 200
    auth.logout()
    auth.login_as(make_user("sekretaris", DESA_AIR_BULUH, username="sekdes.lain"))
    assert client.get(f"/musyawarah/{decided.id}/berita-acara.pdf").status_code == 404
    assert client.post(f"/musyawarah/{decided.id}/berita-acara").status_code == 404


def test_the_progress_fragment_while_the_job_waits(client, auth, decided, sekretaris, app):
    from portal.blueprints.berita_acara import services

    services.request_lock(decided, user=sekretaris)
    db.session.commit()
    auth.login_as(sekretaris)
    fragment = client.get(
        f"/musyawarah/{decided.id}/berita-acara/status", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "sedang dibuat" in fragment and 'hx-trigger="every 2s"' in fragment
    assert "<html" not in fragment
    page = client.get(f"/musyawarah/{decided.id}").get_data(as_text=True)
    assert "<progress" in page
