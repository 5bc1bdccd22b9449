"""The scan of the hand-signed berita acara: fixed once the camat has reviewed the meeting, and
only a clean file (a PDF without JavaScript or other active content, a JPEG, a PNG)."""

from __future__ import annotations

import io
import zlib

import pikepdf
import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.blueprints.berita_acara import scan
from portal.blueprints.berita_acara import services as ba_services
from portal.blueprints.berita_acara.models import BeritaAcara
from portal.blueprints.meetings.models import Meeting
from portal.blueprints.review import services as review
from portal.extensions import db
from portal.refusal import Refused
from tests.register.conftest import text_of

# The `locked` fixture's real PDF (tests/factories.py): the portal's own PDF as a scan.
pytestmark = pytest.mark.real_pdf

ACTIVE = (
    "Pindaian PDF berisi JavaScript atau isi aktif; cetak ulang ke PDF atau unggah foto (JPG/PNG)"
)
UNCHECKABLE = "Pindaian PDF tidak dapat diperiksa"
SAVED = "Pindaian berita acara tersimpan."
AFTER_CONFIRM = "camat sudah mengonfirmasi musyawarah ini"
AFTER_RETURN = "camat sudah mengembalikan musyawarah ini"


def jpeg_bytes(colour: str = "white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    return buffer.getvalue()


def pdf_bytes(change=None, **save) -> bytes:
    """A one-page PDF, changed by `change(pdf)` before it is saved."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    if change is not None:
        change(pdf)
    buffer = io.BytesIO()
    pdf.save(buffer, **save)
    return buffer.getvalue()


def upload(client, meeting: Meeting, data: bytes, name: str = "pindaian.pdf"):
    return client.post(
        f"/musyawarah/{meeting.id}/berita-acara/pindaian",
        data={"scan": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def stored() -> tuple:
    db.session.expire_all()
    return db.session.execute(
        select(
            BeritaAcara.scan,
            BeritaAcara.scan_sha256,
            BeritaAcara.scan_mimetype,
            BeritaAcara.scan_size,
            BeritaAcara.scan_uploaded_at,
        )
    ).one()


def scan_audits() -> int:
    return db.session.execute(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "berita_acara.scan")
    ).scalar_one()


def meeting_page(client, meeting: Meeting) -> str:
    return text_of(client.get(f"/musyawarah/{meeting.id}"))


# --- after the camat's review the scan stays as the camat saw it ------------------------------


@pytest.mark.parametrize("outcome", ["confirm", "return"])
def test_the_scan_is_fixed_once_the_camat_has_reviewed(client, auth, locked, users, outcome):
    meeting, _ba = locked
    sekretaris, camat = users["sekretaris"], users["camat"]
    auth.login_as(sekretaris)
    first = jpeg_bytes()
    assert SAVED in text_of(upload(client, meeting, first, "pindaian.jpg"))
    if outcome == "confirm":
        review.confirm(db.session.get(Meeting, meeting.id), user=camat)
        refusal = AFTER_CONFIRM
    else:
        review.return_meeting(
            db.session.get(Meeting, meeting.id), user=camat, note="Daftar hadir tidak lengkap."
        )
        refusal = AFTER_RETURN
    db.session.commit()
    before, audits = stored(), scan_audits()

    # The camat's review names the scan it saw.
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action.in_(["review.confirmed", "review.returned"]))
    ).scalar_one()
    assert entry.details["scan_sha256"] == before.scan_sha256

    # The page offers no upload any more, and says why.
    page = meeting_page(client, meeting)
    assert 'name="scan"' not in page and "Unggah pindaian" not in page
    assert refusal in page
    assert before.scan_sha256 in page  # the scan the camat saw is still there

    # A replacement posted anyway is refused, and nothing changes.
    page = text_of(upload(client, meeting, jpeg_bytes("black"), "lain.jpg"))
    assert refusal in page and SAVED not in page
    assert stored() == before
    assert scan_audits() == audits
    assert stored().scan == first

    # The service refuses as well (whatever calls it).
    with pytest.raises(Refused, match=refusal):
        ba_services.attach_scan(
            db.session.get(Meeting, meeting.id), jpeg_bytes("black"), user=sekretaris
        )
    db.session.rollback()
    assert stored() == before


def test_a_returned_meeting_without_a_scan_takes_none_afterwards(client, auth, locked, users):
    meeting, _ba = locked
    review.return_meeting(meeting, user=users["camat"], note="Tidak ada pindaian.")
    db.session.commit()
    auth.login_as(users["sekretaris"])
    assert 'name="scan"' not in meeting_page(client, meeting)
    page = text_of(upload(client, meeting, jpeg_bytes(), "pindaian.jpg"))
    assert AFTER_RETURN in page and "musyawarah adendum" in page
    assert stored().scan_sha256 is None
    assert scan_audits() == 0


def test_before_the_review_the_scan_may_be_replaced(client, auth, locked, users):
    meeting, _ba = locked
    auth.login_as(users["sekretaris"])
    assert 'name="scan"' in meeting_page(client, meeting)
    first, second = jpeg_bytes(), png_bytes()
    assert SAVED in text_of(upload(client, meeting, first, "a.jpg"))
    old_hash = stored().scan_sha256
    assert SAVED in text_of(upload(client, meeting, second, "b.png"))
    now = stored()
    assert (now.scan, now.scan_mimetype) == (second, "image/png")
    replaced = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "berita_acara.scan").order_by(AuditEntry.id)
    ).scalars()
    assert [entry.details["replaced"] for entry in replaced] == [None, old_hash]
    assert 'name="scan"' in meeting_page(client, meeting)


# --- what a scan may be ---------------------------------------------------------------------


def _javascript_on_open(pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('pindaian')")
    )


def _javascript_in_the_name_tree(pdf) -> None:
    action = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    )
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("buka"), action]))
    )


def _launch_on_open(pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"), NewWindow=True
    )


def plain_javascript() -> bytes:
    data = pdf_bytes(_javascript_on_open)
    assert b"/JavaScript" in data
    return data


def hex_escaped_javascript() -> bytes:
    """`/J#61vaScript` is /JavaScript to every reader; the bytes never spell it."""
    data = plain_javascript().replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 ")
    assert b"JavaScript" not in data and b"/JS" not in data
    return data


def javascript_in_an_object_stream() -> bytes:
    data = pdf_bytes(
        _javascript_in_the_name_tree,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        compress_streams=True,
    )
    assert b"/ObjStm" in data and b"JavaScript" not in data
    return data


def launch_on_open() -> bytes:
    return pdf_bytes(_launch_on_open)


@pytest.mark.parametrize(
    "make",
    [plain_javascript, hex_escaped_javascript, javascript_in_an_object_stream, launch_on_open],
)
def test_a_pdf_with_active_content_is_refused(client, auth, locked, users, make):
    meeting, _ba = locked
    auth.login_as(users["sekretaris"])
    page = text_of(upload(client, meeting, make()))
    assert ACTIVE in page and SAVED not in page
    assert stored().scan_sha256 is None
    assert scan_audits() == 0


@pytest.mark.parametrize(
    "change",
    [
        lambda pdf: setattr(
            pdf.pages[0].obj,
            "AA",
            pikepdf.Dictionary(
                O=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("http://x"))
            ),
        ),
        lambda pdf: pdf.attachments.__setitem__(
            "catatan.txt", pikepdf.AttachedFileSpec(pdf, b"isi lampiran")
        ),
        lambda pdf: setattr(
            pdf.Root, "AcroForm", pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pikepdf.Array())
        ),
        lambda pdf: setattr(
            pdf.Root,
            "OpenAction",
            pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=pikepdf.String("http://x")),
        ),
    ],
    ids=["automatic-action", "attached-file", "xfa", "submit-on-open"],
)
def test_other_active_content_is_refused_by_the_service(locked, users, change):
    meeting, _ba = locked
    with pytest.raises(Refused, match="isi aktif"):
        ba_services.attach_scan(meeting, pdf_bytes(change), user=users["sekretaris"])


def test_the_portals_own_pdf_is_not_a_scan(client, auth, locked, users):
    """The signed berita acara carries its decided list as an attached file: print it, sign it,
    scan the paper."""
    meeting, ba = locked
    auth.login_as(users["sekretaris"])
    assert ACTIVE in text_of(upload(client, meeting, ba.pdf))
    assert stored().scan_sha256 is None


@pytest.mark.parametrize(
    ("data", "name", "mimetype"),
    [
        (pdf_bytes(), "pindaian.pdf", "application/pdf"),
        (
            pdf_bytes(
                lambda pdf: setattr(pdf.Root, "OpenAction", pikepdf.Array([pdf.pages[0].obj])),
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
                compress_streams=True,
            ),
            "buka-halaman-1.pdf",
            "application/pdf",
        ),
        (jpeg_bytes(), "pindaian.jpg", "image/jpeg"),
    ],
    ids=["plain-pdf", "pdf-opening-at-a-page", "jpg"],
)
def test_a_clean_scan_is_accepted(client, auth, locked, users, data, name, mimetype):
    meeting, _ba = locked
    auth.login_as(users["sekretaris"])
    assert SAVED in text_of(upload(client, meeting, data, name))
    now = stored()
    assert (now.scan, now.scan_mimetype, now.scan_size) == (data, mimetype, len(data))
    assert scan_audits() == 1


# --- bounded work ---------------------------------------------------------------------------


def _objstm_pdf(padding: int, filters: bytes = b"/FlateDecode", encode=zlib.compress) -> bytes:
    """A PDF whose pages sit in an object stream padded with `padding` spaces (written by hand:
    no library writes a decompression bomb)."""
    objects = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >> "
    objects += b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>"
    header = b"2 0 3 %d " % objects.index(b"<< /Type /Page ")
    body = encode(header + objects + b" " * padding)
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n")
    offsets = {}
    offsets[1] = out.tell()
    out.write(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
    offsets[4] = out.tell()
    out.write(
        b"4 0 obj\n<< /Type /ObjStm /N 2 /First %d /Filter %s /Length %d >>\nstream\n"
        % (len(header), filters, len(body))
        + body
        + b"\nendstream\nendobj\n"
    )
    xref = out.tell()
    rows = [(0, 0, 255), (1, offsets[1], 0), (2, 4, 0), (2, 4, 1), (1, offsets[4], 0)]
    rows.append((1, xref, 0))
    table = b"".join(bytes([t]) + a.to_bytes(4, "big") + bytes([b]) for t, a, b in rows)
    out.write(
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 1] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    )
    return out.getvalue()


def test_an_object_stream_within_the_limit_is_read(locked, users):
    meeting, _ba = locked
    ba = ba_services.attach_scan(meeting, _objstm_pdf(1000), user=users["sekretaris"])
    assert ba.scan_mimetype == "application/pdf"


def test_a_decompression_bomb_is_refused_before_it_is_opened(locked, users, monkeypatch):
    """The cap is lowered for the test; the real one is hundreds of MB."""
    monkeypatch.setattr(scan, "SCAN_PDF_MAX_INFLATED", 1024 * 1024)
    monkeypatch.setattr("pikepdf.open", lambda *a, **k: pytest.fail("the bomb reached pikepdf"))
    meeting, _ba = locked
    bomb = _objstm_pdf(2 * 1024 * 1024)
    assert len(bomb) < 10 * 1024
    with pytest.raises(Refused, match=UNCHECKABLE):
        ba_services.attach_scan(meeting, bomb, user=users["sekretaris"])


@pytest.mark.parametrize(
    ("filters", "encode"),
    [
        (b"[/AHx /FlateDecode]", lambda data: zlib.compress(data).hex().encode() + b">"),
        (b"[/F#6c /Fl]", lambda data: zlib.compress(zlib.compress(data))),
        (b"/L#5AWDecode", lambda data: data),
        (b"7 0 R", lambda data: data),
    ],
    ids=["hex-before-deflate", "deflate-twice-escaped", "lzw-escaped", "by-reference"],
)
def test_filters_that_hide_what_they_inflate_are_refused(locked, users, filters, encode):
    meeting, _ba = locked
    with pytest.raises(Refused, match=UNCHECKABLE):
        ba_services.attach_scan(meeting, _objstm_pdf(10, filters, encode), user=users["sekretaris"])


def test_an_encrypted_pdf_is_refused(locked, users):
    meeting, _ba = locked
    data = pdf_bytes(encryption=pikepdf.Encryption(owner="pemilik", user=""))
    with pytest.raises(Refused, match=UNCHECKABLE):
        ba_services.attach_scan(meeting, data, user=users["sekretaris"])


def test_an_image_is_what_its_first_bytes_say_and_not_too_many_pixels(locked, users):
    meeting, _ba = locked
    sekretaris = users["sekretaris"]
    with pytest.raises(Refused, match="PDF, JPEG atau PNG"):
        ba_services.attach_scan(meeting, b"\xff\xd8\xff" + png_bytes(), user=sekretaris)
    huge = io.BytesIO()
    Image.new("1", (9000, 8000)).save(huge, "PNG")  # 72 megapixels in a few kilobytes
    assert len(huge.getvalue()) < 100_000
    with pytest.raises(Refused, match="megapiksel"):
        ba_services.attach_scan(meeting, huge.getvalue(), user=sekretaris)
    db.session.rollback()
    assert stored().scan_sha256 is None
