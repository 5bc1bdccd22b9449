"""Issue 15 item 8: the words a person reads — region headings, the audit trail, a family's
history — are words, not keys."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sqlalchemy import select

from portal.audit import AuditEntry
from portal.blueprints.audit.labels import ACTIONS, action_label, detail_value
from portal.blueprints.meetings.states import MOVES
from portal.blueprints.regions.models import Region
from portal.blueprints.register.models import Household
from portal.extensions import db
from tests.factories import DESA_PASAR_IPUH, KAB_MUKOMUKO, KOTA_SOLOK, make_user
from tests.review.conftest import confirmed, locked, register, sekretaris, users  # noqa: F401

PORTAL = Path(__file__).parent.parent.parent / "portal"


def test_kabupaten_and_kota_headings_say_their_kind_once(client, auth, regions):
    assert db.session.get(Region, KAB_MUKOMUKO).display_name == "Kabupaten Mukomuko"
    assert db.session.get(Region, KOTA_SOLOK).display_name == "Kota Solok"
    # A bare name gets its kind; a kecamatan named "Kota Mukomuko" keeps "Kecamatan".
    assert Region(code="1706", name="Mukomuko", level=2).display_name == "Kabupaten Mukomuko"
    assert Region(code="1372", name="Solok", level=2).display_name == "Kota Solok"
    assert Region(code="170602", name="Kota Mukomuko", level=3).display_name == (
        "Kecamatan Kota Mukomuko"
    )
    for code, expected in ((KAB_MUKOMUKO, "Kabupaten Mukomuko"), (KOTA_SOLOK, "Kota Solok")):
        auth.login_as(make_user("admin", code))
        for url in ("/", "/dasbor/", f"/wilayah/{code}"):
            page = client.get(url).get_data(as_text=True)
            assert expected in page, url
            assert not re.search(r"(Kabupaten|Kota) (Kabupaten|Kota) ", page), url


def _action_keys() -> set[str]:
    """Every audit action the code writes: the action argument of each `audit.record(...)` and
    `_audit(...)` call; f-strings expanded from what they are built of; a name passed through
    from the caller is followed to the caller's calls."""
    keys: set[str] = set()
    unknown: list[str] = []
    for path in PORTAL.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        downloads = {
            arg.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_log_download"
            for arg in node.args
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            base = getattr(getattr(func, "value", None), "id", "")
            if name == "record" and base == "audit":
                candidates = node.args[:1]
            elif name in ("_audit", "audit_meeting"):
                candidates = node.args[1:2]
            else:
                continue
            for arg in candidates:
                options = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
                for option in options:
                    if isinstance(option, ast.Constant) and isinstance(option.value, str):
                        keys.add(option.value)
                    elif isinstance(option, ast.JoinedStr):
                        source = ast.unparse(option)
                        if "meeting.{move_name}" in source:
                            keys.update(f"meeting.{move}" for move in MOVES)
                        elif "berita_acara.download_{what}" in source:
                            assert downloads, path
                            keys.update(f"berita_acara.download_{what}" for what in downloads)
                        else:
                            unknown.append(f"{path}:{node.lineno} {source}")
                    elif isinstance(option, ast.Name) and option.id == "action":
                        continue  # the wrapper `_audit(meeting, action, ...)`: callers counted
                    else:
                        unknown.append(f"{path}:{node.lineno} {ast.unparse(option)}")
    assert not unknown, f"audit actions this test cannot read: {unknown}"
    return keys


def test_every_audit_action_in_the_code_has_a_label():
    keys = _action_keys()
    assert {"meeting.check_in", "meeting.open", "berita_acara.download_pdf"} <= keys
    missing = sorted(keys - set(ACTIONS))
    assert missing == [], f"give these audit actions a label in audit/labels.py: {missing}"


def test_an_unknown_action_still_reads_like_words():
    assert action_label("meeting.some_new_thing") == "Musyawarah: some new thing"
    assert action_label("zzz.thing_done") == "zzz thing done"
    assert detail_value("walk_in", False) == "tidak"
    assert detail_value("to", "in_session") == "sedang berlangsung"


def test_the_audit_trail_shows_labels_not_keys(client, auth, users, locked):
    auth.login_as(users["admin"])
    html = client.get("/jejak-audit/?kelompok=meeting").get_data(as_text=True)
    assert db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "meeting.check_in")
    ).first()
    assert "Kehadiran dicatat" in html
    assert "datang tanpa undangan" in html and "Musyawarah dibuka" in html
    for raw in ("meeting.check_in", "meeting.participant_add", "walk_in", ">false<", "in_session"):
        assert raw not in html, raw


def test_a_family_history_is_in_words(client, auth, users, confirmed):
    auth.login_as(users["sekretaris"])
    families = db.session.execute(
        select(Household).where(Household.village_code == DESA_PASAR_IPUH).order_by(Household.kk)
    ).scalars()
    pages = [client.get(f"/keluarga/{family.id}").get_data(as_text=True) for family in families]
    text = " ".join(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)) for page in pages)
    assert "Keluarga ditambahkan ke register" in text
    assert "Keluarga dikeluarkan dari register" in text and "Status: aktif → keluar" in text
    assert "Data keluarga diperbaiki oleh musyawarah" in text
    for raw in (" created", " removed ", " corrected", "status:", "members:"):
        assert raw not in text, raw
