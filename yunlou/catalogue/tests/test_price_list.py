import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.catalogue.services import price_list_export, price_list_import
from yunlou.core.errors import Forbidden, ImportRejected
from yunlou.core.models import AuditLog

HEADERS = ["楼栋", "房号", "户型", "建筑面积(㎡)", "总价(元)"]


def xlsx(*rows, headers=HEADERS) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    if headers is not None:
        sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def prices(building) -> dict[str, int]:
    return dict(building.units.values_list("code", "list_price"))


def rejected(manager, project, file) -> list[dict]:
    with pytest.raises(ImportRejected) as error:
        price_list_import(staff=manager, project_id=project.pk, file=file)
    return error.value.details


def test_import_updates_prices_creates_new_units_and_audits(project, building, manager):
    result = price_list_import(staff=manager, project_id=project.pk, file=xlsx(
        ["3", "3-0101", "A户型", 76, 2_290_000],
        ["3号楼", "3-0102", "B户型", "89.00", "2,670,000.50"],
        ["3", "3-0201", "B户型", 89, 2_700_000],
    ), file_name="调价.xlsx")
    assert (result.created, result.updated) == (0, 3)
    unit = Unit.objects.get(building=building, code="3-0102")
    assert unit.list_price == 267_000_050
    assert unit.unit_price == 3_000_001  # fen per m²
    assert Unit.objects.get(building=building, code="3-0201").floor_plan.name == "B户型"
    entry = AuditLog.objects.get(action="price_list.import")
    assert entry.changes["updated"]["3-0101"]["list_price"] == [228_000_000, 229_000_000]
    assert entry.changes["file"] == "调价.xlsx"
    project.refresh_from_db()
    assert project.price_min == min(prices(building).values())


def test_a_new_code_within_the_building_creates_a_unit_off_sale(project, plans, manager):
    from yunlou.catalogue.tests.factories import BuildingFactory

    building = BuildingFactory(project=project, number="9", floors=30, units_per_floor=4)
    result = price_list_import(staff=manager, project_id=project.pk, file=xlsx(["9", "9-1203", "B户型", 89, 2_900_000]))
    assert result.created == 1
    unit = building.units.get()
    assert (unit.floor, unit.position, unit.status) == (12, 3, UnitStatus.NOT_FOR_SALE)


def test_wrong_headers_name_the_missing_columns(project, building, manager):
    before = prices(building)
    details = rejected(manager, project, xlsx(["3", "3-0101", 2_280_000], headers=["楼栋", "房号", "价格"]))
    assert {d["column"] for d in details} == {"户型", "建筑面积(㎡)", "总价(元)"}
    assert all(d["row"] == 1 for d in details)
    assert prices(building) == before


def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_imported(project, building, manager):
    before = prices(building)
    details = rejected(manager, project, xlsx(
        ["3", "3-0101", "A户型", 76, 2_000_000],        # row 2: fine on its own
        ["7", "7-0101", "A户型", 76, 2_000_000],        # row 3: unknown building
        ["3", "3-0101", "A户型", 76, 2_100_000],        # row 4: duplicate of row 2
        ["3", "3-0102", "B户型", 89, -5],               # row 5: negative price
        ["3", "3-0201", "B户型", 89, "两百万"],          # row 6: not a number
        ["3", "3-0202", "Z户型", "eighty", 2_000_000],  # row 7: unknown plan and bad area
        ["3", "3-9901", "B户型", 89, 2_000_000],        # row 8: floor 99 does not exist
    ))
    found = {(d["row"], d["column"]) for d in details}
    assert found == {(3, "楼栋"), (4, "房号"), (5, "总价(元)"), (6, "总价(元)"), (7, "户型"), (7, "建筑面积(㎡)"),
                     (8, "房号")}
    duplicate = next(d["message"] for d in details if d["row"] == 4)
    assert "3-0101" in duplicate and "2" in duplicate
    assert prices(building) == before
    assert not AuditLog.objects.filter(action="price_list.import").exists()


