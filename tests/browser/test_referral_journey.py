"""Journey 2 on phones (全民经纪 → 报备 → 带看 → 佣金): a broker signs up from a consultant's invite, the channel
manager approves him, he reports a customer with a masked number, the receptionist scans the visit code and
confirms, the broker sees 已到访; the customer subscribes in a launch and the broker's commission appears. His
personal poster is a PNG whose QR code is his own link."""

import datetime
import io
import os
import re
from urllib.parse import urlparse

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, staff_login
from yunlou.accounts.models import User
from yunlou.accounts.sms import ConsoleSmsBackend
from yunlou.accounts.staff import staff_for
from yunlou.brokers.models import Broker, CommissionEntry, Referral, ReferralStatus
from yunlou.brokers.services.brokers import invite_for
from yunlou.catalogue.models import Project, UnitStatus
from yunlou.demo.seed import seed_demo
from yunlou.launch.services import unit_claim
from yunlou.launch.services.orders import order_subscription_form_sign
from yunlou.launch.tests.factories import id_number_for, launch_make, pledge_make, token_of
from yunlou.launch.tests.test_contract_signing import signature_data_url
from yunlou.payments.models import PaymentChannel
from yunlou.payments.services import payment_record_counter
from yunlou.showroom.models import ShareCode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROKER_PHONE = "13600001234"
CUSTOMER_PHONE = "13566663388"


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_broker_brings_a_customer_from_sign_up_to_commission_on_phones(live_server, browser, artifacts_dir):
    seed_demo(with_media=False)
    project = Project.objects.get(name="云栖府")
    wang = User.objects.get(username="wang")
    invite = invite_for(user=wang, organization=project.organization)
    contexts = [browser.new_context(**PHONE) for _ in range(3)]
    broker, channel, desk = (context.new_page() for context in contexts)
    try:
        # The broker opens the consultant's invite on his phone and signs up with an SMS code.
        broker.goto(f"{live_server.url}/b/join/{invite.code}/")
        expect(broker.get_by_test_id("inviter")).to_contain_text(wang.display_name)
        form = broker.get_by_test_id("join-form")
        form.locator("input[name=phone]").fill(BROKER_PHONE)
        form.locator("button[value=send]").click()
        expect(broker.get_by_test_id("code-sent")).to_be_visible()
        form = broker.get_by_test_id("join-form")
        form.locator("input[name=code]").fill(ConsoleSmsBackend.last_code(BROKER_PHONE))
        form.locator("input[name=real_name]").fill("赵强")
        form.locator("button[value=join]").click()
        expect(broker.get_by_test_id("awaiting-approval")).to_be_visible()
        _fits_the_phone(broker)
        zhao = Broker.objects.get(real_name="赵强")
        assert zhao.upline == wang

        # The channel manager approves him.
        staff_login(channel, live_server, "channel")
        channel.goto(f"{live_server.url}/staff/brokers/?status=pending")
        row = channel.get_by_test_id("brokers").locator("tr", has_text="赵强")
        row.get_by_role("button", name="审核通过").click()
        expect(channel.get_by_test_id("brokers").locator("tr", has_text="赵强")).to_contain_text("正常")
        channel.screenshot(path=os.path.join(artifacts_dir, "referral-channel-brokers-phone.png"), full_page=True)

        # He reports 周先生 in the project's masked form, visit tomorrow afternoon.
        broker.goto(f"{live_server.url}/b/")
        report = broker.get_by_test_id("report-form")
        report.locator("select[name=project]").select_option(str(project.pk))
        report.locator("input[name=customer_name]").fill("周先生")
        report.locator("input[name=phone]").fill("135****3388")
        tomorrow = timezone.localtime() + datetime.timedelta(days=1)
        report.locator("input[name=intended_visit_at]").fill(tomorrow.replace(hour=15, minute=0).strftime(
            "%Y-%m-%dT%H:%M"))
        report.get_by_role("button", name="报备").click()
        referral = Referral.objects.get(broker=zhao, customer_name="周先生")
        assert referral.status == ReferralStatus.REPORTED and referral.phone == ""  # a masked report keeps no number
        broker.goto(f"{live_server.url}/b/reports/{referral.pk}/")
        expect(broker.get_by_text(referral.visit_code)).to_be_visible()
        _fits_the_phone(broker)
        broker.screenshot(path=os.path.join(artifacts_dir, "referral-broker-report-phone.png"), full_page=True)
        # The QR he sends the customer opens the desk's page for this code.
        qr_png = broker.request.get(f"{live_server.url}/b/reports/{referral.pk}/qr.png").body()
        [scanned] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png)))
        scanned_path = urlparse(scanned.text).path
        assert scanned_path == f"/staff/brokers/desk/code/{referral.visit_code}/"

        # Tomorrow: 周先生 arrives and shows the code; the receptionist scans it and types his number.
        Referral.objects.filter(pk=referral.pk).update(reported_at=referral.reported_at - datetime.timedelta(days=1))
        staff_login(desk, live_server, "reception")
        desk.goto(f"{live_server.url}{scanned_path}")
        desk.locator("input[name=phone]").fill(CUSTOMER_PHONE)
        desk.get_by_role("button", name="确认到访").click()
        expect(desk.locator(".messages")).to_contain_text("周先生")
        _fits_the_phone(desk)
        desk.screenshot(path=os.path.join(artifacts_dir, "referral-desk-confirmed-phone.png"), full_page=True)
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.VISITED

        broker.goto(f"{live_server.url}/b/reports/")
        expect(broker.locator("body")).to_contain_text("已到访")

        # Weeks later he subscribes in a launch: form signed on his phone, deposit paid at the counter.
        unit = project.buildings.order_by("number").first().units.filter(status=UnitStatus.AVAILABLE).first()
        pledge = pledge_make(project, name="周先生", phone=CUSTOMER_PHONE, id_number=id_number_for(987),
                             number="ZX00001")
        launch = launch_make(project, units=[unit], pledges=[pledge], name="加推")
        order = unit_claim(launch_id=launch.pk, pledge=pledge, token=token_of(launch, unit))
        order_subscription_form_sign(pledge=pledge, order_id=order.pk, signature=signature_data_url())
        finance = staff_for(User.objects.get(username="finance"))
        payment_record_counter(staff=finance, reference=f"order:{order.pk}", amount_fen=launch.deposit,
                               channel=PaymentChannel.COUNTER_POS, voucher="POS-20261127-01")
        direct = CommissionEntry.objects.get(referral=referral, level=1)
        assert direct.amount == order.price * 50 // 10_000  # the demo's 0.5 %
        assert CommissionEntry.objects.get(referral=referral, level=2).beneficiary == wang

        broker.goto(f"{live_server.url}/b/commissions/")
        yuan = f"{direct.amount // 100:,}"
        expect(broker.locator("body")).to_contain_text(yuan)
        expect(broker.locator("body")).to_contain_text("待确认")
        _fits_the_phone(broker)
        broker.screenshot(path=os.path.join(artifacts_dir, "referral-broker-commissions-phone.png"), full_page=True)
        broker.goto(f"{live_server.url}/b/reports/")
        expect(broker.locator("body")).to_contain_text("已认购")

        # His personal poster: Chinese on the project's image, and a QR code of his own link.
        poster = broker.request.get(f"{live_server.url}/promo/{project.pk}/poster.png")
        assert poster.headers["content-type"] == "image/png"
        path = os.path.join(artifacts_dir, "referral-poster.png")
        with open(path, "wb") as file:
            file.write(poster.body())
        image = Image.open(path)
        assert image.size == (750, 1334)
        links = [code.text for code in zxingcpp.read_barcodes(image)]
        share = ShareCode.objects.get(owner=zhao.user, project=project)
        assert any(re.search(rf"/p/{project.pk}/\?s={share.code}$", link) for link in links), links
    finally:
        for context in contexts:
            context.close()
