"""Issue 6 item 9 on a 375 px phone: every role lands on its work after logging in, and a missing page answers
in Chinese with a way back."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import staff_login
from yunlou.demo.seed import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERVIEW, WORKBENCH = "/staff/overview/", "/m/"
LANDINGS = [
    # login, where it lands, the heading there, whether sales amounts are on it
    ("manager", OVERVIEW, "销控总览", True),
    ("admin", OVERVIEW, "销控总览", True),
    ("wang", WORKBENCH, "工作台", None),
    ("reception", OVERVIEW, "销控总览", False),
    ("channel", OVERVIEW, "销控总览", False),
    ("finance", OVERVIEW, "销控总览", True),
]


@pytest.fixture
def demo(db):
    seed_demo(with_media=False)


def shot(page, artifacts_dir, name):
    page.screenshot(path=os.path.join(artifacts_dir, f"item9-{name}.png"), full_page=False)


def test_each_role_lands_on_its_work_after_login(demo, live_server, phone, artifacts_dir):
    for username, path, heading, shows_amounts in LANDINGS:
        # Leave the last page first: a request it still makes (a poll) would set a new CSRF cookie under the
        # login form that is about to be filled in.
        phone.goto("about:blank")
        phone.context.clear_cookies()
        staff_login(phone, live_server, username)
        assert phone.url == f"{live_server.url}{path}", username
        expect(phone.get_by_role("heading", level=1)).to_have_text(heading)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375, username
        if shows_amounts is not None:
            expect(phone.get_by_test_id("overview-building").first).to_be_visible()
            assert (phone.get_by_text("已售金额").count() > 0) is shows_amounts, username
        if username in ("manager", "wang"):
            shot(phone, artifacts_dir, f"landing-{username}")
        # opening the login page again goes straight back to work
        phone.goto(f"{live_server.url}/accounts/login/")
        assert phone.url == f"{live_server.url}{path}", username


def test_the_overview_leads_into_a_buildings_grid(demo, live_server, phone, artifacts_dir):
    staff_login(phone, live_server, "manager")
    building = phone.get_by_test_id("overview-building").first
    expect(building.get_by_role("list")).to_contain_text("可售")
    expect(building.get_by_test_id("sell-through")).to_contain_text("去化率")
    phone.get_by_test_id("overview-building").first.locator(".ov-bar").screenshot(
        path=os.path.join(artifacts_dir, "item9-overview-bar.png"))
    building.get_by_role("link").first.click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("销控表")


def test_a_missing_page_speaks_chinese_at_phone_width_and_leads_back(demo, live_server, phone, artifacts_dir):
    response = phone.goto(f"{live_server.url}/p/999999/")
    assert response.status == 404
    expect(phone.get_by_role("heading", level=1)).to_have_text("页面不存在")
    back = phone.get_by_role("link", name="返回首页")
    expect(back).to_be_visible()
    box = back.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= 375
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, artifacts_dir, "404-phone")
    back.click()
    expect(phone.get_by_role("heading", name="云栖府")).to_be_visible()  # the showroom's project list

    # English when the language switch says so
    phone.goto(f"{live_server.url}/no-such-page/")
    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Page not found")
    phone.get_by_role("button", name="中文").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("页面不存在")

    # staff are led back to their own work
    staff_login(phone, live_server, "wang")
    phone.goto(f"{live_server.url}/no-such-page/")
    phone.get_by_role("link", name="返回工作首页").click()
    assert phone.url == f"{live_server.url}{WORKBENCH}"
