"""The consultant a buyer sees is the one who calls back (issue 6, item 7): a visitor who came without anyone's
link is given a consultant by the rotation once; that card stays on every page, and the consultation goes
to that consultant, whose workbench shows it."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import consultation_fill
from yunlou.accounts.models import User
from yunlou.catalogue.models import Project
from yunlou.crm.models import Consultation
from yunlou.crm.services import consultant_rotation_next
from yunlou.demo.seed import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13812340001"


@pytest.fixture
def demo(db):
    seed_demo(with_media=False)
    return Project.objects.get(name="云栖府")


def test_a_visitor_without_a_link_keeps_one_consultant_who_gets_the_consultation(demo, live_server, phone, desktop,
                                                                                  artifacts_dir):
    phone.goto(f"{live_server.url}/p/{demo.pk}/")
    card = phone.get_by_test_id("consultant-card")
    consultant = User.objects.get(pk=int(card.get_attribute("data-consultant")))
    name = consultant.display_name
    expect(card).to_contain_text(name)

    plan = demo.floor_plans.get(name="B户型")
    for path in (f"/p/{demo.pk}/plans/{plan.pk}/", f"/p/{demo.pk}/calculator/", f"/p/{demo.pk}/"):
        # other buyers arrive meanwhile and move the rotation on
        consultant_rotation_next(project=demo)
        phone.goto(live_server.url + path)
        expect(phone.get_by_test_id("consultant-card")).to_contain_text(name)
        assert int(phone.get_by_test_id("consultant-card").get_attribute("data-consultant")) == consultant.pk
    phone.screenshot(path=os.path.join(artifacts_dir, "rotation-card-project.png"), full_page=False)

    consultation_fill(phone, name="赵女士", phone=PHONE).get_by_role("button", name="提交").click()
    done = phone.get_by_test_id("consultation-done")
    expect(done).to_contain_text(name)
    phone.screenshot(path=os.path.join(artifacts_dir, "rotation-card-consultation-done.png"))
    assert Consultation.objects.get().consultant == consultant

    desktop.set_viewport_size({"width": 375, "height": 812})
    desktop.goto(f"{live_server.url}/accounts/login/?next=/m/consultations/")
    desktop.get_by_label("用户名或手机号").fill(consultant.username)
    desktop.get_by_label("密码").fill("demo12345")
    desktop.get_by_role("button", name="登录").click()
    desktop.wait_for_url(f"{live_server.url}/m/consultations/")
    expect(desktop.get_by_test_id("consultation-list")).to_contain_text("赵女士")
    expect(desktop.locator("body")).to_contain_text(name)  # whose workbench this is
    desktop.screenshot(path=os.path.join(artifacts_dir, "rotation-card-workbench.png"))
