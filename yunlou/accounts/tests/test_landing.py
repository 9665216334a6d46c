import pytest

from yunlou.accounts.landing import LANDING_PAGES, landing_url
from yunlou.accounts.models import Membership, Role
from yunlou.accounts.tests.factories import OrganizationFactory, UserFactory, make_staff

PASSWORD = "secret-pass-123"

EXPECTED = {
    Role.ADMIN: "/staff/overview/",
    Role.MANAGER: "/staff/overview/",
    Role.CONSULTANT: "/m/",
    Role.RECEPTIONIST: "/staff/overview/",
    Role.CHANNEL: "/staff/overview/",
    Role.FINANCE: "/staff/overview/",
}


@pytest.fixture
def organization(db):
    return OrganizationFactory()


def login(client, username, **extra):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD, **extra})


def test_every_role_has_a_landing_page():
    assert set(LANDING_PAGES) == set(Role.values)


@pytest.mark.parametrize(("role", "path"), EXPECTED.items())
def test_landing_url_sends_each_role_to_its_work(organization, role, path):
    assert landing_url(make_staff(role=role, organization=organization)) == path


def test_someone_who_is_not_staff_lands_on_the_showroom():
    assert landing_url(None) == "/"


@pytest.mark.parametrize(("role", "path"), EXPECTED.items())
def test_after_login_each_role_lands_on_its_work(client, organization, role, path):
    staff = make_staff(role=role, organization=organization)
    response = login(client, staff.user.username)
    assert response.status_code == 302 and response["Location"] == path
    assert client.get(path).status_code == 200


def test_a_safe_next_still_wins_over_the_landing_page(client, organization):
    staff = make_staff(role=Role.MANAGER, organization=organization)
    response = login(client, staff.user.username, next="/staff/audit/")
    assert response["Location"] == "/staff/audit/"


def test_a_next_to_another_site_is_ignored(client, organization):
    staff = make_staff(role=Role.CONSULTANT, organization=organization)
    response = login(client, staff.user.username, next="https://evil.example/steal")
    assert response["Location"] == "/m/"


def test_a_buyer_never_lands_in_the_back_office_even_when_next_says_so(client, db):
    buyer = UserFactory()
    response = login(client, buyer.username, next="/staff/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_former_employee_lands_on_the_showroom(client, organization):
    staff = make_staff(role=Role.MANAGER, organization=organization)
    Membership.objects.filter(user=staff.user).update(is_active=False)
    assert login(client, staff.user.username)["Location"] == "/"


@pytest.mark.parametrize(("role", "path"), [(Role.MANAGER, "/staff/overview/"), (Role.CONSULTANT, "/m/")])
def test_logged_in_staff_opening_the_login_page_again_go_to_their_landing_page(client, organization, role, path):
    staff = make_staff(role=role, organization=organization)
    client.force_login(staff.user)
    response = client.get("/accounts/login/")
    assert response.status_code == 302 and response["Location"] == path


def test_the_landing_redirect_knows_who_is_asking(client, organization):
    assert client.get("/accounts/landing/")["Location"] == "/"
    client.force_login(make_staff(role=Role.CONSULTANT, organization=organization).user)
    assert client.get("/accounts/landing/")["Location"] == "/m/"


def test_the_staff_navigation_links_the_overview(client, organization):
    client.force_login(make_staff(role=Role.CONSULTANT, organization=organization).user)
    page = client.get("/staff/").content.decode()
    assert 'href="/staff/overview/"' in page and "销控总览" in page
