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
