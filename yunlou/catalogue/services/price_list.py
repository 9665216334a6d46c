"""一房一价: the price list as an Excel workbook, in and out.

An import is all-or-nothing. Every row is checked first and every problem is reported with its
row number and column; only a file without a single problem changes anything, in one transaction.
"""

import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree import ElementTree

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from yunlou.accounts.permissions import EXPORT_PRICE_LIST, IMPORT_PRICE_LIST
from yunlou.accounts.staff import Staff
from yunlou.catalogue.models import Building, Project, Unit, UnitStatus
from yunlou.catalogue.selectors import project_get
from yunlou.catalogue.services.projects import project_refresh_price_range
from yunlou.core.audit import audit_record
from yunlou.core.errors import Forbidden, ImportRejected
from yunlou.core.money import fen_to_yuan, yuan_to_fen

MAX_FILE_BYTES = 5 * 1024 * 1024
# What a file that is not a readable .xlsx makes openpyxl (or the zip and XML layers under it) raise.
UNREADABLE = (InvalidFileException, zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError, ValueError,
              TypeError, IndexError)
MAX_ROWS = 20_000
MAX_AREA = Decimal("9999.99")
MAX_PRICE_FEN = 10**13  # ¥100 billion: anything above is a typo, not a flat

# Column key, the header written on export, and the headers accepted on import (normalised).
COLUMNS: list[tuple[str, str, frozenset[str]]] = [
    ("building", "楼栋", frozenset({"楼栋", "楼号", "building"})),
    ("code", "房号", frozenset({"房号", "房源", "房源编号", "unit", "unitcode"})),
    ("floor_plan", "户型", frozenset({"户型", "户型名称", "floorplan"})),
    ("area", "建筑面积(㎡)", frozenset({"建筑面积", "面积", "area", "grossarea"})),
    ("total_price", "总价(元)", frozenset({"总价", "总价元", "totalprice", "price"})),
]
EXTRA_EXPORT_HEADERS = ["单价(元/㎡)", "状态"]
# A held, subscribed or signed unit's price is part of a deal; it cannot move under the buyer.
PRICE_LOCKED_STATUSES = frozenset({UnitStatus.HELD, UnitStatus.SUBSCRIBED, UnitStatus.SIGNED})


@dataclass(frozen=True)
class ExportedWorkbook:
    filename: str
    content: bytes


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class _RowErrors:
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: int, column: str | None, message: str) -> None:
        self.errors.append({"row": row, "column": column, "message": message})


def _normalise_header(value: Any) -> str:
    text = re.sub(r"[(（].*?[)）]", "", str(value or ""))
    return re.sub(r"[\s_\-]", "", text).lower()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _file_problem(message: str, *, row: int | None = None) -> ImportRejected:
    return ImportRejected(message, field="file", details=[{"row": row, "column": None, "message": message}])


