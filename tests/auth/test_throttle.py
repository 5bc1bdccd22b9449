"""Failed logins slow an attacker down without locking the account's owner out (issue 16.7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask

from portal.audit import AuditEntry
from portal.blueprints.auth.throttle import DEVICE_COOKIE
from portal.extensions import db
from tests.factories import (
    DESA_PASAR_IPUH,
    KAB_MUKOMUKO,
    KEL_TANAH_GARAM,
    KOTA_SOLOK,
    PASSWORD,
    Auth,
    make_user,
)

WRONG = "Nama pengguna atau kata sandi salah"
SLOWED = "Akun ini sedang menerima banyak percobaan masuk yang gagal"
START = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def at(address: str) -> dict[str, object]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


class TestOneAddressCannotLockTheAccount:
    def test_five_failures_stop_that_address_only(self, app: Flask, client, auth, regions):
        user = make_user("sekretaris", DESA_PASAR_IPUH, username="ani")
        for _ in range(5):
            response = auth.login("ani", "salah-sandi-1", **at("10.9.9.9"))
            assert WRONG in response.get_data(as_text=True)

        refused = auth.login("ani", PASSWORD, **at("10.9.9.9"))
        assert refused.status_code == 429
        assert not logged_in(client)

        # The secretary, from her own address, still gets in with her password.
        owner = Auth(app.test_client())
        assert owner.login(user.username, PASSWORD, **at("10.1.1.1")).status_code == 302
        assert logged_in(owner.client)


class TestSlowDown:
    @pytest.fixture
    def app_config(self) -> dict[str, object]:
        return {
            "LOGIN_SLOWDOWN_AFTER": 3,
            "LOGIN_SLOWDOWN_MAX_SECONDS": 8,
            "LOGIN_LIMIT_ADDRESS": "1000 per 15 minutes",
        }

    def guess_from_everywhere(self, auth: Auth, username: str, times: int) -> None:
        for n in range(times):
            response = auth.login(username, f"tebakan-{n}", **at(f"10.0.0.{n + 1}"))
            assert response.status_code == 200
            assert WRONG in response.get_data(as_text=True)

    def test_an_account_guessed_from_many_addresses_is_slowed_then_open_again(
        self, app: Flask, client, auth, regions
    ):
        make_user("camat", "170605", username="camat.ipuh")
        with time_machine.travel(START, tick=False) as clock:
            self.guess_from_everywhere(auth, "camat.ipuh", 3)

            # A new address, even with the right password, waits the first 2 seconds...
            response = auth.login("camat.ipuh", PASSWORD, **at("10.5.5.5"))
            assert response.status_code == 429
            page = response.get_data(as_text=True)
            assert SLOWED in page and "Tunggu 2 detik" in page
            assert "<form" in page  # the login form is shown again, not an error page
            assert not logged_in(client)

            # ...and is let in once they have passed: slowed, not locked.
            clock.shift(timedelta(seconds=3))
            assert auth.login("camat.ipuh", PASSWORD, **at("10.5.5.5")).status_code == 302

    def test_the_wait_doubles_up_to_the_ceiling(self, client, auth, regions):
        make_user("camat", "170605", username="camat.ipuh")
        with time_machine.travel(START, tick=False) as clock:
            self.guess_from_everywhere(auth, "camat.ipuh", 3)
            waits = []
            for n in range(4):
                clock.shift(timedelta(seconds=60))
                response = auth.login("camat.ipuh", "tebakan-lagi", **at(f"10.1.0.{n + 1}"))
                assert response.status_code == 200
                after = auth.login("camat.ipuh", "tebakan-lagi", **at("10.2.0.1"))
                assert after.status_code == 429
                text = after.get_data(as_text=True)
                waits.append(next(s for s in (2, 4, 8) if f"Tunggu {s} detik" in text))
        assert waits == [4, 8, 8, 8]

    def test_a_device_that_logged_in_before_is_not_slowed(self, app: Flask, auth, regions):
        make_user("camat", "170605", username="camat.ipuh")
        phone = Auth(app.test_client())
        with time_machine.travel(START, tick=False):
            assert phone.login("camat.ipuh", PASSWORD, **at("10.7.7.7")).status_code == 302
            assert phone.client.get_cookie(DEVICE_COOKIE) is not None
            phone.logout()

            self.guess_from_everywhere(auth, "camat.ipuh", 3)
            assert auth.login("camat.ipuh", PASSWORD, **at("10.5.5.5")).status_code == 429

            # Her own phone, same second, same (mobile) address as an attacker: straight in.
            assert phone.login("camat.ipuh", PASSWORD, **at("10.5.5.5")).status_code == 302
            assert logged_in(phone.client)

    def test_a_forged_or_foreign_device_cookie_does_not_help(self, app: Flask, auth, regions):
        make_user("camat", "170605", username="camat.ipuh")
        other = make_user("camat", "170602", username="camat.kota")
        mine = Auth(app.test_client())
        assert mine.login(other.username, PASSWORD).status_code == 302  # a cookie for another
        mine.logout()
        forged = Auth(app.test_client())
        forged.client.set_cookie(DEVICE_COOKIE, "WzEsMiwzLDQsNV0.forged.signature")
        with time_machine.travel(START + timedelta(days=1), tick=False):
            self.guess_from_everywhere(auth, "camat.ipuh", 3)
            for attacker in (mine, forged):
                response = attacker.login("camat.ipuh", PASSWORD, **at("10.5.5.5"))
                assert response.status_code == 429

    def test_unknown_usernames_are_slowed_the_same_way(self, auth, regions):
        """No difference tells a guesser which usernames exist."""
        with time_machine.travel(START, tick=False):
            self.guess_from_everywhere(auth, "camat.tidakada", 3)
            response = auth.login("camat.tidakada", "apa-saja", **at("10.5.5.5"))
        assert response.status_code == 429
        assert SLOWED in response.get_data(as_text=True)


class TestFailedLoginsPage:
    URL = "/jejak-audit/masuk-gagal"

    def test_admin_sees_own_accounts_and_unknown_names_not_other_regions(
        self, app: Flask, client, auth, regions
    ):
        admin = make_user("admin", KAB_MUKOMUKO)
        make_user("camat", "170605", username="camat.ipuh")
        make_user("sekretaris", KEL_TANAH_GARAM, username="sekre.solok")
        auth.login("camat.ipuh", "salah-1", **at("10.3.3.3"))
        auth.login("camat.ipuh", "salah-2", **at("10.3.3.3"))
        auth.login("camat.tebakan", "salah-3", **at("10.4.4.4"))
        auth.login("sekre.solok", "salah-4", **at("10.6.6.6"))

        entry = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "auth.login_failed").limit(1)
        ).scalar_one()
        assert entry.region_code is not None and entry.region_code.startswith(KAB_MUKOMUKO)

        auth.login_as(admin)
        page = client.get(self.URL).get_data(as_text=True)
        assert "Percobaan masuk gagal" in page
        known, unknown = page.split("Nama pengguna yang tidak terdaftar", 1)
        assert "camat.ipuh" in known and "10.3.3.3" in known and "(2)" in known
        assert "camat.tebakan" in unknown and "10.4.4.4" in unknown
        assert "sekre.solok" not in page  # an account of Kota Solok
        # The trail links to it for admins.
        assert self.URL in client.get("/jejak-audit/").get_data(as_text=True)

    def test_other_kabupaten_admin_sees_only_unknown_names(self, client, auth, regions):
        make_user("camat", "170605", username="camat.ipuh")
        other_admin = make_user("admin", KOTA_SOLOK)
        auth.login("camat.ipuh", "salah-1")
        auth.login("camat.tebakan", "salah-2")
        auth.login_as(other_admin)
        page = client.get(self.URL).get_data(as_text=True)
        assert "camat.ipuh" not in page
        assert "camat.tebakan" in page

    @pytest.mark.parametrize("role,region", [("camat", "170605"), ("sekretaris", DESA_PASAR_IPUH)])
    def test_only_admins_open_it(self, client, auth, regions, role, region):
        auth.login_as(make_user(role, region))
        assert client.get(self.URL).status_code == 403

    def test_bad_period_falls_back_to_a_week(self, client, auth, regions):
        auth.login_as(make_user("admin", KAB_MUKOMUKO))
        for value in ("99999999999999999999", "-1", "abc", "30"):
            assert client.get(self.URL, query_string={"hari": value}).status_code == 200
