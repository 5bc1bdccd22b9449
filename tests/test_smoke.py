from tests.factories import DESA_PASAR_IPUH, make_user


def test_secretary_logs_in_and_sees_home(client, auth, regions):
    user = make_user("sekretaris", DESA_PASAR_IPUH, full_name="Siti Aminah")
    auth.login_as(user)
    page = client.get("/").get_data(as_text=True)
    assert "Selamat datang, Siti Aminah" in page
    assert "musdes" in page