def _read_rows(file) -> list[tuple[int, dict[str, Any]]]:
    """Open the workbook and read its rows; a file that is too big or not an .xlsx is refused whole."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise _file_problem(_("The file is larger than 5 MB."))
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except UNREADABLE as exc:
        raise _file_problem(_("The file is not an Excel .xlsx workbook.")) from exc
    try:
        return _data_rows(workbook)
    except UNREADABLE as exc:  # openpyxl reads the sheet lazily: a damaged sheet shows up only now
        raise _file_problem(_("The file is not an Excel .xlsx workbook.")) from exc
    finally:
        workbook.close()


def _data_rows(workbook) -> list[tuple[int, dict[str, Any]]]:
    """The data rows as (spreadsheet row number, {column key: raw value}) after checking the header row."""
    header_label = {key: label for key, label, _aliases in COLUMNS}
    rows = workbook.worksheets[0].iter_rows(values_only=True) if workbook.worksheets else iter(())
    header = next(rows, None)
    if header is None or not any(_cell_text(v) for v in header):
        raise _file_problem(_("The file is empty: the first row must hold the column headers."), row=1)
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        name = _normalise_header(value)
        for key, _label, aliases in COLUMNS:
            if name in aliases and key not in positions:
                positions[key] = index
    missing = [header_label[key] for key, _label, _aliases in COLUMNS if key not in positions]
    if missing:
        message = _("Missing columns: %(columns)s. The first row must be: %(expected)s.") % {
            "columns": "、".join(missing), "expected": "、".join(header_label.values())}
        raise ImportRejected(message, field="file", details=[
            {"row": 1, "column": column, "message": _("Column missing.")} for column in missing])
    data = []
    for number, values in enumerate(rows, start=2):
        if not any(_cell_text(v) for v in values):
            continue
        if len(data) >= MAX_ROWS:
            raise _file_problem(_("A price list may hold at most %(max)s rows.") % {"max": MAX_ROWS}, row=number)
        data.append((number, {key: values[i] if i < len(values) else None for key, i in positions.items()}))
    if not data:
        raise _file_problem(_("The file has headers but no price rows."), row=2)
    return data


def _parse_area(raw: Any) -> Decimal:
    try:
        area = Decimal(repr(raw) if isinstance(raw, float) else _cell_text(raw))
    except InvalidOperation as exc:
        raise ValueError(_("Area must be a number of m², such as 89.50.")) from exc
    if not area.is_finite() or area <= 0 or area > MAX_AREA:
        raise ValueError(_("Area must be more than 0 and at most 9999.99 m²."))
    if area != area.quantize(Decimal("0.01")):
        raise ValueError(_("Area has at most two decimal places."))
    return area.quantize(Decimal("0.01"))


def _parse_price(raw: Any) -> int:
    if _cell_text(raw) == "":
        raise ValueError(_("Total price is required."))
    try:
        fen = yuan_to_fen(raw)
    except ValueError as exc:
        raise ValueError(_("Total price must be an amount in yuan, such as 2860000.")) from exc
    if fen <= 0:
        raise ValueError(_("Total price must be more than 0."))
    if fen > MAX_PRICE_FEN:
        raise ValueError(_("Total price is implausibly large."))
    return fen


def _staff_project(staff: Staff, project_id: int, permission: str) -> Project:
    if not staff.can(permission):
        raise Forbidden(_("Your role may not do this with price lists."))
    return project_get(staff=staff, project_id=project_id)


@transaction.atomic
def price_list_import(
    *, staff: Staff, project_id: int, file, file_name: str = "", request: HttpRequest | None = None
) -> ImportResult:
    project = _staff_project(staff, project_id, IMPORT_PRICE_LIST)
    rows = _read_rows(file)
    label = {key: label for key, label, _aliases in COLUMNS}

    buildings: dict[str, Building] = {}
    for building in project.buildings.all():
        for key in {building.number, f"{building.number}号楼", f"{building.number}栋", building.name}:
            if key:
                buildings[key.lower()] = building
    plans = {plan.name.lower(): plan for plan in project.floor_plans.all()}
    # Lock the project's units in primary-key order, the order every unit-locking service uses.
    units = {
        (unit.building_id, unit.code): unit
        for unit in Unit.objects.select_for_update().filter(building__project=project).order_by("pk")
    }
    taken_places = {(unit.building_id, unit.floor, unit.position) for unit in units.values()}

    problems = _RowErrors()
    seen_codes: dict[tuple[int, str], int] = {}
    to_create: list[Unit] = []
    to_update: list[Unit] = []
    changes: dict[str, dict[str, list[Any]]] = {}
    unchanged = 0

    for row, values in rows:
        errors_before = len(problems.errors)
        building = buildings.get(_cell_text(values["building"]).lower())
        if building is None:
            problems.add(row, label["building"], _("Unknown building “%(value)s” in this project.")
                         % {"value": _cell_text(values["building"])})
        code = _cell_text(values["code"]).upper()
        if not code:
            problems.add(row, label["code"], _("Unit code is required."))
        plan_name = _cell_text(values["floor_plan"])
        plan = plans.get(plan_name.lower()) if plan_name else None
        if plan_name and plan is None:
            problems.add(row, label["floor_plan"], _("Unknown floor plan “%(value)s” in this project.")
                         % {"value": plan_name})
        try:
            area = _parse_area(values["area"])
        except ValueError as exc:
            area = None
            problems.add(row, label["area"], str(exc))
        try:
            price = _parse_price(values["total_price"])
        except ValueError as exc:
            price = None
            problems.add(row, label["total_price"], str(exc))
        if building is None or not code:
            continue
        first_row = seen_codes.setdefault((building.pk, code), row)
        if first_row != row:
            problems.add(row, label["code"], _("Unit %(code)s already appears in row %(row)s.")
                         % {"code": code, "row": first_row})
            continue

        unit = units.get((building.pk, code))
        if unit is None:
            match = re.fullmatch(rf"{re.escape(building.number.upper())}-(\d{{2,3}})(\d{{2}})", code)
            floor, position = (int(match[1]), int(match[2])) if match else (None, None)
            if match is None or not (1 <= floor <= building.floors and 1 <= position <= building.units_per_floor):
                problems.add(row, label["code"], _(
                    "Unit %(code)s does not exist in %(building)s and is not a valid new code "
                    "(building-floor-position such as %(example)s within %(floors)s floors × %(positions)s units)."
                ) % {"code": code, "building": building, "example": building.unit_code(12, 1),
                     "floors": building.floors, "positions": building.units_per_floor})
                continue
            if (building.pk, floor, position) in taken_places:
                problems.add(row, label["code"], _("Floor %(floor)s position %(position)s already has a unit.")
                             % {"floor": floor, "position": position})
                continue
            if plan is None and not plan_name:
                problems.add(row, label["floor_plan"], _("A new unit needs a floor plan."))
            if len(problems.errors) == errors_before:
                to_create.append(Unit(
                    building=building, floor=floor, position=position, code=code, floor_plan=plan, area=area,
                    list_price=price, unit_price=Unit.price_per_sqm(price, area), status=UnitStatus.NOT_FOR_SALE,
                ))
            continue

        if len(problems.errors) != errors_before:
            continue
        new_plan = plan or unit.floor_plan
        diff = {
            name: [old, new]
            for name, old, new in (
                ("list_price", unit.list_price, price),
                ("area", str(unit.area), str(area)),
                ("floor_plan", unit.floor_plan.name if unit.floor_plan else None, new_plan.name if new_plan else None),
            )
            if old != new
        }
        if not diff:
            unchanged += 1
            continue
        if unit.status in PRICE_LOCKED_STATUSES:
            problems.add(row, label["total_price"], _("Unit %(code)s is %(status)s; its price cannot change.")
                         % {"code": code, "status": UnitStatus(unit.status).label})
            continue
        unit.list_price, unit.area, unit.floor_plan = price, area, new_plan
        unit.unit_price = Unit.price_per_sqm(price, area)
        to_update.append(unit)
        changes[code] = diff

    if problems.errors:
        raise ImportRejected(
            _("Nothing was imported: %(count)s problems in the file.") % {"count": len(problems.errors)},
            field="file", details=problems.errors,
        )

    Unit.objects.bulk_create(to_create, batch_size=500)
    Unit.objects.bulk_update(to_update, ["list_price", "unit_price", "area", "floor_plan"], batch_size=500)
    project_refresh_price_range(project=project)
    result = ImportResult(created=len(to_create), updated=len(to_update), unchanged=unchanged)
    audit_record(
        action="price_list.import", target=project, actor=staff.user, project=project,
        changes={"file": file_name[:200], "created": [u.code for u in to_create], "updated": changes,
                 "unchanged": unchanged},
        request=request,
    )
    return result


@transaction.atomic
def price_list_export(*, staff: Staff, project_id: int, building_id: int | None = None,
                      request: HttpRequest | None = None) -> ExportedWorkbook:
    """The price list as .xlsx; every export is audited (DESIGN: reveals, exports and changes are logged)."""
    project = _staff_project(staff, project_id, EXPORT_PRICE_LIST)
    units = (
        Unit.objects.filter(building__project=project)
        .select_related("building", "floor_plan")
        .order_by("building__sort_order", "building_id", "floor", "position")
    )
    if building_id is not None:
        units = units.filter(building_id=building_id)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="一房一价")
    headers = [label for _key, label, _aliases in COLUMNS] + EXTRA_EXPORT_HEADERS
    for index, width in enumerate([8, 12, 10, 14, 16, 14, 10], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append(headers)
    for unit in units:
        sheet.append([
            unit.building.number, unit.code, unit.floor_plan.name if unit.floor_plan else "",
            unit.area, fen_to_yuan(unit.list_price), fen_to_yuan(unit.unit_price), unit.get_status_display(),
        ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit_record(action="price_list.export", target=project, actor=staff.user, project=project,
                 changes={"building": building_id} if building_id else {}, request=request)
    filename = f"{project.name}-一房一价-{timezone.localdate():%Y%m%d}.xlsx"
    return ExportedWorkbook(filename=filename, content=buffer.getvalue())
