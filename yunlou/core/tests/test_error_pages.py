"""The error pages speak the visitor's language (Chinese first), fit a phone and offer a way back."""

import pytest
from django.template import loader
from django.test import Client
from django.urls import include, path
from django.utils import translation

from yunlou.accounts.models import Role
from yunlou.accounts.tests.factories import UserFactory, make_staff

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1'


def broken_view(request):
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken_view), path("", include("yunlou.urls"))]


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def test_a_missing_page_is_answered_in_chinese_with_the_way_home(client, db):
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in page and VIEWPORT in page
    assert '<a class="button primary" href="/" data-testid="way-back">返回首页</a>' in page
    assert "Resolver404" not in page and "Not Found" not in page


def test_a_missing_project_names_what_is_missing(client, db):
    response = client.get("/p/999999/")
    assert response.status_code == 404 and "项目不存在。" in response.content.decode()


def test_staff_are_led_back_to_their_landing_page(client, project):
    client.force_login(make_staff(role=Role.CONSULTANT, organization=project.organization, projects=[project]).user)
    page = client.get("/no-such-page/").content.decode()
    assert 'href="/m/" data-testid="way-back">返回工作首页</a>' in page


def test_the_language_switch_turns_the_error_page_english(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/no-such-page/").content.decode()
    assert "Page not found" in page and "Back to the home page" in page and "页面不存在" not in page


def test_a_refusal_is_answered_in_chinese_with_the_way_back(client, project):
    consultant = make_staff(role=Role.CONSULTANT, organization=project.organization, projects=[project])
    client.force_login(consultant.user)
    response = client.get("/staff/audit/")  # consultants may not read the audit log
    page = response.content.decode()
    assert response.status_code == 403
    assert "无权访问" in page and VIEWPORT in page and 'href="/m/"' in page


def test_a_buyer_refused_a_staff_page_is_sent_back_to_the_showroom(client, db):
    client.force_login(UserFactory())
    response = client.get("/staff/")
    assert response.status_code == 403 and 'href="/" data-testid="way-back"' in response.content.decode()


def test_the_500_page_needs_no_request_and_no_database():
    # No `db` fixture: pytest-django refuses any query here, so rendering proves the page needs none.
    with translation.override("zh-hans"):
        page = loader.get_template("500.html").render()
    assert "系统出错了" in page and VIEWPORT in page and 'href="/accounts/landing/"' in page
    assert "<style>" in page and "stylesheet" not in page  # self-contained: no static files to fetch


def test_the_500_page_follows_the_language_switch():
    with translation.override("en"):
        assert "Something went wrong" in loader.get_template("500.html").render()


@pytest.mark.urls(__name__)
def test_a_bug_shows_the_chinese_500_page(db):
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500 and "系统出错了" in response.content.decode()


def test_a_bad_request_is_answered_in_chinese(client, db):
    response = client.get("/", HTTP_HOST="not-our-site.example")  # DisallowedHost
    page = response.content.decode()
    assert response.status_code == 400 and "请求无法处理" in page and 'href="/accounts/landing/"' in page


def test_a_stale_form_gets_a_chinese_page_not_the_technical_csrf_one(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in page and "CSRF" not in page and 'href="/"' in page
