"""A manager lets buyers in by batches (分批选房) on a phone: freezes the list, sets the batches, reads them."""

import datetime
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import staff_login
from yunlou.catalogue.models import Project, Unit, UnitStatus
from yunlou.demo.seed import seed_demo
from yunlou.launch.models import EntryOrder, Launch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_sets_batches_of_the_lottery_order_on_a_phone(live_server, phone, artifacts_dir):
    seed_demo(with_media=False)
    project = Project.objects.get(name="云栖府")
    starts = timezone.now() + datetime.timedelta(days=2)
    launch = Launch.objects.create(project=project, name="二期分批开盘", starts_at=starts,
                                   ends_at=starts + datetime.timedelta(hours=3), entry_order=EntryOrder.BATCHES)
    assert Unit.objects.filter(building__project=project, status=UnitStatus.AVAILABLE).exists()

    staff_login(phone, live_server, "manager")
    phone.goto(f"{live_server.url}/staff/launches/{launch.pk}/")
    section = phone.get_by_test_id("batches")
    expect(section).to_contain_text("请先冻结资格名单")
    phone.get_by_role("button", name="冻结资格名单").click()
    form = phone.get_by_test_id("batches-form")
    form.get_by_label("每批人数").fill("1")
    form.get_by_label("每批选房时长（分钟）").fill("30")
    form.get_by_label("批次间隔（分钟）").fill("10")
    form.get_by_role("button", name="设置批次").click()
    table = phone.get_by_test_id("batch-table")
    expect(table.locator("tbody tr")).to_have_count(launch.entries.count())
    expect(table).to_contain_text("1–1")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    section.scroll_into_view_if_needed()
    phone.screenshot(path=os.path.join(artifacts_dir, "launch-batches-phone.png"), full_page=True)
    batches = list(launch.batches.order_by("number"))
    assert batches[1].starts_at - batches[0].starts_at == datetime.timedelta(minutes=40)


def test_finance_records_a_counter_deposit_on_a_phone(live_server, phone, artifacts_dir):
    from yunlou.launch.models import Order, Pledge
    from yunlou.launch.services import unit_claim
    from yunlou.launch.tests.factories import token_of

    seed_demo(with_media=False)
    launch = Launch.objects.get(project__name="云栖府")
    pledge = Pledge.objects.filter(project=launch.project, entries__launch=launch).order_by("number").first()
    unit = launch.launch_units.filter(is_reserved=False).first().unit
    order = unit_claim(launch_id=launch.pk, pledge=pledge, token=token_of(launch, unit))

    staff_login(phone, live_server, "finance")
    phone.goto(f"{live_server.url}/staff/launches/{launch.pk}/payments/")
    form = phone.get_by_test_id("counter-payment")
    form.get_by_label("收款方式").select_option("counter_transfer")
    form.get_by_label("刷卡凭条号或转账流水号").fill("ICBC-20261127-8812")
    form.get_by_role("button", name="登记收款").click()
    expect(phone.get_by_test_id("payments")).to_contain_text("ICBC-20261127-8812")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=os.path.join(artifacts_dir, "launch-payments-phone.png"), full_page=True)
    assert Order.objects.get(pk=order.pk).deposit_paid_at is not None
