"""Browsing the register: a village's families (paginated, searched by POST), a family's page,
who may see what, and NIKs kept out of URLs and out of sight of those outside the scope."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.blueprints.register.models import Household, RegisterImport
from portal.demo import synthetic
from portal.extensions import db
from portal.personal_data import mask_id, shown_id
from tests.factories import (
    DESA_AIR_BULUH,
    DESA_PASAR_IPUH,
    KAB_MUKOMUKO,
    KEC_IPUH,
    KEC_KOTA_MUKOMUKO,
    KEL_PASAR_MUKOMUKO,
    KOTA_SOLOK,
    make_user,
)
from tests.register.conftest import csv_bytes, seed_register, text_of

FAMILIES = 30
FAMILY_LINK = re.compile(r'<a href="/keluarga/(\d+)">')
SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


@pytest.fixture
def register(pasar_ipuh, air_buluh, pasar_mukomuko):
    """30 families in Pasar Ipuh, 3 in Air Buluh, 3 in Pasar Mukomuko: the Pasar Ipuh rows."""
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=FAMILIES, seed=12)
    others, _ = synthetic.generate([air_buluh, pasar_mukomuko], families_per_village=3, seed=13)
    seed_register(csv_bytes(rows + others), KAB_MUKOMUKO)
    return rows


def households(village: str = DESA_PASAR_IPUH) -> list[Household]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(Household).where(Household.village_code == village).order_by(Household.id)
        ).scalars()
    )


def listed(response) -> set[int]:
    return {int(found) for found in FAMILY_LINK.findall(response.get_data(as_text=True))}


def search(client, query: str, *, page: str = "", fragment: bool = True, code=DESA_PASAR_IPUH):
    headers = {"HX-Request": "true"} if fragment else {}
    return client.post(
        f"/keluarga/desa/{code}", data={"q": query, "halaman": page}, headers=headers
    )


def login(auth, role: str, region: str):
    user = make_user(role, region)
    auth.login_as(user)
    return user


# --- The village's list --------------------------------------------------------------------


def test_village_page_lists_families_25_per_page(sekretaris, client, register):
    ids = {h.id for h in households()}
    assert len(ids) == FAMILIES

    first = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}")
    assert first.status_code == 200
    text = text_of(first)
    assert "<html" in text
    assert f"{FAMILIES} keluarga aktif" in text
    assert "Halaman 1 dari 2" in text
    page_one = listed(first)
    assert len(page_one) == 25

    second = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}?halaman=2")
    assert len(listed(second)) == FAMILIES - 25
    assert page_one | listed(second) == ids

    # The pager posts (a search query stays out of the URL) and answers the same.
    by_post = search(client, "", page="2")
    assert listed(by_post) == listed(second)
    assert "Halaman 2 dari 2" in text_of(by_post)


def test_other_villages_families_are_not_listed(sekretaris, client, register):
    response = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}?halaman=2")
    others = {h.id for h in households(DESA_AIR_BULUH)}
    assert not listed(response) & others
    assert not listed(client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}")) & others


def test_fragment_for_htmx_full_page_otherwise(sekretaris, client, register):
    fragment = search(client, "", fragment=True)
    assert fragment.status_code == 200
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="jumlah-keluarga"' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]

    page = search(client, "", fragment=False)
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]
    get = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}")
    assert "HX-Request" in get.headers["Vary"]


def expected_ids(match) -> set[int]:
    return {h.id for h in households() if h.status == "active" and match(h)}


def test_search_by_name_part(sekretaris, client, register):
    name = next(row["nama"] for row in register if " " in row["nama"] and row["nama"].isascii())
    part = name.split()[1][1:5].upper()  # the middle of a surname, in other case
    want = expected_ids(lambda h: any(part.lower() in m.name.lower() for m in h.members))
    assert want
    response = search(client, part)
    assert listed(response) == want
    assert f"{len(want)} keluarga cocok" in text_of(response)


def test_search_by_nik_prefix(sekretaris, client, register):
    prefix = register[5]["nomor_nik"][:12]
    want = expected_ids(
        lambda h: h.kk.startswith(prefix) or any(m.nik.startswith(prefix) for m in h.members)
    )
    assert want
    assert listed(search(client, prefix)) == want
    # The whole NIK finds exactly the family.
    whole = search(client, register[5]["nomor_nik"])
    assert listed(whole) == expected_ids(lambda h: h.kk == register[5]["nomor_kk"])


def test_search_by_kk_prefix(sekretaris, client, register):
    kk = register[-1]["nomor_kk"]
    prefix = kk[:13]
    want = expected_ids(
        lambda h: h.kk.startswith(prefix) or any(m.nik.startswith(prefix) for m in h.members)
    )
    assert household_id_of(kk) in want
    assert listed(search(client, prefix)) == want
    assert listed(search(client, kk)) == {household_id_of(kk)}


def household_id_of(kk: str) -> int:
    return next(h.id for h in households() if h.kk == kk)


def test_search_by_rt_and_rt_rw(sekretaris, client, register):
    family = households()[0]
    rt, rw = int(family.rt), int(family.rw)
    want_rt = expected_ids(lambda h: h.rt == family.rt)
    for query in (f"RT {rt}", f"rt {rt:03d}", f"RT{rt}"):
        assert listed(search(client, query)) == want_rt, query
    want_both = expected_ids(lambda h: (h.rt, h.rw) == (family.rt, family.rw))
    assert family.id in want_both
    for query in (f"{rt}/{rw}", f"RT {rt}/RW {rw}", f"rt {rt} rw {rw}"):
        assert listed(search(client, query)) == want_both, query


def test_search_without_match_says_so(sekretaris, client, register):
    response = search(client, "Tidakadanamaini")
    assert listed(response) == set()
    assert "Tidak ada keluarga yang cocok dengan pencarian." in text_of(response)


def test_search_query_too_long_is_a_clean_400(sekretaris, client, register):
    response = search(client, "x" * 500)
    assert response.status_code == 400


def test_village_code_may_be_dotted_but_must_be_a_village(sekretaris, client, register):
    assert client.get("/keluarga/desa/17.06.05.2006").status_code == 200
    assert client.get("/keluarga/desa/170605").status_code == 404
    assert client.get("/keluarga/desa/1706059999").status_code == 404


def test_family_page_shows_members_and_history(sekretaris, client, register):
    kk = register[0]["nomor_kk"]
    members = [row for row in register if row["nomor_kk"] == kk]
    response = client.get(f"/keluarga/{household_id_of(kk)}")
    assert response.status_code == 200
    text = text_of(response)
    assert f"Keluarga {members[0]['nama']}" in text
    for row in members:
        assert row["nama"] in text
        assert row["nomor_nik"] in text  # the secretary's own village: full NIKs
    assert kk in text
    assert "Riwayat" in text and "created" not in text
    assert "Keluarga ditambahkan ke register" in text


def test_index_sends_a_secretary_to_the_village(sekretaris, client, register):
    response = client.get("/keluarga/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/keluarga/desa/{DESA_PASAR_IPUH}")


def test_index_lists_a_camats_villages_with_counts(auth, client, register):
    login(auth, "camat", KEC_IPUH)
    text = text_of(client.get("/keluarga/"))
    assert "Pasar Ipuh" in text and "Air Buluh" in text
    assert "Pasar Mukomuko" not in text
    assert re.search(rf'href="/keluarga/desa/{DESA_PASAR_IPUH}">Pasar Ipuh</a>.*?'
                     rf'<td class="num">{FAMILIES}</td>', text, re.S)  # fmt: skip


def test_anonymous_is_sent_to_login(client, register):
    response = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}")
    assert response.status_code == 302
    assert "/masuk" in response.headers["Location"]


# --- Scope and roles ----------------------------------------------------------------------


@pytest.fixture
def pasar_ipuh_import(regions, importer, auth, register, pasar_ipuh):
    """An import of Pasar Ipuh waiting for confirmation, then logged out."""
    user = make_user("sekretaris", DESA_PASAR_IPUH)
    auth.login_as(user)
    rows, _ = synthetic.generate([pasar_ipuh], families_per_village=2, seed=77)
    record = importer.preview(csv_bytes(register + rows), DESA_PASAR_IPUH)
    auth.logout()
    return record


@pytest.mark.parametrize(
    ("role", "region"),
    [
        ("sekretaris", DESA_AIR_BULUH),
        ("sekretaris", KEL_PASAR_MUKOMUKO),
        ("camat", KEC_KOTA_MUKOMUKO),
        ("operator", DESA_AIR_BULUH),
        ("admin", KOTA_SOLOK),
    ],
)
def test_outside_the_scope_everything_is_404(auth, client, pasar_ipuh_import, role, region):
    login(auth, role, region)
    family = households()[0]
    assert client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}").status_code == 404
    assert search(client, "").status_code == 404
    assert client.get(f"/keluarga/{family.id}").status_code == 404
    assert client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.csv").status_code == 404
    assert client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.xlsx").status_code == 404
    record_id = pasar_ipuh_import.id
    expected = 404 if role in ("sekretaris", "admin") else 403  # no import capability: 403
    assert client.get(f"/keluarga/impor/{record_id}").status_code == expected
    assert client.post(f"/keluarga/impor/{record_id}/konfirmasi").status_code == expected
    assert client.post(f"/keluarga/impor/{record_id}/batal").status_code == expected
    assert client.get(f"/keluarga/impor/{record_id}/masalah.csv").status_code == expected
    db.session.expire_all()
    assert db.session.get(RegisterImport, record_id).status == "preview"
    if role in ("sekretaris", "admin"):  # the import list shows only their own region's
        assert f'/keluarga/impor/{record_id}"' not in client.get("/keluarga/impor").get_data(
            as_text=True
        )


@pytest.mark.parametrize(("role", "region"), [("camat", KEC_IPUH), ("operator", DESA_PASAR_IPUH),
                                              ("operator", KEC_IPUH)])  # fmt: skip
def test_camat_and_operator_browse_but_cannot_import(
    auth, client, importer, pasar_ipuh_import, register, role, region
):
    login(auth, role, region)
    family = households()[0]
    page = client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}")
    assert page.status_code == 200
    assert register[0]["nama"] in text_of(client.get(f"/keluarga/{family.id}"))
    assert search(client, register[0]["nomor_nik"][:10]).status_code == 200
    assert client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}/ekspor.csv").status_code == 200

    assert client.get("/keluarga/impor").status_code == 403
    assert importer.upload(csv_bytes(register), DESA_PASAR_IPUH).status_code == 403
    assert client.get(f"/keluarga/impor/{pasar_ipuh_import.id}").status_code == 403
    assert client.post(f"/keluarga/impor/{pasar_ipuh_import.id}/konfirmasi").status_code == 403
    assert "Impor prelist" not in text_of(client.get("/keluarga/"))
    db.session.expire_all()
    assert db.session.get(RegisterImport, pasar_ipuh_import.id).status == "preview"


def test_admin_sees_and_imports_in_the_whole_kabupaten(auth, client, importer, register):
    login(auth, "admin", KAB_MUKOMUKO)
    assert client.get(f"/keluarga/desa/{KEL_PASAR_MUKOMUKO}").status_code == 200
    page = client.get("/keluarga/impor")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'value="{KAB_MUKOMUKO}"' in text and f'value="{DESA_PASAR_IPUH}"' in text
    record = importer.preview(csv_bytes(register), DESA_PASAR_IPUH)
    assert record.summary["unchanged"] == FAMILIES


# --- Masking ------------------------------------------------------------------------------


def test_mask_id():
    assert mask_id("3201234567890123") == "320123********23"
    assert mask_id("1706052006000012") == "170605********12"
    assert mask_id("") == ""
    assert mask_id(None) == ""
    assert mask_id("12345") == "*****"  # a malformed number is hidden whole


def test_full_ids_only_within_the_scope(regions, register):
    nik, kk = register[0]["nomor_nik"], register[0]["nomor_kk"]
    secretary = make_user("sekretaris", DESA_PASAR_IPUH)
    camat = make_user("camat", KEC_IPUH)
    neighbour = make_user("sekretaris", DESA_AIR_BULUH)
    other_camat = make_user("camat", KEC_KOTA_MUKOMUKO)
    for user in (secretary, camat):
        assert shown_id(nik, DESA_PASAR_IPUH, user) == nik
        assert shown_id(kk, DESA_PASAR_IPUH, user) == kk
    for user in (neighbour, other_camat):
        assert shown_id(nik, DESA_PASAR_IPUH, user) == mask_id(nik)
        assert shown_id(kk, DESA_PASAR_IPUH, user) == mask_id(kk)


def link_targets(body: str) -> list[str]:
    """Every URL a page links to or sends a form to, and the language form's return path."""
    found = re.findall(r'(?:href|action|src|hx-get|hx-post)="([^"]*)"', body)
    found += re.findall(r'name="next" value="([^"]*)"', body)
    return found


