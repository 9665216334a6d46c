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


def test_manager_uploads_a_price_list_confirms_it_and_sees_the_price_history(
    demo, live_server, phone, desktop, artifacts_dir, tmp_path
):
    from decimal import ROUND_HALF_UP, Decimal

    from yunlou.catalogue.models import PriceListVersion
    from yunlou.catalogue.tests.sheets import xlsx

    tower = Unit.objects.filter(building__project__name="云栖府", building__number="8").first().building
    available = list(Unit.objects.filter(building=tower, status=UnitStatus.AVAILABLE).order_by("-floor", "position"))
    unit, *same = available[1:4]
    new_total = unit.list_price // 100 + 50_000  # yuan: a 5万 rise
    unit_price = (Decimal(new_total) / unit.area).quantize(Decimal("0.01"), ROUND_HALF_UP)

    def row(number, u, total, price):
        return [number, "8#楼", u.code.split("-")[1], u.floor_plan.name, f"{u.area:.2f}", f"{price:,.2f}",
                f"{total:,}", ""]

    sheet = xlsx(
        row(1, unit, new_total, unit_price),
        *[row(n, u, u.list_price // 100, Decimal(u.unit_price) / 100) for n, u in enumerate(same, start=2)],
        headers=["序号", "楼栋", "房号", "户型", "建筑面积（㎡）", "单价（元/㎡）", "总价（元）", "备注"],
        titles=["云栖府 8#楼 一房一价表（2026年11月）", "单位：元、㎡"],
    )
    path = tmp_path / "云栖府8号楼一房一价表.xlsx"
    path.write_bytes(sheet.getvalue())
    version_before = PriceListVersion.objects.filter(project=tower.project).order_by("-number").first().number

    staff_login(desktop, live_server, "manager")
    desktop.goto(f"{live_server.url}/staff/")
    card = desktop.locator("section.project-card", has_text="云栖府").first
    card.get_by_role("link", name="导入价格表").click()
    desktop.get_by_label("价格表（.xlsx、.xls 或 .csv）").set_input_files(str(path))
    desktop.get_by_role("button", name="检查并预览").click()

    expect(desktop.get_by_role("heading", level=1)).to_have_text("价格表预览")
    expect(desktop.get_by_test_id("count-repriced")).to_have_text("1")
    expect(desktop.get_by_test_id("count-unchanged")).to_have_text(str(len(same)))
    repriced = desktop.get_by_test_id("repriced")
    expect(repriced).to_contain_text(unit.code)
    expect(repriced).to_contain_text("+¥50,000")
    unit.refresh_from_db()
    assert unit.list_price == (new_total - 50_000) * 100  # nothing changed before the confirmation
    desktop.screenshot(path=os.path.join(artifacts_dir, "price-list-preview-desktop.png"), full_page=True)

    desktop.get_by_role("button", name="确认价格表").click()
    expect(desktop.get_by_role("heading", level=1)).to_have_text("价格表版本")
    expect(desktop.get_by_test_id("version").first).to_contain_text(f"V{version_before + 1}")
    unit.refresh_from_db()
    assert unit.list_price == new_total * 100

    staff_login(phone, live_server, "manager")
    phone.goto(f"{live_server.url}/staff/buildings/{tower.pk}/grid/")
    phone.locator(f'td[data-code="{unit.code}"]').get_by_role("link").click()
    history = phone.get_by_role("dialog").get_by_test_id("price-history")
    expect(history).to_contain_text(f"V{version_before + 1}")
    expect(history).to_contain_text(f"¥{new_total:,}")
    expect(history).to_contain_text("+¥50,000")
    phone.screenshot(path=os.path.join(artifacts_dir, "grid-phone-price-history.png"))


def test_a_building_with_two_entrances_reads_entrance_by_entrance(demo, live_server, phone, desktop, artifacts_dir):
    from yunlou.catalogue.models import Building, FloorPlan
    from yunlou.catalogue.services import building_generate_units

    project = Unit.objects.filter(building__project__name="云栖府").first().building.project
    plans = list(FloorPlan.objects.filter(project=project).order_by("sort_order")[:2])
    building = Building.objects.create(project=project, number="9", floors=14, units_per_floor=2, entrances=2,
                                       sort_order=9)
    layout = {1: plans[0], 2: plans[1]}
    building_generate_units(staff=None, building=building, floor_plans_by_position=layout,
                            entrances={1: layout, 2: layout}, price_per_sqm=3_200_000)
    Unit.objects.filter(building=building, floor__gt=12).delete()  # the top floors are not priced yet

    for page, name in ((phone, "phone"), (desktop, "desktop")):
        staff_login(page, live_server, "manager")
        page.goto(f"{live_server.url}/staff/buildings/{building.pk}/grid/")
        expect(page.get_by_test_id("building-facts")).to_contain_text("共14层")
        expect(page.get_by_test_id("building-facts")).to_contain_text("2个单元")
        header = page.locator("table.unit-grid thead")
        expect(header).to_contain_text("1单元")
        expect(header).to_contain_text("2单元")
        assert page.locator("table.unit-grid tbody tr").count() == 14
        first_row = page.locator("table.unit-grid tbody tr").nth(2).locator("td[data-code]")
        assert [first_row.nth(i).get_attribute("data-code") for i in range(4)] == [
            "9-1-1201", "9-1-1202", "9-2-1201", "9-2-1202"]
        legend = page.get_by_role("list", name="图例")
        for label in ("可售", "已锁定", "已认购", "已签约", "不可售"):
            expect(legend).to_contain_text(label)
        assert "在售" not in page.locator("main").inner_text()
        if name == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.locator("table.unit-grid").scroll_into_view_if_needed()
        page.screenshot(path=os.path.join(artifacts_dir, f"grid-entrances-{name}.png"))


def test_price_list_pages_at_phone_width(demo, live_server, phone, artifacts_dir, tmp_path):
    """A bad sheet's errors, a preview offering a floor plan, versions and permits: within 375 px, and every
    tap target at least 44 px (the rule of test_tap_targets)."""
    from tests.browser.test_tap_targets import MINIMUM, SMALL_TARGETS
    from yunlou.catalogue.tests.sheets import xlsx

    def fits(page):
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.evaluate(SMALL_TARGETS, MINIMUM) == []

    project = Unit.objects.filter(building__project__name="云栖府").first().building.project
    bad = tmp_path / "有错的价格表.xlsx"
    bad.write_bytes(xlsx(["8#楼", "3903", "C户型", 105, "3,832,100", "32,000.00"],
                         ["9#楼", "0101", "C户型", 105, "3,000,000", ""],
                         headers=["楼栋", "房号", "户型", "建筑面积", "总价", "单价"],
                         titles=["云栖府 一房一价表（2026年11月）"]).getvalue())
    new_plan = tmp_path / "新户型.xlsx"
    new_plan.write_bytes(xlsx(["1#楼", "0101", "F户型", "四室两厅两卫", 143, "5,200,000"],
                              headers=["楼栋", "房号", "户型", "户型结构", "建筑面积", "总价"]).getvalue())

    staff_login(phone, live_server, "manager")
    phone.goto(f"{live_server.url}/staff/projects/{project.pk}/price-list/")
    phone.get_by_label("价格表（.xlsx、.xls 或 .csv）").set_input_files(str(bad))
    phone.get_by_role("button", name="检查并预览").click()
    errors = phone.get_by_test_id("import-errors")
    expect(errors).to_contain_text("总价(元)")
    expect(errors).to_contain_text("公示价格只能有一个")
    expect(errors).to_contain_text("楼栋")
    fits(phone)
    phone.screenshot(path=os.path.join(artifacts_dir, "price-list-errors-phone.png"), full_page=True)

    Unit.objects.filter(building__project=project, building__number="1", floor=1, position=1).delete()
    phone.get_by_label("价格表（.xlsx、.xls 或 .csv）").set_input_files(str(new_plan))
    phone.get_by_role("button", name="检查并预览").click()
    expect(phone.get_by_test_id("count-created")).to_have_text("1")
    expect(phone.get_by_test_id("confirm-form")).to_contain_text("F户型")
    fits(phone)
    phone.screenshot(path=os.path.join(artifacts_dir, "price-list-preview-phone.png"), full_page=True)
    phone.get_by_role("button", name="确认价格表").click()
    expect(phone.get_by_role("alert").first).to_contain_text("F户型")  # not ticked: refused, naming the plan
    phone.get_by_label("新建户型 F户型").check()
    phone.get_by_role("button", name="确认价格表").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("价格表版本")
    assert Unit.objects.get(building__project=project, code="1-0101").floor_plan.layout_label == "4室2厅2卫"
    fits(phone)
    phone.screenshot(path=os.path.join(artifacts_dir, "price-list-versions-phone.png"), full_page=True)

    phone.goto(f"{live_server.url}/staff/projects/{project.pk}/permits/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("预售许可证")
    fits(phone)
    phone.screenshot(path=os.path.join(artifacts_dir, "presale-permits-phone.png"), full_page=True)
