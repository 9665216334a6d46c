"""Uploading price lists as sales offices really send them: the preview finds the table, reads every spelling,
checks every row, and changes nothing."""

import io
import zipfile
from decimal import Decimal

import pytest

from yunlou.catalogue.models import PriceListDraft, PriceListVersion, Unit, UnitStatus
from yunlou.catalogue.services import price_list_upload
from yunlou.catalogue.tests.factories import BuildingFactory, building_with_units
from yunlou.catalogue.tests.sheets import HEADERS, csv_file, xls, xlsx
from yunlou.core.errors import Forbidden, ImportRejected, NotFound

TITLE = "云栖府 3#楼 一房一价表（2026年11月）"
FULL_HEADERS = ["序号", "楼栋", "单元", "房号", "楼层", "户型", "户型结构", "朝向", "建筑面积（㎡）", "套内面积（㎡）",
                "单价(元/㎡)", "总价（元）", "备注"]


def prices(building) -> dict[str, int]:
    return dict(building.units.values_list("code", "list_price"))


def preview(manager, project, file, name="一房一价.xlsx") -> PriceListDraft:
    return price_list_upload(staff=manager, project_id=project.pk, file=file, file_name=name)


def rejected(manager, project, file, name="一房一价.xlsx") -> list[dict]:
    with pytest.raises(ImportRejected) as error:
        preview(manager, project, file, name)
    return error.value.details


def changed(draft) -> dict[str, tuple[int, int]]:
    return {c["code"]: (c["before"]["list_price"], c["after"]["list_price"]) for c in draft.plan["changed"]
            if c["price_changed"]}


@pytest.fixture
def tower(project, plans):
    """Building 5 with two entrances (单元), 6 floors, 2 units per floor in each."""
    return building_with_units(project=project, number="5", floors=6, units_per_floor=2, plans=plans, entrances=2)


def test_a_sheet_with_merged_title_rows_and_extra_columns_is_read_and_nothing_changes(project, building, manager):
    before = prices(building)
    draft = preview(manager, project, xlsx(
        [1, "3#楼", "", "0101", "1层", "A户型", "2室2厅1卫", "南", 76, "60.00", "30,263.16", "2,300,000", "边套"],
        [2, "3#楼", "", "0102", 1, "B户型", "3室2厅2卫", "南北", "89.00", 70.5, 30000, 2_670_000, None],
        ["合计", None, None, None, None, None, None, None, 165, None, None, 4_970_000, None],
        ["注：本表价格为毛坯交付价格，以网签合同为准。"],
        headers=FULL_HEADERS, titles=[TITLE, "单位：元、㎡"]))
    assert draft.plan["header_row"] == 3
    assert changed(draft) == {"3-0101": (228_000_000, 230_000_000)}
    detail = draft.plan["changed"][0]
    assert detail["after"]["unit_price"] == 3_026_316
    assert detail["after"]["net_area"] == "60.00" and detail["after"]["note"] == "边套"
    # 3-0102 keeps its price; the sheet adds its net area
    details_only = draft.plan["changed"][1]
    assert (details_only["code"], details_only["price_changed"], details_only["after"]["net_area"]) == (
        "3-0102", False, "70.50")
    assert draft.plan["unchanged"] == 0
    # nothing changes until a manager confirms
    assert prices(building) == before
    assert not PriceListVersion.objects.filter(project=project, number__gt=1).exists()


@pytest.mark.parametrize("written", ["3", "3#", "3#楼", "3号楼", "3幢", "3栋", "3座", "３＃楼", "三号楼"])
def test_every_way_of_writing_the_building_is_understood(project, building, manager, written):
    draft = preview(manager, project, xlsx([written, "0101", "A户型", 76, 2_300_000]))
    assert changed(draft) == {"3-0101": (228_000_000, 230_000_000)}


def test_the_buildings_own_name_is_understood(project, building, manager):
    building.name = "观澜阁"
    building.save()
    draft = preview(manager, project, xlsx(["观澜阁", "0101", "A户型", 76, 2_300_000]))
    assert changed(draft) == {"3-0101": (228_000_000, 230_000_000)}


@pytest.mark.parametrize("code", ["0101", "101", "3-0101", "3#0101", "3#-0101", "3号楼101", "3-101", "０１０１"])
def test_unit_codes_with_or_without_the_building(project, building, manager, code):
    draft = preview(manager, project, xlsx(["3", code, "A户型", 76, 2_300_000]))
    assert changed(draft) == {"3-0101": (228_000_000, 230_000_000)}