def test_an_empty_workbook_is_refused(project, building, manager):
    details = rejected(manager, project, xlsx(headers=None))
    assert details[0]["row"] == 1


def test_headers_without_rows_are_refused(project, building, manager):
    details = rejected(manager, project, xlsx())
    assert details[0]["row"] == 2


@pytest.mark.parametrize("content", [b"", b"building,unit\n3,3-0101\n", b"PK\x03\x04 broken zip", "楼栋".encode()])
def test_a_file_that_is_not_xlsx_is_refused(project, building, manager, content):
    details = rejected(manager, project, io.BytesIO(content))
    assert details[0]["row"] is None
    assert ".xlsx" in details[0]["message"]


def test_the_price_of_a_subscribed_unit_cannot_change(project, building, manager):
    Unit.objects.filter(building=building, code="3-0101").update(status=UnitStatus.SUBSCRIBED)
    details = rejected(manager, project, xlsx(["3", "3-0101", "A户型", 76, 1]))
    assert details == [{"row": 2, "column": "总价(元)", "message": details[0]["message"]}]
    assert "3-0101" in details[0]["message"]


def test_consultants_cannot_import(project, building, consultant):
    with pytest.raises(Forbidden):
        price_list_import(staff=consultant, project_id=project.pk, file=xlsx(["3", "3-0101", "A户型", 76, 1]))


def test_export_lists_every_unit_and_imports_back_unchanged(project, building, manager):
    content = price_list_export(staff=manager, project_id=project.pk).content
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:5]) == HEADERS
    assert len(rows) == 1 + building.units.count()
    result = price_list_import(staff=manager, project_id=project.pk, file=io.BytesIO(content))
    assert (result.created, result.updated, result.unchanged) == (0, 0, building.units.count())


def test_the_import_page_lists_row_errors_without_a_server_error(client, project, building, manager):
    client.force_login(manager.user)
    upload = SimpleUploadedFile("prices.xlsx", xlsx(["3", "3-0101", "A户型", 76, -1]).getvalue())
    response = client.post(f"/staff/projects/{project.pk}/price-list/", {"file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert "总价(元)" in page and "<td>2</td>" in page


def test_the_import_page_accepts_a_good_file(client, project, building, manager):
    client.force_login(manager.user)
    upload = SimpleUploadedFile("prices.xlsx", xlsx(["3", "3-0101", "A户型", 76, 2_222_200]).getvalue())
    response = client.post(f"/staff/projects/{project.pk}/price-list/", {"file": upload}, follow=True)
    assert response.status_code == 200
    assert Unit.objects.get(building=building, code="3-0101").list_price == 222_220_000


def test_the_import_page_without_a_file_says_so(client, project, manager):
    client.force_login(manager.user)
    response = client.post(f"/staff/projects/{project.pk}/price-list/", {})
    assert response.status_code == 400


def test_a_workbook_with_a_damaged_sheet_is_refused(project, building, manager):
    import zipfile

    good = xlsx(["3", "3-0101", "A户型", 76, 2_000_000]).getvalue()
    source, damaged = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data[: len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data)
    damaged.seek(0)
    details = rejected(manager, project, damaged)
    assert ".xlsx" in details[0]["message"]


@pytest.mark.parametrize("price", ["1E+999999", "1e-999999999", True])
def test_absurd_numbers_are_row_errors(project, building, manager, price):
    details = rejected(manager, project, xlsx(["3", "3-0101", "A户型", 76, price]))
    assert details[0]["column"] == "总价(元)"


def test_the_advertised_price_range_leaves_out_units_held_back_from_sale(project, building, manager):
    from yunlou.catalogue.services import project_refresh_price_range

    cheapest = building.units.order_by("list_price").first()
    Unit.objects.filter(pk=cheapest.pk).update(status=UnitStatus.NOT_FOR_SALE, list_price=100)
    project_refresh_price_range(project=project)
    project.refresh_from_db()
    assert project.price_min > 100
