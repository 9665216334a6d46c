"""The customer self check-in screen at the front desk: a tablet shows the office QR and draws a new one on its
own (htmx), each one opening the customer's check-in page with a token still valid, and goes to the login page
when its session ends; the desk's own page, on the receptionist's phone, carries the same renewing panel."""

import io
import os
from urllib.parse import parse_qs, urlparse

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, staff_login
from yunlou.brokers import views_staff
from yunlou.brokers.services.visits import check_in_token_valid
from yunlou.catalogue.models import Project
from yunlou.demo.seed import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"viewport": {"width": 1024, "height": 768}, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def _decoded(page, live_server, src: str) -> str:
    png = page.request.get(f"{live_server.url}{src}").body()
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return code.text


def test_the_check_in_screen_draws_a_new_working_qr_on_its_own(live_server, browser, artifacts_dir, monkeypatch):
    seed_demo(with_media=False)
    project = Project.objects.get(name="云栖府")
    monkeypatch.setattr(views_staff, "CHECK_IN_REFRESH_SECONDS", 2)  # five minutes in the office; seconds here
    tablet = browser.new_context(**TABLET).new_page()
    phone = browser.new_context(**PHONE).new_page()
    try:
        staff_login(tablet, live_server, "reception")
        tablet.goto(f"{live_server.url}/staff/brokers/desk/{project.pk}/check-in/")
        expect(tablet.get_by_test_id("check-in-screen")).to_contain_text("云栖府")
        image = tablet.get_by_test_id("check-in-qr").locator("img")
        first = image.get_attribute("src")
        expect(image).not_to_have_attribute("src", first, timeout=10_000)  # renewed without a reload
        renewed = image.get_attribute("src")
        link = urlparse(_decoded(tablet, live_server, renewed))
        assert link.path == f"/b/checkin/{project.pk}/"
        assert check_in_token_valid(project_id=project.pk, token=parse_qs(link.query)["t"][0])
        tablet.screenshot(path=os.path.join(artifacts_dir, "check-in-screen-tablet.png"))

        # The screen's session ends: the next renewal reloads the page onto the login form, rather than leaving
        # a dead code (or the login form squeezed into the QR's place).
        tablet.context.clear_cookies()
        tablet.wait_for_url(lambda url: "/accounts/login/" in url, timeout=10_000)
        expect(tablet.get_by_label("密码")).to_be_visible()
        assert tablet.get_by_test_id("check-in-qr").count() == 0

        # The customer scans it with his phone: the check-in page opens.
        phone.goto(f"{live_server.url}{link.path}?{link.query}")
        expect(phone.locator("body")).to_contain_text("签到")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375

        # The receptionist's own desk page on a phone: the same renewing panel, fitting the screen.
        staff_login(phone, live_server, "reception")
        phone.goto(f"{live_server.url}/staff/brokers/desk/{project.pk}/")
        panel = phone.get_by_test_id("check-in-qr").locator("img")
        before = panel.get_attribute("src")
        expect(panel).not_to_have_attribute("src", before, timeout=10_000)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        phone.screenshot(path=os.path.join(artifacts_dir, "check-in-desk-phone.png"), full_page=True)
    finally:
        tablet.context.close()
        phone.context.close()
