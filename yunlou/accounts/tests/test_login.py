import pytest

from yunlou.accounts.models import Role
from yunlou.accounts.tests.factories import OrganizationFactory, make_staff


@pytest.fixture
def manager(db):
    return make_staff(role=Role.MANAGER, organization=OrganizationFactory(), username="liu", phone="13900000002")


def login(client, username, password="secret-pass-123"):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_staff_log_in_with_username(client, manager):
    response = login(client, "liu")
    assert response.status_code == 302 and response["Location"] == "/staff/overview/"  # a manager's landing


def test_staff_log_in_with_their_mobile_number(client, manager):
    response = login(client, "139 0000 0002")
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200


def test_a_wrong_password_is_refused_in_chinese(client, manager):
    response = login(client, "liu", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_the_account_locks_after_five_failures(client, manager):
    for _ in range(5):
        login(client, "liu", "wrong-password")
    response = login(client, "liu")  # even the right password is refused while locked
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()


def test_the_django_admin_speaks_chinese(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "用户名" in response.content.decode()


def test_english_is_available_through_the_language_switch(client, manager):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Staff login" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert "员工登录" in client.get("/accounts/login/").content.decode()


def test_a_browser_set_to_english_still_gets_chinese_first(client, db):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "员工登录" in page.content.decode()


def test_spelling_the_phone_differently_does_not_buy_more_tries(client, manager):
    spellings = ["13900000002", "139 0000 0002", "139-0000-0002", "+86 13900000002", "0086 139 0000 0002"]
    for spelling in spellings:
        login(client, spelling, "wrong-password")
    assert login(client, "13900000002").status_code == 429
    assert login(client, "liu").status_code == 429  # the account, whichever name it is reached by


def test_failed_logins_by_a_number_record_no_plain_number(client, manager, caplog):
    from axes.models import AccessAttempt, AccessFailureLog

    for spelling in ("137 1234 5678", "+86 13712345678"):  # a number no account has
        login(client, spelling, "wrong-password")
    login(client, "13900000002", "wrong-password")  # the manager's own number
    recorded = [*AccessAttempt.objects.values_list("username", flat=True),
                *AccessAttempt.objects.values_list("post_data", flat=True),
                *AccessFailureLog.objects.values_list("username", flat=True), caplog.text]
    assert not [entry for entry in recorded if "12345678" in (entry or "").replace(" ", "")]
    assert not [entry for entry in recorded if "00000002" in (entry or "").replace(" ", "")]
    assert AccessAttempt.objects.filter(username__startswith="phone:").count() == 1  # both spellings, one count
