"""Upload, preview, confirm: a price list changes nothing until a manager has seen what it will do.

`price_list_upload` reads and checks the file (before any transaction) and stores a draft holding the
plan; a file with any problem is refused whole, listing every problem, and leaves no draft behind —
a draft that can never be confirmed would only be something to clean up, and the manager must correct
the sheet anyway. `price_list_confirm` applies the plan in one transaction, or refuses it when the
preview no longer describes the catalogue: another version was confirmed since, or a unit it changes
moved meanwhile. Each confirmation is a price-list version with every price change.
"""

import hashlib
from collections.abc import Mapping
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from yunlou.accounts.permissions import IMPORT_PRICE_LIST
from yunlou.accounts.staff import Staff
from yunlou.catalogue.models import (
    Building,
    FloorPlan,
    PriceListDraft,
    PriceListDraftStatus,
    PriceListVersion,
    Project,
    Unit,
    UnitStatus,
)
from yunlou.catalogue.selectors import project_get
from yunlou.catalogue.services.price_list.cells import Layout, text
from yunlou.catalogue.services.price_list.planning import PRICE_LOCKED_STATUSES, plan_price_list, unit_snapshot
from yunlou.catalogue.services.price_list.reading import read_content, read_table
from yunlou.catalogue.services.price_versions import PriceBefore, price_list_version_current, price_list_version_record
from yunlou.catalogue.services.projects import project_refresh_price_range
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict, Forbidden, ImportRejected, NotFound, ValidationFailed

LOCK_BATCH = 1000


def staff_project(staff: Staff, project_id: int, permission: str) -> Project:
    if not staff.can(permission):
        raise Forbidden(_("Your role may not do this with price lists."))
    return project_get(staff=staff, project_id=project_id)


def price_list_upload(
    *, staff: Staff, project_id: int, file, file_name: str = "", request: HttpRequest | None = None
) -> PriceListDraft:
    """Read, check and plan an uploaded price list; store the plan as a draft awaiting confirmation."""
    project = staff_project(staff, project_id, IMPORT_PRICE_LIST)
    content = read_content(file)
    file_name = text(file_name)[:200]
    table = read_table(content, file_name=file_name)
    # The version in force is read before the plan is made: if another confirmation slips in between, the
    # draft looks older than it is and its confirmation is refused as stale, never the other way round.
    base_version = price_list_version_current(project=project)
    plan, errors = plan_price_list(project=project, table=table)
    if errors:
        errors.sort(key=lambda error: error["row"])
        raise ImportRejected(
            _("Nothing was imported: %(count)s problems in the file.") % {"count": len(errors)},
            field="file", details=errors,
        )
    return _draft_create(staff=staff, project=project, file_name=file_name,
                         file_sha256=hashlib.sha256(content).hexdigest(), base_version=base_version, plan=plan,
                         request=request)


@transaction.atomic
def _draft_create(*, staff: Staff, project: Project, file_name: str, file_sha256: str, base_version: int,
                  plan: dict, request: HttpRequest | None) -> PriceListDraft:
    draft = PriceListDraft.objects.create(project=project, uploaded_by=staff.user, file_name=file_name,
                                          file_sha256=file_sha256, base_version=base_version, plan=plan)
    audit_record(action="price_list.upload", target=draft, actor=staff.user, project=project,
                 changes={"file": file_name, "created": len(plan["created"]), "updated": len(plan["changed"]),
                          "unchanged": plan["unchanged"]}, request=request)
    return draft


def _draft_for_update(staff: Staff, draft_id: int) -> PriceListDraft:
    if not staff.can(IMPORT_PRICE_LIST):
        raise Forbidden(_("Your role may not do this with price lists."))
    draft = (
        PriceListDraft.objects.select_for_update(of=("self",)).select_related("project")
        .filter(pk=draft_id, project__organization=staff.organization).first()
    )
    if draft is None or not staff.covers(draft.project):
        raise NotFound(_("No such price list preview."), field="draft")
    if draft.status != PriceListDraftStatus.PREVIEW:
        raise Conflict(_("This preview was already %(status)s.") % {"status": draft.get_status_display().lower()},
                       field="draft", code="draft_closed")
    return draft