@pytest.mark.parametrize("code", ["3-0101", "3#0101", "3幢101", "3号楼0101"])
def test_a_code_carrying_its_building_needs_no_building_column(project, building, manager, code):
    draft = preview(manager, project, xlsx([code, "A户型", 76, 2_300_000], headers=HEADERS[1:]))
    assert changed(draft) == {"3-0101": (228_000_000, 230_000_000)}


def test_the_building_in_the_title_serves_when_the_sheet_has_no_building_column(project, building, tower, manager):
    draft = preview(manager, project, xlsx(["0101", "A户型", 76, 2_300_000], headers=HEADERS[1:], titles=[TITLE]))
    assert changed(draft) == {"3-0101": (228_000_000, 230_000_000)}


@pytest.mark.parametrize("row, headers", [
    (["5幢2单元1201"], ["房号"]),
    (["5#2单元0301"], ["房号"]),
    (["5-2-0301"], ["房号"]),
    (["5", "2单元0301"], ["楼栋", "房号"]),
    (["5", "2-0301"], ["楼栋", "房号"]),
    (["5栋", "2", "0301"], ["楼栋", "单元", "房号"]),
    (["5", "2单元", "301"], ["楼栋", "单元", "房号"]),
    (["5号楼", "二单元", "0301"], ["楼栋", "单元", "房号"]),
])
def test_entrances_are_read_from_codes_and_columns(project, tower, manager, row, headers):
    floor = 12 if "1201" in row[0] else 3
    if floor == 12:  # the tower has 6 floors: 1201 would be a new unit above them
        tower.floors = 12
        tower.save()
    draft = preview(manager, project, xlsx([*row, "B户型", 89, 2_700_000], headers=[*headers, *HEADERS[2:]]))
    code = f"5-2-{floor:02d}01"
    if floor == 12:
        assert [(c["code"], c["entrance"], c["floor"], c["position"]) for c in draft.plan["created"]] == [
            (code, 2, 12, 1)]
    else:
        assert list(changed(draft)) == [code]


def test_a_building_with_entrances_needs_the_entrance(project, tower, manager):
    details = rejected(manager, project, xlsx(["5", "0301", "A户型", 76, 2_300_000]))
    assert [(d["row"], d["column"]) for d in details] == [(2, "房号")]
    assert "单元" in details[0]["message"]


def test_entrance_in_the_code_and_in_its_column_must_agree(project, tower, manager):
    details = rejected(manager, project, xlsx(["5", "1", "5-2-0301", "A户型", 76, 2_300_000],
                                              headers=["楼栋", "单元", *HEADERS[1:]]))
    assert [(d["row"], d["column"]) for d in details] == [(2, "单元")]


def test_the_floor_column_must_agree_with_the_code(project, building, manager):
    details = rejected(manager, project, xlsx(["3", "0201", 3, "B户型", 89, 2_700_000],
                                              headers=["楼栋", "房号", "楼层", *HEADERS[2:]]))
    assert [(d["row"], d["column"], d["cell"]) for d in details] == [(2, "楼层", "C2")]


@pytest.mark.parametrize("total", [2_300_000, 2_300_000.0, "2,300,000", "¥2,300,000.00", "￥2,300,000", "2300000元",
                                   "230万", "２，３００，０００", " 2 300 000 "])
def test_totals_as_numbers_or_text_with_separators(project, building, manager, total):
    draft = preview(manager, project, xlsx(["3", "3-0101", "A户型", 76, total]))
    assert changed(draft) == {"3-0101": (228_000_000, 230_000_000)}


def test_totals_under_a_header_in_wan(project, building, manager):
    draft = preview(manager, project, xlsx(["3", "3-0101", "A户型", 76, 230.5],
                                           headers=["楼栋", "房号", "户型", "面积", "总价（万元）"]))
    assert changed(draft) == {"3-0101": (228_000_000, 230_500_000)}


def test_a_unit_price_that_does_not_give_the_total_is_a_row_error_naming_both(project, building, manager):
    details = rejected(manager, project, xlsx(
        ["3", "3-0101", "A户型", 76, 30_000, 2_300_000],   # 30,000 × 76 = 2,280,000 ≠ 2,300,000
        headers=["楼栋", "房号", "户型", "建筑面积", "单价(元/㎡)", "总价(元)"]))
    assert [(d["row"], d["column"]) for d in details] == [(2, "总价(元)")]
    assert "¥30,000" in details[0]["message"] and "¥2,300,000" in details[0]["message"]


