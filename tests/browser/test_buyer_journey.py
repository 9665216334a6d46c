"""Journey 1 (JOURNEYS.md): a buyer on her phone, brought by consultant Wang's link, browses the project,
its gallery, the VR tour, floor plan B and unit 3-1502, asks a question with an SMS code — and Wang's
workbench shows the new lead."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import consultation_fill, staff_login
from yunlou.accounts.models import User
from yunlou.catalogue.models import Project, Unit
from yunlou.crm.models import Consultation
from yunlou.demo.seed import seed_demo
from yunlou.showroom.services import share_code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13812345678"


@pytest.fixture
def demo(db):
    seed_demo(with_media=True)
    return Project.objects.get(name="云栖府")


def shot(page, artifacts_dir, name):
    page.screenshot(path=os.path.join(artifacts_dir, f"journey-{name}.png"))


def test_a_buyer_browses_and_asks_and_the_consultant_sees_the_lead(demo, live_server, phone, desktop,
                                                                    artifacts_dir):
    wang = User.objects.get(username="wang")
    code = share_code_for(owner=wang, project=demo).code
    unit = Unit.objects.get(building__project=demo, code="3-1502")

    # The forwarded link from Wang binds her to him.
    phone.goto(f"{live_server.url}/p/{demo.pk}/?s={code}")
    expect(phone.get_by_test_id("consultant-card")).to_contain_text("王磊")

    # list → project
    phone.get_by_role("link", name="全部楼盘").click()
    expect(phone.get_by_role("heading", name="云栖府")).to_be_visible()
    shot(phone, artifacts_dir, "01-list")
    phone.get_by_role("link", name="云栖府").first.click()
    expect(phone.locator(".hero h1")).to_contain_text("云栖府")
    expect(phone.get_by_test_id("consultant-card")).to_contain_text("王磊")
    shot(phone, artifacts_dir, "02-project")

    # gallery, full screen
    phone.locator("[data-gallery-index='1']").click()
    viewer = phone.locator("#gallery-viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator("img").nth(1)).to_have_js_property("complete", True)
    shot(phone, artifacts_dir, "03-gallery")
    viewer.get_by_role("button", name="关闭").click()
    expect(viewer).to_be_hidden()

    # VR tour: the panorama renders, and the door's hotspot leads into the bedroom
    phone.get_by_test_id("vr-entry").click()
    phone.wait_for_function("() => window.yunlouTour && window.yunlouTour.isLoaded()", timeout=20_000)
    assert phone.evaluate("yunlouTour.getScene()") == "living"
    assert phone.locator(".pnlm-render-container canvas").count() == 1
    hotspot = demo.panorama_scenes.get(key="living").hotspots.get()
    phone.evaluate(f"yunlouTour.lookAt({hotspot.pitch}, {hotspot.yaw}, 90, false)")
    phone.wait_for_timeout(300)
    shot(phone, artifacts_dir, "04-vr-living")
    phone.locator(".pnlm-hotspot-base.pnlm-scene").first.click()
    phone.wait_for_function("() => yunlouTour.getScene() === 'bedroom' && yunlouTour.isLoaded()", timeout=20_000)
    expect(phone.locator(".scene-tabs [aria-current='true']")).to_have_text("主卧")
    phone.wait_for_timeout(700)  # let the scene fade finish before the picture
    shot(phone, artifacts_dir, "05-vr-bedroom")

    # floor plan B, floors 10–20
    phone.get_by_role("link", name="返回项目").click()
    phone.locator(".plan-card", has_text="B户型").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("B户型")
    phone.get_by_label("起始楼层").fill("10")
    phone.get_by_label("结束楼层").fill("20")
    phone.get_by_role("button", name="筛选").click()
    expect(phone.locator('[data-code="3-1502"]')).to_have_attribute("data-status", "available")
    assert phone.locator('[data-code="3-0902"]').count() == 0
    shot(phone, artifacts_dir, "06-floor-plan")

    # unit 3-1502 and its mortgage
    phone.locator('[data-code="3-1502"]').click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("3-1502")
    expect(phone.get_by_test_id("unit-status")).to_contain_text("可售")
    shot(phone, artifacts_dir, "07-unit")
    phone.get_by_test_id("calculator-link").click()
    phone.get_by_label("首付比例（%）").fill("30")
    phone.get_by_text("组合贷款").click()
    phone.get_by_label("其中公积金贷款（元）").fill("1200000")
    phone.get_by_role("button", name="计算").click()
    expect(phone.get_by_test_id("mortgage-result")).to_contain_text("公积金")
    shot(phone, artifacts_dir, "08-mortgage")
    phone.go_back()

    # the consultation, with the SMS code
    form = consultation_fill(phone, name="李女士", phone=PHONE)
    saturday = timezone.localdate() + timedelta(days=(5 - timezone.localdate().weekday()) % 7 or 7)
    form.get_by_label("看房日期").fill(saturday.isoformat())
    form.get_by_label("时间").select_option("10:00")
    form.get_by_label("您想咨询的问题").fill("3-1502 还能优惠吗？")
    shot(phone, artifacts_dir, "09-consultation-form")
    form.get_by_role("button", name="提交").click()
    expect(phone.get_by_test_id("consultation-done")).to_contain_text("王磊")
    shot(phone, artifacts_dir, "10-consultation-done")

    consultation = Consultation.objects.get()
    assert consultation.unit == unit and consultation.consultant == wang
    assert timezone.localtime(consultation.preferred_visit_at).hour == 10
    assert consultation.customer.owner == wang  # (the demo has other customers: a broker brought one)

    # Wang's workbench, on his phone
    staff_login(desktop, live_server, "wang")
    desktop.set_viewport_size({"width": 375, "height": 812})
    desktop.goto(f"{live_server.url}/m/")
    expect(desktop.get_by_test_id("new-consultations")).to_have_text("1")
    desktop.goto(f"{live_server.url}/m/customers/")
    item = desktop.locator(".customer-item", has_text="李女士")
    expect(item.get_by_test_id("masked-phone")).to_have_text("138****5678")
    item.get_by_role("button", name="显示号码").click()
    expect(item.get_by_test_id("revealed-phone")).to_have_text(PHONE)
    shot(desktop, artifacts_dir, "11-workbench-customers")
    desktop.goto(f"{live_server.url}/m/notifications/")
    expect(desktop.get_by_test_id("notification-list")).to_contain_text("李女士 咨询了 3-1502")
    shot(desktop, artifacts_dir, "12-workbench-notifications")
    assert desktop.evaluate("document.documentElement.scrollWidth") <= 375