def _floor_plans_to_create(draft: PriceListDraft, chosen: Mapping[str, Layout | None]) -> list[dict]:
    """The floor plans the sheet names that the project lacks: each must be ticked, with a layout."""
    offered = {plan["name"]: plan for plan in draft.plan["floor_plans"]}
    unknown = [name for name in chosen if name not in offered]
    if unknown:
        raise ValidationFailed(_("%(names)s are not floor plans this preview offers to create.")
                               % {"names": "、".join(unknown)}, field="floor_plans")
    missing = [plan for name, plan in offered.items() if name not in chosen]
    if missing:
        raise ValidationFailed(_("The sheet names floor plans the project does not have: %(plans)s. Tick them to "
                                 "create them, or correct the sheet and upload it again.") % {
            "plans": "；".join(_("%(name)s (rows %(rows)s)") % {
                "name": plan["name"], "rows": ", ".join(map(str, plan["rows"][:10]))} for plan in missing)},
            field="floor_plans")
    plans = []
    for name, plan in offered.items():
        layout = chosen[name] or (Layout(plan["rooms"], plan["halls"], plan["bathrooms"])
                                  if plan["rooms"] is not None else None)
        if layout is None or not (1 <= layout.rooms <= 20 and 0 <= layout.halls <= 20 and 0 <= layout.bathrooms <= 20):
            raise ValidationFailed(_("Give the layout of %(name)s (bedrooms, living rooms, bathrooms): the sheet "
                                     "does not state it.") % {"name": name}, field="floor_plans")
        plans.append({**plan, "rooms": layout.rooms, "halls": layout.halls, "bathrooms": layout.bathrooms})
    return plans


@transaction.atomic
def price_list_confirm(
    *, staff: Staff, draft_id: int, floor_plans: Mapping[str, Layout | None] | None = None,
    request: HttpRequest | None = None,
) -> PriceListVersion:
    """Apply a previewed price list, all or nothing, as the project's next price-list version.

    Locks, in this order: the draft (so it is confirmed once), the project (so versions are numbered one at
    a time and the version in force can be compared with the draft's), then the units it changes in
    primary-key order, the order every unit-locking service uses, so that it cannot deadlock with them.
    """
    draft = _draft_for_update(staff, draft_id)
    project = Project.objects.select_for_update().get(pk=draft.project_id)
    plan = draft.plan
    if not plan["created"] and not plan["changed"]:
        raise Conflict(_("The file matches the current price list: there is nothing to confirm."), field="draft",
                       code="nothing_to_confirm")
    new_plans = _floor_plans_to_create(draft, floor_plans or {})
    current = price_list_version_current(project=project)
    if current != draft.base_version:
        raise Conflict(_("This preview is out of date: version V%(current)s was confirmed after it was made (it was "
                         "based on V%(base)s). Upload the file again to see what it changes now.")
                       % {"current": current, "base": draft.base_version}, field="draft", code="stale_preview")

    units = _lock_units([change["unit_id"] for change in plan["changed"]])
    moved = []
    for change in plan["changed"]:
        unit = units.get(change["unit_id"])
        before = {key: value for key, value in change["before"].items() if key != "floor_plan"}
        # A unit whose price, details or status moved; or one held meanwhile whose price would change.
        if unit is None or unit_snapshot(unit) != before or (
            change["price_changed"] and unit.status in PRICE_LOCKED_STATUSES
        ):
            moved.append(change["code"])
    buildings = {b.pk: b for b in Building.objects.filter(project=project)}
    moved += _places_taken(plan["created"], buildings)
    if moved:
        raise Conflict(_("This preview is out of date: %(codes)s changed since it was made. Upload the file again "
                         "to see what it changes now.") % {"codes": "、".join(moved[:20])},
                       field="draft", code="stale_preview")

    plans_by_name = {plan.name: plan for plan in FloorPlan.objects.filter(project=project)}
    for offer in new_plans:
        if offer["name"] not in plans_by_name:  # someone may have added it by hand since the preview
            plans_by_name[offer["name"]] = FloorPlan.objects.create(
                project=project, name=offer["name"], rooms=offer["rooms"], halls=offer["halls"],
                bathrooms=offer["bathrooms"], gross_area=Decimal(offer["gross_area"]),
                net_area=_net_area_within(offer["net_area"], offer["gross_area"]), orientation=offer["orientation"],
            )
    renamed = ({row["floor_plan"] for row in plan["created"]}
               | {change["after"]["floor_plan"] for change in plan["changed"] if change["after"]["floor_plan"]})
    renamed -= plans_by_name.keys()
    if renamed:
        raise Conflict(_("This preview is out of date: floor plans %(names)s were renamed or removed since it was "
                         "made. Upload the file again.") % {"names": "、".join(sorted(renamed))},
                       field="draft", code="stale_preview")
    created = _create_units(plan["created"], buildings, plans_by_name)
    repriced, details_only = _update_units(plan["changed"], units, plans_by_name)

    version = price_list_version_record(
        project=project, actor=staff.user, created=created, changed=repriced,
        unchanged=plan["unchanged"] + details_only, file_name=draft.file_name, file_sha256=draft.file_sha256,
        note=draft.file_name,
    )
    project_refresh_price_range(project=project)
    draft.status, draft.version = PriceListDraftStatus.CONFIRMED, version
    draft.save(update_fields=["status", "version"])
    audit_record(
        action="price_list.confirm", target=project, actor=staff.user, project=project,
        changes={"file": draft.file_name, "version": version.number, "created": len(created),
                 "updated": len(repriced), "unchanged": version.unchanged_units,
                 "floor_plans": [offer["name"] for offer in new_plans]},
        request=request,
    )
    return version