@pytest.mark.parametrize("unit_price, total", [
    (30263, 2_300_000),          # written to the yuan: 30,263 × 76 = 2,299,988, within 76 × ¥0.5
    ("30263.16", 2_300_000),     # written to the fen: 2,300,000.16, within the total's rounding
    (30263.157895, 2_300_000),
])
def test_a_unit_price_within_rounding_of_the_total_is_accepted_and_stored(project, building, manager,
                                                                          unit_price, total):
    draft = preview(manager, project, xlsx(["3", "3-0101", "A户型", 76, unit_price, total],
                                           headers=["楼栋", "房号", "户型", "建筑面积", "单价", "总价"]))
    after = draft.plan["changed"][0]["after"]
    assert after["list_price"] == 230_000_000
    assert after["unit_price"] == round(Decimal(str(unit_price)) * 100)


def test_the_tolerance_follows_the_precision_of_the_unit_price(project, building, manager):
    # 30263.00 written to the fen claims 30,263.00 exactly: 30,263 × 76 = 2,299,988 is ¥12 off 2,300,000.
    details = rejected(manager, project, xlsx(["3", "3-0101", "A户型", 76, "30263.00", 2_300_000],
                                              headers=["楼栋", "房号", "户型", "建筑面积", "单价", "总价"]))
    assert details[0]["column"] == "总价(元)"


def test_net_area_larger_than_gross_area_is_a_row_error(project, building, manager):
    details = rejected(manager, project, xlsx(["3", "3-0101", "A户型", 76, 80, 2_280_000],
                                              headers=["楼栋", "房号", "户型", "建筑面积", "套内面积", "总价"]))
    assert [(d["row"], d["column"]) for d in details] == [(2, "套内面积(㎡)")]


def test_a_legacy_xls_with_a_merged_title_is_read(project, building, manager):
    draft = preview(manager, project, xls(["3#楼", "0101", "A户型", 76, "2,300,000"],
                                          ["3#楼", "0102", "B户型", 89, 2.7e6], titles=[TITLE]), name="价格表.xls")
    assert changed(draft) == {"3-0101": (228_000_000, 230_000_000), "3-0102": (267_000_000, 270_000_000)}
    assert draft.plan["format"] == "xls"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_in_gbk_or_utf8_is_read(project, building, manager, encoding):
    draft = preview(manager, project, csv_file(["3号楼", "3-0101", "A户型", "76.00", "2,300,000"], titles=[TITLE],
                                               encoding=encoding), name="价格表.csv")
    assert changed(draft) == {"3-0101": (228_000_000, 230_000_000)}
    assert draft.plan["format"] == "csv"


def test_a_csv_in_neither_encoding_is_refused(project, building, manager):
    details = rejected(manager, project, io.BytesIO("楼栋,房号\n".encode("utf-16")), name="a.csv")
    assert details[0]["row"] is None


def test_new_units_within_the_building_are_offered_and_floor_plans_offered_for_creation(project, plans, manager):
    building = BuildingFactory(project=project, number="9", floors=30, units_per_floor=4)
    draft = preview(manager, project, xlsx(
        ["9", "9-1203", "C户型", "4室2厅2卫", "南", 120, 100, 3_600_000],
        ["9", "9-1204", "C户型", "", "", 121, None, 3_630_000],
        ["9", "9-1201", "B户型", "", "", 89, None, 2_670_000],
        headers=["楼栋", "房号", "户型", "户型结构", "朝向", "建筑面积", "套内面积", "总价"]))
    assert [(u["code"], u["floor"], u["position"], u["floor_plan"]) for u in draft.plan["created"]] == [
        ("9-1203", 12, 3, "C户型"), ("9-1204", 12, 4, "C户型"), ("9-1201", 12, 1, "B户型")]
    assert draft.plan["floor_plans"] == [{"name": "C户型", "rooms": 4, "halls": 2, "bathrooms": 2, "net_area": "100.00",
                                          "orientation": "S", "rows": [2, 3], "gross_area": "120.00"}]
    assert not building.units.exists()


def test_a_layout_in_the_floor_plan_cell_is_read(project, building, manager):
    Unit.objects.filter(building=building).delete()
    draft = preview(manager, project, xlsx(["3", "0101", "D户型（三室两厅两卫）", 99, 3_000_000]))
    offer = draft.plan["floor_plans"][0]
    assert (offer["name"], offer["rooms"], offer["halls"], offer["bathrooms"]) == ("D户型", 3, 2, 2)