def test_no_full_nik_in_any_url_of_the_pages(sekretaris, client, register):
    kk = register[0]["nomor_kk"]
    pages = [
        client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}"),
        client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}?halaman=2"),
        search(client, register[0]["nomor_nik"], fragment=False),  # a NIK searched for
        search(client, register[0]["nomor_nik"][:8], fragment=True),
        search(client, "", page="2", fragment=False),
        client.get(f"/keluarga/{household_id_of(kk)}"),
    ]
    for response in pages:
        body = response.get_data(as_text=True)
        assert SIXTEEN_DIGITS.search(body), "the page shows full numbers (in scope)"
        for url in link_targets(body):
            assert not SIXTEEN_DIGITS.search(url), url
    # The searched NIK is echoed only inside form fields, never in the page's address.
    response = search(client, register[0]["nomor_nik"], fragment=False)
    assert register[0]["nomor_nik"] not in (response.request.url or "")


def test_names_are_shown_as_text_never_as_markup(sekretaris, client, importer, pasar_ipuh):
    from tests.register.conftest import family_rows

    rows = family_rows(
        pasar_ipuh,
        kk="1706050101200001",
        members=[
            ("1706051203900001", '<img src=x onerror="alert(1)">', "KEPALA KELUARGA"),
            ("1706055507920002", "Siti <b>Aminah</b>", "ISTRI"),
        ],
        alamat="<script>alert(2)</script>",
    )
    importer.run(csv_bytes(rows), DESA_PASAR_IPUH)
    family_id = household_id_of("1706050101200001")
    for response in (
        client.get(f"/keluarga/desa/{DESA_PASAR_IPUH}"),
        client.get(f"/keluarga/{family_id}"),
        search(client, "aminah"),
    ):
        body = response.get_data(as_text=True)
        assert "<img src=x" not in body and "<b>Aminah" not in body and "<script>alert" not in body
        assert "&lt;img src=x" in body or "&lt;b&gt;Aminah" in body
