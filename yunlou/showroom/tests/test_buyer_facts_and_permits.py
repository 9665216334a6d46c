"""What buyers look for (facts, news, permits, published prices) and the one status vocabulary they read."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from yunlou.catalogue.models import (
    STATUS_COLOURS,
    Decoration,
    NewsCategory,
    ProjectNews,
    Unit,
    UnitStatus,
)
from yunlou.catalogue.services import unit_status_change
from yunlou.catalogue.tests.factories import building_with_units
from yunlou.core.errors import Conflict

WORDS = {"available": "可售", "held": "已锁定", "subscribed": "已认购", "signed": "已签约", "not_for_sale": "不可售"}


@pytest.fixture
def facts(showroom):
    showroom.developer = "杭州云栖置业有限公司"
    showroom.property_company = "绿城物业服务集团有限公司"
    showroom.property_fee = Decimal("3.80")
    showroom.plot_ratio = Decimal("2.80")
    showroom.green_ratio = Decimal("35.0")
    showroom.parking_ratio = "1:1.2"
    showroom.property_right_years = 70
    showroom.decoration = Decoration.FURNISHED
    showroom.opening_date = datetime.date(2025, 9, 28)
    showroom.delivery_date = datetime.date(2027, 6, 30)
    showroom.save()
    now = timezone.now()
    for days, title in ((30, "样板间开放"), (7, "5号楼取得预售许可证"), (2, "线上开盘安排"), (1, "3号楼封顶")):
        ProjectNews.objects.create(project=showroom, title=title, category=NewsCategory.OTHER,
                                   published_at=now - datetime.timedelta(days=days))
    ProjectNews.objects.create(project=showroom, title="草稿", published_at=now, is_published=False)
    return showroom


@pytest.fixture
def unpermitted(showroom, plans):
    """A building awaiting its presale permit (待取证), units not for sale."""
    return building_with_units(project=showroom, number="9", floors=3, units_per_floor=2, plans=plans,
                               status=UnitStatus.NOT_FOR_SALE, permit=False)


def test_the_project_page_lists_the_facts_buyers_compare(client, facts):
    page = client.get(f"/p/{facts.pk}/").content.decode()
    for text in ("开发商", "杭州云栖置业有限公司", "物业公司", "绿城物业服务集团有限公司", "物业费", "3.80元/㎡·月",
                 "容积率", "2.80", "绿化率", "35%", "车位比", "1:1.2", "产权年限", "70年", "装修标准", "精装修",
                 "开盘时间", "2025-09-28", "交房时间", "2027-06"):
        assert text in page, text


def test_the_project_page_shows_the_latest_news_with_dates_and_a_page_of_all_news(client, facts):
    page = client.get(f"/p/{facts.pk}/").content.decode()
    news = page[page.index('data-testid="news"'):]
    assert news.index("3号楼封顶") < news.index("线上开盘安排") < news.index("5号楼取得预售许可证")
    assert "样板间开放" not in page and "草稿" not in page  # three newest, published only
    all_news = client.get(f"/p/{facts.pk}/news/").content.decode()
    assert "样板间开放" in all_news and "草稿" not in all_news
    assert (timezone.localdate() - datetime.timedelta(days=30)).isoformat() in all_news


def test_the_project_and_building_pages_show_the_permit_number(client, showroom, building):
    permit = building.presale_permit
    assert permit.number in client.get(f"/p/{showroom.pk}/").content.decode()
    page = client.get(f"/p/{showroom.pk}/buildings/{building.pk}/").content.decode()
    assert permit.number in page and f"/p/{showroom.pk}/buildings/{building.pk}/prices/" in page


def test_a_building_without_a_permit_shows_permit_pending_instead_of_prices(client, showroom, building, unpermitted):
    project_page = client.get(f"/p/{showroom.pk}/").content.decode()
    row = project_page[project_page.index(f"/buildings/{unpermitted.pk}/"):][:300]
    assert "待取证" in row
    page = client.get(f"/p/{showroom.pk}/buildings/{unpermitted.pk}/").content.decode()
    assert "待取证" in page and 'data-reason="no_permit"' in page
    assert "万" not in page.split('data-testid="status-legend"')[1].split("</table>")[0]  # no price in any cell
    assert client.get(f"/p/{showroom.pk}/buildings/{unpermitted.pk}/prices/").status_code == 404


def test_units_of_a_building_without_a_permit_cannot_go_on_sale_and_stay_hidden(client, showroom, manager,
                                                                                  unpermitted):
    from yunlou.accounts.staff import staff_for

    unit = unpermitted.units.first()
    with pytest.raises(Conflict, match="预售许可证"):
        unit_status_change(staff=staff_for(manager.user), unit_id=unit.pk, to_status=UnitStatus.AVAILABLE)
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.NOT_FOR_SALE
    # even a unit marked available by hand in the database is not shown to buyers without a permit
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.AVAILABLE)
    assert client.get(f"/p/{showroom.pk}/units/{unit.pk}/").status_code == 404
    listed = client.get(f"/api/v1/units?project_id={showroom.pk}&page_size=100").json()["items"]
    assert unit.pk not in {item["id"] for item in listed}


def test_the_published_price_list_shows_every_unit_of_the_building_with_its_price(client, showroom, building):
    Unit.objects.filter(building=building, code="3-0101").update(status=UnitStatus.NOT_FOR_SALE)
    Unit.objects.filter(building=building, code="3-0202").update(status=UnitStatus.SIGNED)
    page = client.get(f"/p/{showroom.pk}/buildings/{building.pk}/prices/").content.decode()
    assert building.presale_permit.number in page
    for unit in building.units.all():
        row = page[page.index(f'data-code="{unit.code}"'):].split("</tr>")[0]
        assert f"¥{unit.list_price // 100:,}" in row and WORDS[unit.status] in row


def test_the_building_page_shows_every_floor_and_every_status_in_one_vocabulary(client, showroom, building):
    statuses = ["available", "held", "subscribed", "signed", "not_for_sale"]
    for unit, status in zip(building.units.order_by("pk"), statuses, strict=False):
        Unit.objects.filter(pk=unit.pk).update(status=status)
    page = client.get(f"/p/{showroom.pk}/buildings/{building.pk}/").content.decode()
    legend = page[page.index('data-testid="status-legend"'):].split("</ul>")[0]
    for status, word in WORDS.items():
        assert f'data-status="{status}"' in legend and f"s-{status}" in legend and word in legend
    grid = page[page.index('class="unit-grid'):].split("</table>")[0]
    assert re.findall(r'<th scope="row">(\d+)F</th>', grid) == ["4", "3", "2", "1"]  # all 4 floors, top down
    assert "共4层" in page or "4层" in page
    assert "在售" not in page.replace(showroom.get_status_display(), "")


def test_an_empty_floor_is_still_a_row_so_the_floor_count_matches(client, showroom, building):
    Unit.objects.filter(building=building, floor=2).delete()
    page = client.get(f"/p/{showroom.pk}/buildings/{building.pk}/").content.decode()
    grid = page[page.index('class="unit-grid'):].split("</table>")[0]
    assert re.findall(r'<th scope="row">(\d+)F</th>', grid) == ["4", "3", "2", "1"]


@pytest.mark.parametrize(("statuses", "reason"), [
    ({"not_for_sale"}, "not_released"),
    ({"signed", "subscribed"}, "sold_out"),
    ({"held", "signed"}, "taken_for_now"),
])
def test_a_building_with_nothing_available_says_why(client, showroom, building, statuses, reason):
    for unit, status in zip(building.units.order_by("pk"), sorted(statuses) * 8, strict=False):
        Unit.objects.filter(pk=unit.pk).update(status=status)
    page = client.get(f"/p/{showroom.pk}/buildings/{building.pk}/").content.decode()
    assert f'data-reason="{reason}"' in page


def test_a_building_with_entrances_groups_its_columns_by_entrance(client, showroom, plans):
    tower = building_with_units(project=showroom, number="11", floors=2, units_per_floor=2, plans=plans,
                                entrances=2)
    page = client.get(f"/p/{showroom.pk}/buildings/{tower.pk}/").content.decode()
    assert 'colspan="2" class="entrance-head">1单元<' in page and 'colspan="2" class="entrance-head">2单元<' in page
    assert 'data-code="11-2-0201"' in page
    unit = tower.units.get(code="11-2-0201")
    assert "2单元" in client.get(f"/p/{showroom.pk}/units/{unit.pk}/").content.decode()


def test_the_unit_page_gives_exact_price_net_area_orientation_and_floor_of_total(client, showroom, building):
    unit = building.units.get(code="3-0202")
    Unit.objects.filter(pk=unit.pk).update(net_area=Decimal("70.10"), list_price=268_765_400)
    page = client.get(f"/p/{showroom.pk}/units/{unit.pk}/").content.decode()
    assert "总价" in page and "¥2,687,654" in page
    assert "套内面积" in page and "70.10㎡" in page
    assert "南北通透" in page
    assert "第2层 / 共4层" in page
    assert building.presale_permit.number in page


def test_lists_write_totals_in_wan_with_one_decimal(client, showroom, plans, building):
    Unit.objects.filter(building=building, code="3-0202").update(list_price=286_000_000)
    page = client.get(f"/p/{showroom.pk}/plans/{plans[1].pk}/").content.decode()
    assert "286.0万" in page
    assert "286.0万" in client.get(f"/p/{showroom.pk}/buildings/{building.pk}/").content.decode()


def test_the_api_speaks_the_same_vocabulary_and_gives_permits_and_facts(client, facts, building, unpermitted):
    Unit.objects.filter(building=building, code="3-0101").update(status=UnitStatus.HELD)
    units = client.get(f"/api/v1/units?project_id={facts.pk}&page_size=100").json()["items"]
    assert {u["status"]: u["status_label"] for u in units} == {"available": "可售", "held": "已锁定"}
    buildings = {b["number"]: b for b in client.get(f"/api/v1/projects/{facts.pk}/buildings").json()}
    assert buildings["3"]["presale_permit"] == building.presale_permit.number
    assert buildings["9"]["presale_permit"] is None and buildings["9"]["entrances"] == 1
    detail = client.get(f"/api/v1/projects/{facts.pk}").json()["facts"]
    assert detail["developer"] == "杭州云栖置业有限公司" and detail["decoration_label"] == "精装修"
    assert detail["presale_permits"] == [{"number": building.presale_permit.number, "issued_on": "2026-10-08",
                                          "authority": "杭州市住房保障和房产管理局", "building_ids": [building.pk]}]
    news = client.get(f"/api/v1/projects/{facts.pk}/news").json()["items"]
    assert [n["title"] for n in news][:2] == ["3号楼封顶", "线上开盘安排"] and "草稿" not in str(news)


def test_status_colours_in_python_are_the_stylesheets():
    css = (Path(__file__).resolve().parents[2] / "static" / "yunlou" / "css" / "app.css").read_text()
    declared = dict(re.findall(r"--(available|held|subscribed|signed|not_for_sale):\s*(#[0-9a-f]{6})", css))
    assert declared == {status: colour for status, colour in STATUS_COLOURS.items()}
    assert [str(status.label) for status in UnitStatus] == [WORDS[status.value] for status in UnitStatus]