def test_new_units_must_fit_the_building_and_the_error_names_the_limit(project, tower, manager):
    details = rejected(manager, project, xlsx(
        ["5", "1", "0701", "A户型", 76, 2_300_000],   # floor 7 of 6
        ["5", "3", "0101", "A户型", 76, 2_300_000],   # entrance 3 of 2
        ["5", "1", "0103", "A户型", 76, 2_300_000],   # position 03 of 2
        headers=["楼栋", "单元", *HEADERS[1:]]))
    found = {(d["row"], d["column"]) for d in details}
    assert found == {(2, "房号"), (3, "单元"), (4, "房号")}
    messages = {d["row"]: d["message"] for d in details}
    assert "6" in messages[2] and "2" in messages[3] and "2" in messages[4]


def test_every_bad_row_is_reported_with_row_column_and_cell_and_nothing_is_stored(project, building, manager):
    before = prices(building)
    details = rejected(manager, project, xlsx(
        ["3", "3-0101", "A户型", 76, 2_000_000],        # row 3: fine on its own
        ["7", "7-0101", "A户型", 76, 2_000_000],        # row 4: unknown building
        ["3", "3-0101", "A户型", 76, 2_100_000],        # row 5: duplicate of row 3
        ["3", "3-0102", "B户型", 89, -5],               # row 6: negative price
        ["3", "3-0201", "B户型", 89, "两百万"],          # row 7: not a number
        ["3", "3-0202", "B户型", "eighty", 2_000_000],  # row 8: bad area
        ["3", "3-9901", "B户型", 89, 2_000_000],        # row 9: floor 99 does not exist
        ["3", "3-0301", "B户型", None, None],           # row 10: area and total missing
        titles=[TITLE]))
    found = {(d["row"], d["column"]) for d in details}
    assert found == {(4, "楼栋"), (5, "房号"), (6, "总价(元)"), (7, "总价(元)"), (8, "建筑面积(㎡)"), (9, "房号"),
                     (10, "建筑面积(㎡)"), (10, "总价(元)")}
    assert {d["cell"] for d in details if d["row"] == 6} == {"E6"}
    duplicate = next(d["message"] for d in details if d["row"] == 5)
    assert "3-0101" in duplicate and "3" in duplicate
    assert [d["row"] for d in details] == sorted(d["row"] for d in details)
    assert prices(building) == before
    assert not PriceListDraft.objects.exists()


def test_wrong_headers_name_the_missing_columns(project, building, manager):
    details = rejected(manager, project, xlsx(["3", "3-0101", 2_280_000], headers=["楼栋", "房号", "价格"]))
    assert {d["column"] for d in details} == {"建筑面积(㎡)", "总价(元)"}
    assert all(d["row"] == 1 for d in details)


def test_a_sheet_without_any_header_row_is_refused(project, building, manager):
    details = rejected(manager, project, xlsx(["3", "3-0101", 2_280_000], headers=None, titles=["随便写写"]))
    assert details[0]["row"] is None and "房号" in details[0]["message"]


def test_headers_without_rows_are_refused(project, building, manager):
    details = rejected(manager, project, xlsx(titles=[TITLE]))
    assert details[0]["row"] == 3


