"""A broker's share link on phones (全民经纪): a friend opens the link 赵师傅 posted, leaves her number with an SMS code
and is told her visit code; 赵师傅 finds her among his reports, marked as come by his link, with only the last four
digits of her number."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, consultation_fill
from yunlou.accounts.sms import ConsoleSmsBackend
from yunlou.brokers.models import Broker, Referral, ReferralStatus
from yunlou.catalogue.models import Project
from yunlou.demo.seed import DEMO_BROKER, seed_demo
from yunlou.showroom.services import share_code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRIEND = "13566667788"


def test_a_visitor_by_the_brokers_link_is_reported_for_him(live_server, browser, artifacts_dir):
    seed_demo(with_media=False)
    project = Project.objects.get(name="云栖府")
    zhao = Broker.objects.get(organization=project.organization, real_name=DEMO_BROKER.name)
    link = share_code_for(owner=zhao.user, project=project).code
    friend_context, broker_context = browser.new_context(**PHONE), browser.new_context(**PHONE)
    friend, broker = friend_context.new_page(), broker_context.new_page()
    try:
        friend.goto(f"{live_server.url}/p/{project.pk}/?s={link}")
        consultation_fill(friend, name="孙女士", phone=FRIEND).get_by_role("button", name="提交").click()
        expect(friend.get_by_test_id("consultation-done")).to_be_visible()
        referral = Referral.objects.get(broker=zhao, via_link=True)
        assert referral.status == ReferralStatus.REPORTED and referral.phone == FRIEND
        expect(friend.get_by_test_id("visit-code")).to_contain_text(referral.visit_code)
        assert friend.evaluate("document.documentElement.scrollWidth") <= 375
        friend.get_by_test_id("visit-code").scroll_into_view_if_needed()
        friend.screenshot(path=os.path.join(artifacts_dir, "referral-link-consultation-done-phone.png"))

        # 赵师傅 logs in with his SMS code and finds her, masked, marked as come by his link.
        broker.goto(f"{live_server.url}/b/")
        login = broker.get_by_test_id("broker-login")
        login.locator("input[name=phone]").fill(DEMO_BROKER.phone)
        login.locator("button[value=send]").click()
        expect(broker.get_by_test_id("code-sent")).to_be_visible()
        login = broker.get_by_test_id("broker-login")
        login.locator("input[name=code]").fill(ConsoleSmsBackend.last_code(DEMO_BROKER.phone))
        login.locator("button[value=login]").click()
        broker.goto(f"{live_server.url}/b/reports/")
        row = broker.get_by_test_id("referral").filter(has_text="孙女士")
        expect(row).to_contain_text("*******7788")
        expect(row.get_by_test_id("via-link")).to_have_text("经您的链接")
        assert FRIEND not in broker.content()
        assert broker.evaluate("document.documentElement.scrollWidth") <= 375
        broker.screenshot(path=os.path.join(artifacts_dir, "referral-link-broker-reports-phone.png"))
    finally:
        friend_context.close()
        broker_context.close()
