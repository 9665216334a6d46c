"""Checking a price table against the project and working out what confirming it would change.

Reads only: the result is a plan (plain JSON, stored in the draft) and a list of every problem found,
each with its row, column and cell. Nothing is locked or written here.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from yunlou.catalogue.models import Building, FloorPlan, Project, Unit, UnitStatus
from yunlou.catalogue.services.price_list import cells
from yunlou.catalogue.services.price_list.reading import LABELS, Table, is_not_a_unit
from yunlou.core.money import format_yuan

# A held, subscribed or signed unit's price is part of a deal; it cannot move under the buyer.
PRICE_LOCKED_STATUSES = frozenset({UnitStatus.HELD, UnitStatus.SUBSCRIBED, UnitStatus.SIGNED})
MAX_NOTE = Unit._meta.get_field("note").max_length
MAX_PLAN_NAME = FloorPlan._meta.get_field("name").max_length
_UNIT_FIELDS = ("id", "code", "building_id", "entrance", "floor", "position", "floor_plan_id", "area", "net_area",
                "list_price", "unit_price", "status", "note")


class RowError(Exception):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


def unit_snapshot(unit: dict[str, Any] | Unit) -> dict[str, Any]:
    """What a confirmation checks has not moved since the preview: a unit's price, area, details and status."""
    get = unit.get if isinstance(unit, dict) else lambda name: getattr(unit, name)
    return {
        "list_price": get("list_price"), "unit_price": get("unit_price"), "area": str(get("area")),
        "floor_plan_id": get("floor_plan_id"), "net_area": None if get("net_area") is None else str(get("net_area")),
        "note": get("note"), "status": get("status"),
    }


@dataclass
class Plan:
    created: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    unchanged: int = 0
    floor_plans: dict[str, dict] = field(default_factory=dict)  # by lower-cased name
    errors: list[dict] = field(default_factory=list)

    def as_json(self, table: Table) -> dict:
        plans = []
        for plan in self.floor_plans.values():
            areas = plan.pop("areas")
            # The plan's area is the one most of its rows give (the first of equals).
            plans.append({**plan, "gross_area": str(Counter(areas).most_common(1)[0][0])})
        return {"format": table.format, "header_row": table.header_row, "rows": len(table.rows),
                "created": self.created, "changed": self.changed, "unchanged": self.unchanged, "floor_plans": plans}