@pytest.mark.parametrize("content, name", [
    (b"", "a.xlsx"), (b"PK\x03\x04 broken zip", "a.xlsx"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1broken", "a.xls"),
    (b"not a workbook", "a.xlsx"), (b"\x00\x01\x02binary", "a.bin"),
])
def test_a_file_that_cannot_be_read_is_refused_whole(project, building, manager, content, name):
    details = rejected(manager, project, io.BytesIO(content), name)
    assert len(details) == 1 and details[0]["row"] is None


def test_a_workbook_with_a_damaged_sheet_is_refused(project, building, manager):
    good = xlsx(["3", "3-0101", "A户型", 76, 2_000_000]).getvalue()
    source, damaged = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data[: len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data)
    damaged.seek(0)
    details = rejected(manager, project, damaged)
    assert ".xlsx" in details[0]["message"]


def test_a_file_over_5_mb_is_refused_before_it_is_read(project, building, manager):
    details = rejected(manager, project, io.BytesIO(b"x" * (5 * 1024 * 1024 + 1)), "big.csv")
    assert "5 MB" in details[0]["message"]


def test_a_sheet_with_more_rows_than_allowed_is_refused(project, building, manager, settings):
    from yunlou.catalogue.services.price_list import reading

    rows = [["3", f"3-{floor:02d}01", "A户型", 76, 2_000_000] for floor in range(1, 6)]
    original = reading.MAX_ROWS
    reading.MAX_ROWS = 3
    try:
        details = rejected(manager, project, xlsx(*rows))
    finally:
        reading.MAX_ROWS = original
    assert "3" in details[0]["message"]


@pytest.mark.parametrize("price", ["1E+999999", "1e-999999999", True, "NaN", "-0"])
def test_absurd_numbers_are_row_errors(project, building, manager, price):
    details = rejected(manager, project, xlsx(["3", "3-0101", "A户型", 76, price]))
    assert details[0]["column"] == "总价(元)"


def test_the_price_of_a_subscribed_unit_cannot_change(project, building, manager):
    Unit.objects.filter(building=building, code="3-0101").update(status=UnitStatus.SUBSCRIBED)
    details = rejected(manager, project, xlsx(["3", "3-0101", "A户型", 76, 1]))
    assert [(d["row"], d["column"]) for d in details] == [(2, "总价(元)")]
    assert "3-0101" in details[0]["message"] and "已认购" in details[0]["message"]


def test_consultants_and_receptionists_cannot_upload(project, building, consultant):
    from yunlou.accounts.tests.factories import make_staff

    receptionist = make_staff(role="receptionist", organization=project.organization, projects=[project])
    for staff in (consultant, receptionist):
        with pytest.raises(Forbidden):
            preview(staff, project, xlsx(["3", "3-0101", "A户型", 76, 1]))


def test_another_organisations_manager_cannot_upload(project, building, outsider):
    with pytest.raises(NotFound):
        preview(outsider, project, xlsx(["3", "3-0101", "A户型", 76, 1]))


def test_a_second_building_of_the_same_project_is_told_apart(project, plans, building, manager):
    other = building_with_units(project=project, number="8", floors=2, units_per_floor=2, plans=plans)
    draft = preview(manager, project, xlsx(["8栋", "0101", "A户型", 76, 2_300_000]))
    assert [c["unit_id"] for c in draft.plan["changed"]] == [other.units.get(code="8-0101").pk]


def test_the_table_is_found_on_the_first_sheet_that_has_one_and_its_name_gives_the_building(
    project, building, tower, manager
):
    from openpyxl import Workbook

    workbook = Workbook()
    cover = workbook.active
    cover.title = "说明"
    cover.append(["本价格表经物价部门备案，杭售许字(2026)第000321号"])
    sheet = workbook.create_sheet("3#楼")
    sheet.append(["房号", "户型", "建筑面积", "总价"])
    sheet.append(["0101", "A户型", 76, 2_300_000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    draft = preview(manager, project, buffer)
    assert changed(draft) == {"3-0101": (228_000_000, 230_000_000)}


def test_a_title_naming_a_permit_number_still_gives_the_building(project, building, tower, manager):
    title = "云栖府 3#楼 一房一价表 预售许可证：杭售许字(2026)第000321号"
    draft = preview(manager, project, xlsx(["0101", "A户型", 76, 2_300_000], headers=HEADERS[1:], titles=[title]))
    assert changed(draft) == {"3-0101": (228_000_000, 230_000_000)}


def test_without_any_building_the_row_says_which_is_missing(project, building, tower, manager):
    details = rejected(manager, project, xlsx(["0101", "A户型", 76, 2_300_000], headers=HEADERS[1:]))
    assert [(d["row"], d["column"]) for d in details] == [(2, "房号")]
    assert "楼栋" in details[0]["message"]


@pytest.mark.parametrize("content, name", [(xlsx(headers=None).getvalue(), "空白.xlsx"), ("楼栋".encode(), "a.csv")])
def test_a_file_without_a_price_table_is_refused_whole(project, building, manager, content, name):
    details = rejected(manager, project, io.BytesIO(content), name)
    assert details[0]["row"] is None and "房号" in details[0]["message"]


def test_a_csv_with_too_few_columns_names_the_missing_ones(project, building, manager):
    details = rejected(manager, project, io.BytesIO(b"building,unit\n3,3-0101\n"), "a.csv")
    assert {(d["row"], d["column"]) for d in details} == {(1, "建筑面积(㎡)"), (1, "总价(元)")}


def test_a_total_to_the_fen_is_kept_to_the_fen(project, building, manager):
    draft = preview(manager, project, xlsx(["3号楼", "3-0102", "B户型", "89.00", "2,670,000.50"]))
    after = draft.plan["changed"][0]["after"]
    assert (after["list_price"], after["unit_price"]) == (267_000_050, 3_000_001)