def _lock_units(unit_ids: list[int]) -> dict[int, Unit]:
    units: dict[int, Unit] = {}
    ordered = sorted(unit_ids)
    for start in range(0, len(ordered), LOCK_BATCH):
        batch = ordered[start:start + LOCK_BATCH]
        for unit in Unit.objects.select_for_update().filter(pk__in=batch).order_by("pk"):
            units[unit.pk] = unit
    return units


def _places_taken(created: list[dict], buildings: dict[int, Building]) -> list[str]:
    """New units whose place or code another unit took since the preview, or whose building changed."""
    if not created:
        return []
    taken = set()
    for building_id, entrance, floor, position, code in Unit.objects.filter(
        building_id__in={row["building_id"] for row in created}
    ).values_list("building_id", "entrance", "floor", "position", "code"):
        taken.add((building_id, entrance, floor, position))
        taken.add((building_id, code.upper()))
    problems = []
    for row in created:
        building = buildings.get(row["building_id"])
        if (
            building is None
            or (row["building_id"], row["entrance"], row["floor"], row["position"]) in taken
            or (row["building_id"], row["code"].upper()) in taken
            or row["floor"] > building.floors or row["entrance"] > building.entrances
            or row["position"] > building.units_per_floor
        ):
            problems.append(row["code"])
    return problems


def _net_area_within(net_area: str | None, gross_area: str) -> Decimal | None:
    if net_area is None or Decimal(net_area) > Decimal(gross_area):
        return None
    return Decimal(net_area)


def _create_units(rows: list[dict], buildings: dict[int, Building], plans: dict[str, FloorPlan]) -> list[Unit]:
    units = [
        Unit(building=buildings[row["building_id"]], entrance=row["entrance"], floor=row["floor"],
             position=row["position"], code=row["code"], floor_plan=plans[row["floor_plan"]],
             area=Decimal(row["area"]), net_area=None if row["net_area"] is None else Decimal(row["net_area"]),
             list_price=row["list_price"], unit_price=row["unit_price"], note=row["note"],
             status=UnitStatus.NOT_FOR_SALE)
        for row in rows
    ]
    try:
        with transaction.atomic():
            return Unit.objects.bulk_create(units, batch_size=500)
    except IntegrityError as exc:  # a unit created at the same place a moment ago, past the check above
        raise Conflict(_("This preview is out of date: another unit was created at one of its places. Upload the "
                         "file again."), field="draft", code="stale_preview") from exc


def _update_units(changes: list[dict], units: dict[int, Unit],
                  plans: dict[str, FloorPlan]) -> tuple[list[PriceBefore], int]:
    repriced, details_only, updated = [], 0, []
    for change in changes:
        unit, after = units[change["unit_id"]], change["after"]
        if change["price_changed"]:
            repriced.append(PriceBefore(unit=unit, list_price=unit.list_price, unit_price=unit.unit_price,
                                        area=unit.area))
        else:
            details_only += 1
        unit.list_price, unit.unit_price, unit.area = after["list_price"], after["unit_price"], Decimal(after["area"])
        if after["floor_plan"] is not None:
            unit.floor_plan = plans[after["floor_plan"]]
        if after["net_area"] is not None:
            unit.net_area = Decimal(after["net_area"])
        if after["note"] is not None:
            unit.note = after["note"]
        updated.append(unit)
    Unit.objects.bulk_update(updated, ["list_price", "unit_price", "area", "floor_plan", "net_area", "note"],
                             batch_size=500)
    return repriced, details_only


@transaction.atomic
def price_list_discard(*, staff: Staff, draft_id: int, request: HttpRequest | None = None) -> PriceListDraft:
    """A manager throws a preview away; nothing else changes."""
    draft = _draft_for_update(staff, draft_id)
    draft.status = PriceListDraftStatus.DISCARDED
    draft.save(update_fields=["status"])
    audit_record(action="price_list.discard", target=draft, actor=staff.user, project=draft.project,
                 changes={"file": draft.file_name}, request=request)
    return draft