class Planner:
    def __init__(self, *, project: Project, table: Table):
        self.project, self.table = project, table
        self.plan = Plan()
        self.buildings = list(project.buildings.order_by("sort_order", "id"))
        self.building_by_key: dict[str, Building] = {}
        for building in self.buildings:
            for written in (building.number, building.name, str(building)):
                for key in cells.building_keys(written):
                    self.building_by_key.setdefault(key, building)
        self.plans = {plan.name.lower(): plan for plan in FloorPlan.objects.filter(project=project)}
        self.plan_names = {plan.pk: plan.name for plan in self.plans.values()}
        units = Unit.objects.filter(building__project=project).values(*_UNIT_FIELDS)
        self.unit_by_place: dict[tuple, dict] = {}
        self.unit_by_code: dict[tuple, dict] = {}
        for unit in units:
            self.unit_by_place[(unit["building_id"], unit["entrance"], unit["floor"], unit["position"])] = unit
            self.unit_by_code[(unit["building_id"], unit["code"].upper())] = unit
        self.seen: dict[tuple, int] = {}
        # The building the sheet's name or title names, when it names exactly one of the project's.
        named = {self._find_building(written) for written in table.title_buildings()} - {None}
        self.title_building = named.pop() if len(named) == 1 else None

    # --- reading a row ---

    def cell(self, values: tuple, key: str):
        index = self.table.columns.get(key)
        return values[index] if index is not None and index < len(values) else None

    def has(self, values: tuple, key: str) -> bool:
        return cells.text(self.cell(values, key)) != ""

    def _find_building(self, written) -> Building | None:
        return next((self.building_by_key[key] for key in cells.building_keys(written)
                     if key in self.building_by_key), None)

    def run(self) -> Plan:
        for row, values in self.table.rows:
            if is_not_a_unit(values, self.table):
                continue
            problems: list[RowError] = []
            try:
                self._row(row, values, problems)
            except RowError as error:
                problems.append(error)
            for problem in problems:
                self.plan.errors.append({
                    "row": row, "column": LABELS[problem.column],
                    "cell": self.table.cell_name(problem.column, row), "message": problem.message,
                })
        return self.plan

    def _row(self, row: int, values: tuple, problems: list[RowError]) -> None:
        def attempt(function, *args):
            try:
                return function(*args)
            except RowError as error:
                problems.append(error)
                return None

        try:
            code = cells.parse_unit_code(self.cell(values, "code"))
        except ValueError as error:
            code = None
            problems.append(RowError("code", str(error)))
        area = attempt(self._area, values)
        total = attempt(self._total, values)
        unit_price = attempt(self._unit_price, values)
        net_area = attempt(self._net_area, values, area)
        note = attempt(self._note, values)
        plan_name = attempt(self._floor_plan, row, values, area, net_area)
        if total and unit_price and area:
            attempt(self._cross_check, total, unit_price, area)
        if code is None:
            return
        building, entrance = self._place(values, code)
        if self.has(values, "floor"):
            try:
                floor = cells.parse_floor(self.cell(values, "floor"))
            except ValueError as error:
                problems.append(RowError("floor", str(error)))
            else:
                if floor != code.floor:
                    problems.append(RowError("floor", _(
                        "楼层 says %(floor)s but unit %(room)s is on floor %(code_floor)s."
                    ) % {"floor": floor, "room": f"{code.floor}{code.position:02d}", "code_floor": code.floor}))
        place = (building.pk, entrance, code.floor, code.position)
        first = self.seen.setdefault(place, row)
        if first != row:
            raise RowError("code", _("Unit %(code)s already appears in row %(row)s.")
                           % {"code": building.unit_code(code.floor, code.position, entrance), "row": first})
        unit = self.unit_by_place.get(place)
        if unit is None:
            self._new_unit(row, building, entrance, code, problems, plan_name)
        if problems or area is None or total is None:
            return
        price = total.fen
        if unit is None:
            self.plan.created.append({
                "row": row, "building_id": building.pk, "building": str(building), "entrance": entrance,
                "floor": code.floor, "position": code.position, "code": building.unit_code(code.floor, code.position,
                                                                                           entrance),
                "floor_plan": plan_name, "area": str(area), "net_area": None if net_area is None else str(net_area),
                "list_price": price, "unit_price": unit_price.fen if unit_price else Unit.price_per_sqm(price, area),
                "note": note or "",
            })
            return
        self._existing_unit(row, unit, area=area, price=price, unit_price=unit_price, net_area=net_area, note=note,
                            plan_name=plan_name)

    # --- the columns ---

    def _area(self, values: tuple) -> Decimal:
        if not self.has(values, "area"):
            raise RowError("area", _("Gross area (建筑面积) is required."))
        try:
            return cells.parse_area(self.cell(values, "area"), label=_("Gross area"))
        except ValueError as error:
            raise RowError("area", str(error)) from error

    def _total(self, values: tuple) -> cells.Money:
        try:
            return cells.parse_total(self.cell(values, "total_price"), in_wan=self.table.totals_in_wan)
        except ValueError as error:
            raise RowError("total_price", str(error)) from error

    def _unit_price(self, values: tuple) -> cells.Money | None:
        if not self.has(values, "unit_price"):
            return None
        try:
            return cells.parse_unit_price(self.cell(values, "unit_price"))
        except ValueError as error:
            raise RowError("unit_price", str(error)) from error

    def _net_area(self, values: tuple, area: Decimal | None) -> Decimal | None:
        if not self.has(values, "net_area"):
            return None
        try:
            net_area = cells.parse_area(self.cell(values, "net_area"), label=_("Net area"))
        except ValueError as error:
            raise RowError("net_area", str(error)) from error
        if area is not None and net_area > area:
            raise RowError("net_area", _("Net area %(net)s㎡ is larger than the gross area %(gross)s㎡.")
                           % {"net": net_area, "gross": area})
        return net_area

    def _note(self, values: tuple) -> str | None:
        note = cells.text(self.cell(values, "note"))
        if len(note) > MAX_NOTE:
            raise RowError("note", _("Remarks are at most %(max)s characters.") % {"max": MAX_NOTE})
        return note or None

    def _cross_check(self, total: cells.Money, unit_price: cells.Money, area: Decimal) -> None:
        """单价 × 建筑面积 must give 总价 within the rounding the figures were written with: half a step of the
        单价 over every m², and half a step of the 总价 itself."""
        computed = unit_price.exact_fen * area
        tolerance = area * unit_price.step_fen / 2 + total.step_fen / 2
        if abs(total.fen - computed) <= tolerance:
            return
        raise RowError("total_price", _(
            "单价 %(unit_price)s × 建筑面积 %(area)s㎡ = %(computed)s, but 总价 is %(total)s (a difference of "
            "%(difference)s, more than rounding allows): the published price must be one price."
        ) % {"unit_price": format_yuan(unit_price.fen), "area": area, "computed": format_yuan(int(computed)),
             "total": format_yuan(total.fen), "difference": format_yuan(abs(int(total.fen - computed)))})

    def _floor_plan(self, row: int, values: tuple, area: Decimal | None, net_area: Decimal | None) -> str | None:
        """The floor plan's name, offering a plan the project lacks for creation (with its layout, area and
        orientation when the sheet gives them)."""
        written = cells.text(self.cell(values, "floor_plan"))
        if not written:
            return None
        layout, rest = cells.find_layout(written)
        name = written if written.lower() in self.plans else (rest or written)
        if len(name) > MAX_PLAN_NAME:
            raise RowError("floor_plan", _("A floor plan name is at most %(max)s characters.") % {"max": MAX_PLAN_NAME})
        if name.lower() in self.plans:
            return self.plans[name.lower()].name
        if self.has(values, "layout"):
            layout = cells.find_layout(self.cell(values, "layout"))[0] or layout
        offer = self.plan.floor_plans.setdefault(name.lower(), {
            "name": name, "rooms": None, "halls": None, "bathrooms": None, "net_area": None, "orientation": "",
            "areas": [], "rows": [],
        })
        offer["rows"].append(row)
        if area is not None:
            offer["areas"].append(area)
        if layout and offer["rooms"] is None:
            offer.update(rooms=layout.rooms, halls=layout.halls, bathrooms=layout.bathrooms)
        if net_area is not None and offer["net_area"] is None:
            offer["net_area"] = str(net_area)
        if not offer["orientation"]:
            offer["orientation"] = cells.parse_orientation(self.cell(values, "orientation"))
        return offer["name"]

    # --- where the unit is ---

    def _place(self, values: tuple, code: cells.UnitCode) -> tuple[Building, int]:
        """The building and entrance of a row: from their columns, from the code, from the sheet's title."""
        from_column = None
        if self.has(values, "building"):
            written = self.cell(values, "building")
            from_column = self._find_building(written)
            if from_column is None:
                raise RowError("building", _("Unknown building “%(value)s” in this project (its buildings: "
                                             "%(buildings)s).") % {"value": cells.text(written)[:30],
                                                                  "buildings": self._building_names()})
        from_code, code_entrance = None, code.entrance
        written_code = cells.text(self.cell(values, "code"))
        if code.building:
            from_code = self._find_building(code.building)
            prefix = cells.chinese_int(code.building)
            if (code.bare_prefix and from_column is not None and from_code != from_column and prefix is not None
                    and from_column.entrances > 1):
                # 2-1201 beside a 楼栋 column, in a building with entrances: the 2 is the entrance.
                from_code, code_entrance = from_column, prefix
            if from_code is None:
                raise RowError("code", _("Unit code %(code)s names building %(building)s, which this project does "
                                         "not have (its buildings: %(buildings)s).")
                               % {"code": written_code, "building": code.building,
                                  "buildings": self._building_names()})
            if from_code is not None and from_column is not None and from_code != from_column:
                raise RowError("code", _("Unit code %(code)s is in %(code_building)s, but 楼栋 says %(building)s.")
                               % {"code": written_code, "code_building": from_code,
                                  "building": from_column})
        building = from_column or from_code or self.title_building
        if building is None and len(self.buildings) == 1:
            building = self.buildings[0]
        if building is None:
            raise RowError("building" if "building" in self.table.columns else "code", _(
                "Which building? Give a 楼栋 column or write the unit code with its building, such as 5-1201."))
        entrance = code_entrance
        if self.has(values, "entrance"):
            try:
                from_entrance_column = cells.parse_entrance(self.cell(values, "entrance"))
            except ValueError as error:
                raise RowError("entrance", str(error)) from error
            if entrance is not None and entrance != from_entrance_column:
                raise RowError("entrance", _("单元 says %(column)s but the unit code says entrance %(code)s.")
                               % {"column": from_entrance_column, "code": entrance})
            entrance = from_entrance_column
        if entrance is None:
            if building.entrances > 1:
                raise RowError("code", _("%(building)s has %(count)s entrances: give the 单元, in its own column or in "
                                         "the code (%(example)s).")
                               % {"building": building, "count": building.entrances,
                                  "example": building.unit_code(12, 1, 2)})
            entrance = 1
        return building, entrance

    def _building_names(self) -> str:
        return "、".join(str(b) for b in self.buildings) or "—"

    def _new_unit(self, row: int, building: Building, entrance: int, code: cells.UnitCode,
                  problems: list[RowError], plan_name: str | None) -> None:
        """A unit the project lacks is created, if it fits the building."""
        room = f"{code.floor}{code.position:02d}"
        if not 1 <= code.floor <= building.floors:
            problems.append(RowError("code", _("Unit %(room)s would be on floor %(floor)s, but %(building)s has "
                                               "floors 1 to %(floors)s.")
                                     % {"room": room, "floor": code.floor, "building": building,
                                        "floors": building.floors}))
        if entrance > building.entrances:
            column = "entrance" if "entrance" in self.table.columns else "code"
            problems.append(RowError(column, _("%(building)s has %(count)s entrance(s); there is no entrance "
                                               "%(entrance)s.")
                                     % {"building": building, "count": building.entrances, "entrance": entrance}))
        if code.position > building.units_per_floor:
            problems.append(RowError("code", _("Unit %(room)s would be position %(position)02d, but %(building)s has "
                                               "%(count)s units per floor in each entrance.")
                                     % {"room": room, "position": code.position, "building": building,
                                        "count": building.units_per_floor}))
        new_code = building.unit_code(code.floor, code.position, entrance)
        taken = self.unit_by_code.get((building.pk, new_code.upper()))
        if taken is not None:
            problems.append(RowError("code", _("The code %(code)s is already used by another unit of %(building)s.")
                                     % {"code": new_code, "building": building}))
        if plan_name is None:
            problems.append(RowError("floor_plan", _("%(code)s is a new unit: it needs a floor plan (户型).")
                                     % {"code": new_code}))

    def _existing_unit(self, row: int, unit: dict, *, area: Decimal, price: int, unit_price: cells.Money | None,
                       net_area: Decimal | None, note: str | None, plan_name: str | None) -> None:
        if unit_price is not None:
            new_unit_price = unit_price.fen
        elif price == unit["list_price"] and area == unit["area"]:
            new_unit_price = unit["unit_price"]  # no 单价 column: keep the one on record while nothing moved
        else:
            new_unit_price = Unit.price_per_sqm(price, area)
        price_changed = (price, new_unit_price, area) != (unit["list_price"], unit["unit_price"], unit["area"])
        current_plan = self.plan_names.get(unit["floor_plan_id"])
        details_changed = (
            (plan_name is not None and plan_name != current_plan)
            or (net_area is not None and net_area != unit["net_area"])
            or (note is not None and note != unit["note"])
        )
        if not price_changed and not details_changed:
            self.plan.unchanged += 1
            return
        kept_net_area = unit["net_area"] if net_area is None else net_area
        if kept_net_area is not None and kept_net_area > area:
            raise RowError("area", _("Gross area %(gross)s㎡ is smaller than the unit's net area %(net)s㎡.")
                           % {"gross": area, "net": kept_net_area})
        if price_changed and unit["status"] in PRICE_LOCKED_STATUSES:
            raise RowError("total_price", _("Unit %(code)s is %(status)s; its price cannot change.")
                           % {"code": unit["code"], "status": UnitStatus(unit["status"]).label})
        self.plan.changed.append({
            "row": row, "unit_id": unit["id"], "code": unit["code"], "price_changed": price_changed,
            "before": {**unit_snapshot(unit), "floor_plan": current_plan},
            "after": {"list_price": price, "unit_price": new_unit_price, "area": str(area),
                      "floor_plan": plan_name, "net_area": None if net_area is None else str(net_area),
                      "note": note},
        })


def plan_price_list(*, project: Project, table: Table) -> tuple[dict, list[dict]]:
    """What confirming `table` would change in `project` (as JSON for the draft), and every problem found."""
    planner = Planner(project=project, table=table)
    plan = planner.run()
    return plan.as_json(table), plan.errors
