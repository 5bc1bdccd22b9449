"""Every main page in English shows no Indonesian interface word: a string someone forgot to
wrap in gettext, or left out of the catalog, fails here (data — names, places — may stay
Indonesian; the words checked are interface words that data does not contain)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from portal.blueprints.meetings import services
from portal.extensions import db
from tests.browser.test_workflow import build_in_session
from tests.factories import DESA_PASAR_IPUH
from tests.review.conftest import (  # noqa: F401  (fixtures)
    confirm,
    locked,
    register,
    sekretaris,
    users,
)

INDONESIAN = re.compile(
    r"\b(Simpan|Batal|Beranda|Cari|Unduh|Halaman|Belum|Sudah|Tidak ada|Tanggal|"
    r"Peserta|Usulan|Kehadiran|Keputusan|Jumlah|Catat|Ubah|Hapus|Kembali|dengan|untuk|yang|"
    r"atau|belum|sudah|tidak|dari|pada|Musyawarah desa|Pindaian|Unggah|Tampilkan|"
    r"Semua|Masuk|Kata sandi|Wilayah|Keluarga|Dasbor|Konfirmasi|Jejak audit)\b"
)
TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.DOTALL)


def visible_text(html: str) -> str:
    return unescape(TAGS.sub(" ", html))


@pytest.fixture
def world(users, register, locked):
    locked_meeting, _ba = locked
    in_session, proposals = build_in_session(
        users["sekretaris"], register[4:7], present=True, named_vote=True
    )
    services.decide_by_consensus(in_session, proposals[0], user=users["sekretaris"])
    db.session.commit()
    return {
        "m": in_session.id,
        "lm": locked_meeting.id,
        "household": register[7].id,
        "code": _ba.verify_code,
    }


def pages(world: dict) -> dict[str, list[str]]:
    m, lm, household = world["m"], world["lm"], world["household"]
    return {
        "sekretaris": [
            "/",
            "/musyawarah/",
            "/musyawarah/baru",
            f"/musyawarah/{m}",
            f"/musyawarah/{m}/peserta",
            f"/musyawarah/{m}/usulan",
            f"/musyawarah/{m}/keluarga",
            f"/musyawarah/{m}/usulan/keluar/{household}",
            f"/musyawarah/{m}/usulan/baru",
            f"/musyawarah/{lm}",
            f"/musyawarah/{lm}/keputusan",
            f"/keluarga/desa/{DESA_PASAR_IPUH}",
            f"/keluarga/{household}",
            "/notifikasi/",
            "/akun/kata-sandi",
        ],
        "camat": ["/", "/konfirmasi/", f"/konfirmasi/{lm}", "/dasbor/", "/jejak-audit/"],
        "admin": [
            "/",
            "/dasbor/",
            "/jejak-audit/",
            "/keluarga/impor",
            "/admin/pengguna/",
            "/admin/pengguna/baru",
            "/musyawarah/aturan",
            "/wilayah/17.06",
        ],
        "anonymous": ["/masuk", f"/verifikasi/{world['code']}", "/transparansi/"],
    }


def test_english_pages_have_no_indonesian_interface_words(client, auth, users, world):
    found: dict[str, list[str]] = {}
    for who, paths in pages(world).items():
        if who == "anonymous":
            auth.logout()
        else:
            auth.login_as(users[who])
        client.post("/bahasa", data={"lang": "en", "next": "/"})
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (who, path, response.status_code)
            words = sorted(set(INDONESIAN.findall(visible_text(response.get_data(as_text=True)))))
            if words:
                found[f"{who} {path}"] = words
    assert not found, "\n".join(f"{page}: {words}" for page, words in found.items())


def test_the_detector_sees_indonesian_pages(client):
    """The check above can fail: the same kind of page in Indonesian is full of those words."""
    client.post("/bahasa", data={"lang": "id", "next": "/masuk"})
    words = set(INDONESIAN.findall(visible_text(client.get("/masuk").get_data(as_text=True))))
    assert {"Masuk", "Kata sandi"} <= words
