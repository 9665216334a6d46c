"""A manager opens the sales control grid on a phone and on a desktop, reads it, and takes a unit off sale."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import staff_login
from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.core.models import AuditLog
from yunlou.demo.seed import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    seed_demo(with_media=False)


def test_manager_reads_the_grid_and_takes_a_unit_off_sale(demo, live_server, phone, desktop, artifacts_dir):
    tower = Unit.objects.filter(building__project__name="云栖府", building__number="8").first().building
    unit = Unit.objects.filter(building=tower, status=UnitStatus.AVAILABLE).order_by("-floor", "position").first()

    staff_login(phone, live_server, "manager")
    phone.get_by_role("link", name="8号楼").first.click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("销控表")

    legend = phone.get_by_role("list", name="图例")
    for label in ("不可售", "可售", "已锁定", "已认购", "已签约"):
        expect(legend).to_contain_text(label)
    assert phone.locator("td.cell[data-code]").count() == 320
    cell = phone.locator(f'td[data-code="{unit.code}"]')
    expect(cell).to_have_attribute("data-status", "available")
    expect(cell).to_contain_text("可售")
    # the page fits the phone: the grid scrolls inside its own box, the page does not scroll sideways
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=os.path.join(artifacts_dir, "grid-phone.png"))

    cell.get_by_role("link").click()
    dialog = phone.get_by_role("dialog")
    expect(dialog).to_contain_text(unit.code)
    dialog.get_by_label("新状态").select_option("not_for_sale")
    dialog.get_by_label("原因").fill("开发商预留")
    phone.screenshot(path=os.path.join(artifacts_dir, "grid-phone-dialog.png"))
    dialog.get_by_role("button", name="保存").click()
    expect(phone.locator(f'td[data-code="{unit.code}"]')).to_have_attribute("data-status", "not_for_sale")
    expect(dialog).to_be_hidden()

    unit.refresh_from_db()
    assert unit.status == UnitStatus.NOT_FOR_SALE
    assert AuditLog.objects.filter(action="unit.status_change", target_id=str(unit.pk), note="开发商预留").exists()

    staff_login(desktop, live_server, "manager")
    desktop.goto(f"{live_server.url}/staff/buildings/{tower.pk}/grid/?status=available")
    expect(desktop.locator("td.cell.dim").first).to_be_visible()
    desktop.screenshot(path=os.path.join(artifacts_dir, "grid-desktop.png"), full_page=False)
