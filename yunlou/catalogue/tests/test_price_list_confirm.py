"""Confirming a previewed price list: all or nothing, as a new version, refused when the preview is stale."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from yunlou.catalogue.models import FloorPlan, PriceListDraftStatus, PriceListVersion, Unit, UnitStatus
from yunlou.catalogue.services import price_list_confirm, price_list_discard, price_list_export, price_list_upload
from yunlou.catalogue.services.price_list import Layout
from yunlou.catalogue.tests.factories import BuildingFactory
from yunlou.catalogue.tests.sheets import xlsx
from yunlou.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from yunlou.core.models import AuditLog


def prices(building) -> dict[str, int]:
    return dict(building.units.values_list("code", "list_price"))


def upload(staff, project, *rows, headers=None, name="调价.xlsx"):
    kwargs = {"headers": headers} if headers else {}
    return price_list_upload(staff=staff, project_id=project.pk, file=xlsx(*rows, **kwargs), file_name=name)


def test_confirming_applies_every_change_as_a_new_version_with_its_price_changes(project, building, manager):
    draft = upload(manager, project, ["3", "3-0101", "A户型", 76, 2_290_000], ["3", "3-0102", "B户型", 89, 2_670_000])
    version = price_list_confirm(staff=manager, draft_id=draft.pk)

    assert version.number == 2 and version.created_by == manager.user
    assert (version.file_name, version.file_sha256) == ("调价.xlsx", draft.file_sha256)
    assert (version.created_units, version.changed_units, version.unchanged_units) == (0, 1, 1)
    change = version.changes.get()
    assert (change.unit.code, change.old_list_price, change.new_list_price) == ("3-0101", 228_000_000, 229_000_000)
    assert change.old_unit_price == 3_000_000 and change.new_unit_price == Unit.price_per_sqm(229_000_000, 76)
    assert Unit.objects.get(building=building, code="3-0101").list_price == 229_000_000
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (PriceListDraftStatus.CONFIRMED, version)
    project.refresh_from_db()
    assert project.price_min == min(prices(building).values())
    entry = AuditLog.objects.get(action="price_list.confirm")
    assert entry.changes["version"] == 2 and entry.changes["updated"] == 1 and entry.actor == manager.user


def test_nothing_changes_until_the_confirmation(project, building, manager):
    before = prices(building)
    upload(manager, project, ["3", "3-0101", "A户型", 76, 2_290_000])
    assert prices(building) == before
    assert PriceListVersion.objects.filter(project=project).count() == 1


def test_a_preview_made_stale_by_someone_elses_import_is_refused_and_changes_nothing(project, building, manager):
    mine = upload(manager, project, ["3", "3-0101", "A户型", 76, 2_290_000])
    theirs = upload(manager, project, ["3", "3-0102", "B户型", 89, 2_680_000])
    price_list_confirm(staff=manager, draft_id=theirs.pk)
    before = prices(building)

    with pytest.raises(Conflict) as error:
        price_list_confirm(staff=manager, draft_id=mine.pk)
    assert error.value.code == "stale_preview" and "V2" in error.value.message
    assert prices(building) == before
    assert PriceListVersion.objects.filter(project=project).count() == 2
    mine.refresh_from_db()
    assert mine.status == PriceListDraftStatus.PREVIEW


@pytest.mark.parametrize("move", [
    lambda unit: Unit.objects.filter(pk=unit.pk).update(list_price=1_000_000),
    lambda unit: Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.HELD),
    lambda unit: Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.NOT_FOR_SALE),
])
def test_a_unit_that_moved_since_the_preview_makes_it_stale(project, building, manager, move):
    draft = upload(manager, project, ["3", "3-0101", "A户型", 76, 2_290_000], ["3", "3-0102", "B户型", 89, 2_680_000])
    unit = building.units.get(code="3-0101")
    move(unit)
    other_before = building.units.get(code="3-0102").list_price
    with pytest.raises(Conflict) as error:
        price_list_confirm(staff=manager, draft_id=draft.pk)
    assert "3-0101" in error.value.message
    assert building.units.get(code="3-0102").list_price == other_before


def test_a_new_unit_whose_place_was_taken_since_the_preview_makes_it_stale(project, plans, manager):
    building = BuildingFactory(project=project, number="9", floors=30, units_per_floor=4)
    draft = upload(manager, project, ["9", "9-1203", "B户型", 89, 2_900_000])
    Unit.objects.create(building=building, floor=12, position=3, code="9-1203", area=89, list_price=1, unit_price=1)
    with pytest.raises(Conflict):
        price_list_confirm(staff=manager, draft_id=draft.pk)
    assert building.units.count() == 1


def test_a_preview_is_confirmed_only_once(project, building, manager):
    draft = upload(manager, project, ["3", "3-0101", "A户型", 76, 2_290_000])
    price_list_confirm(staff=manager, draft_id=draft.pk)
    with pytest.raises(Conflict):
        price_list_confirm(staff=manager, draft_id=draft.pk)
    assert PriceListVersion.objects.filter(project=project).count() == 2


def test_new_floor_plans_are_created_only_when_ticked(project, plans, manager):
    building = BuildingFactory(project=project, number="9", floors=30, units_per_floor=4)
    draft = upload(manager, project, ["9", "9-1203", "C户型", "4室2厅2卫", 120, 3_600_000],
                   ["9", "9-1204", "D户型", "", 130, 3_900_000],
                   headers=["楼栋", "房号", "户型", "户型结构", "建筑面积", "总价"])
    with pytest.raises(ValidationFailed) as error:
        price_list_confirm(staff=manager, draft_id=draft.pk)
    assert "C户型" in error.value.message and "D户型" in error.value.message and "3" in error.value.message
    with pytest.raises(ValidationFailed) as error:  # D户型's layout is not in the sheet and not given
        price_list_confirm(staff=manager, draft_id=draft.pk, floor_plans={"C户型": None, "D户型": None})
    assert "D户型" in error.value.message
    assert not building.units.exists() and not FloorPlan.objects.filter(name__in=["C户型", "D户型"]).exists()

    version = price_list_confirm(staff=manager, draft_id=draft.pk,
                                 floor_plans={"C户型": None, "D户型": Layout(4, 2, 3)})
    c_plan, d_plan = FloorPlan.objects.get(name="C户型"), FloorPlan.objects.get(name="D户型")
    assert (c_plan.layout_label, c_plan.gross_area) == ("4室2厅2卫", 120)
    assert d_plan.layout_label == "4室2厅3卫"
    assert {u.code: u.floor_plan for u in building.units.all()} == {"9-1203": c_plan, "9-1204": d_plan}
    assert all(u.status == UnitStatus.NOT_FOR_SALE for u in building.units.all())
    assert version.created_units == 2 and version.changes.filter(old_list_price__isnull=True).count() == 2


def test_a_file_that_matches_the_prices_has_nothing_to_confirm(project, building, manager):
    draft = upload(manager, project, ["3", "3-0101", "A户型", 76, 2_280_000])
    assert draft.plan["unchanged"] == 1
    with pytest.raises(Conflict):
        price_list_confirm(staff=manager, draft_id=draft.pk)


def test_discarding_a_preview_changes_nothing_and_it_cannot_be_confirmed_after(project, building, manager):
    before = prices(building)
    draft = upload(manager, project, ["3", "3-0101", "A户型", 76, 2_290_000])
    price_list_discard(staff=manager, draft_id=draft.pk)
    with pytest.raises(Conflict):
        price_list_confirm(staff=manager, draft_id=draft.pk)
    assert prices(building) == before
    assert AuditLog.objects.filter(action="price_list.discard").count() == 1


def test_only_managers_of_the_project_confirm(project, building, manager, consultant, outsider):
    draft = upload(manager, project, ["3", "3-0101", "A户型", 76, 2_290_000])
    with pytest.raises(Forbidden):
        price_list_confirm(staff=consultant, draft_id=draft.pk)
    with pytest.raises(NotFound):
        price_list_confirm(staff=outsider, draft_id=draft.pk)
    with pytest.raises(NotFound):
        price_list_discard(staff=outsider, draft_id=draft.pk)


def test_confirming_locks_the_units_before_it_updates_them(project, building, manager):
    draft = upload(manager, project, ["3", "3-0102", "B户型", 89, 2_680_000], ["3", "3-0101", "A户型", 76, 2_290_000])
    with CaptureQueriesContext(connection) as captured:
        price_list_confirm(staff=manager, draft_id=draft.pk)
    statements = [q["sql"] for q in captured]
    select = next(i for i, sql in enumerate(statements) if 'FROM "catalogue_unit"' in sql and "IN" in sql)
    update = next(i for i, sql in enumerate(statements) if sql.startswith('UPDATE "catalogue_unit"'))
    assert select < update
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in statements[select] and 'ORDER BY "catalogue_unit"."id"' in statements[select]


def test_the_export_has_a_title_row_and_imports_back_unchanged(project, building, manager):
    Unit.objects.filter(building=building, code="3-0101").update(note="=HYPERLINK(\"http://x\")", net_area=60)
    content = price_list_export(staff=manager, project_id=project.pk).content
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert project.name in rows[0][0] and "V1" in rows[0][0]
    assert rows[1][:3] == ("楼栋", "单元", "房号")
    assert len(rows) == 2 + building.units.count()
    note = next(row[10] for row in rows if row[2] == "3-0101")
    assert note.startswith("'=")  # never a formula in the spreadsheet

    draft = price_list_upload(staff=manager, project_id=project.pk, file=io.BytesIO(content), file_name="导出.xlsx")
    assert (draft.plan["created"], draft.plan["changed"], draft.plan["unchanged"]) == ([], [], building.units.count())


def test_the_export_of_a_building_with_entrances_imports_back_unchanged(project, plans, manager):
    from yunlou.catalogue.services import building_generate_units

    tower = BuildingFactory(project=project, number="5", floors=3, units_per_floor=2, entrances=2)
    layout = {1: plans[0], 2: plans[1]}
    building_generate_units(staff=None, building=tower, floor_plans_by_position=layout,
                            entrances={1: layout, 2: layout}, price_per_sqm=3_123_456)
    content = price_list_export(staff=manager, project_id=project.pk).content
    draft = price_list_upload(staff=manager, project_id=project.pk, file=io.BytesIO(content), file_name="导出.xlsx")
    assert draft.plan["unchanged"] == 12 and not draft.plan["changed"]


def test_the_advertised_price_range_leaves_out_units_held_back_from_sale(project, building, manager):
    from yunlou.catalogue.services import project_refresh_price_range

    cheapest = building.units.order_by("list_price").first()
    Unit.objects.filter(pk=cheapest.pk).update(status=UnitStatus.NOT_FOR_SALE, list_price=100)
    project_refresh_price_range(project=project)
    project.refresh_from_db()
    assert project.price_min > 100
