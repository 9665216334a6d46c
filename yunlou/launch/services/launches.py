"""Setting up a launch (开盘) and its lottery (摇号), by a manager of the project.

Which units: only units of buildings whose presale permit is recorded (预售许可证 — the law's gate), at their
filed price; reserved units (预留) are listed on the launch but never offered. Each offered unit gets a token
that names it to buyers: random, per launch, handed out only with the live grid, so a script can neither guess
nor enumerate units before the start.

The lottery is commit–reveal (`yunlou.launch.lottery`, `docs/lottery.md`): freezing the eligible list publishes
its SHA-256 and the SHA-256 of a secret seed; the draw reveals the seed, mixes in a value entered in public, and
writes each buyer's place. A sales office whose city draws elsewhere imports that order instead.
"""

import datetime
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.permissions import MANAGE_LAUNCH
from yunlou.accounts.staff import Staff
from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.catalogue.selectors import project_get
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from yunlou.launch import lottery
from yunlou.launch.models import (
    EntryOrder,
    Launch,
    LaunchBatch,
    LaunchEntry,
    LaunchUnit,
    Order,
    Pledge,
    PledgeStatus,
)
from yunlou.live.publish import launch_units_reset

TOKEN_BYTES = 16  # 128 bits: as hard to guess as a session key


def _manageable(staff: Staff, project_id: int):
    project = project_get(staff=staff, project_id=project_id)
    if not staff.can(MANAGE_LAUNCH):
        raise Forbidden(_("Only managers set up launches."))
    return project


def launch_get_for_staff(*, staff: Staff, launch_id: int, lock: bool = False) -> Launch:
    queryset = Launch.objects.select_for_update() if lock else Launch.objects
    launch = queryset.select_related("project").filter(pk=launch_id).first()
    if launch is None or not staff.covers(launch.project):
        raise NotFound(_("No such launch."), field="launch_id")
    _manageable(staff, launch.project_id)
    return launch


@transaction.atomic
def launch_create(*, staff: Staff, project_id: int, name: str, starts_at: datetime.datetime,
                  ends_at: datetime.datetime, unit_ids: Iterable[int], reserved_unit_ids: Iterable[int] = (),
                  per_buyer_limit: int = 1, hold_minutes: int = 5, deposit: int = 5_000_000,
                  entry_order: str = EntryOrder.ALL_AT_ONCE,
                  rehearsal_starts_at: datetime.datetime | None = None,
                  rehearsal_ends_at: datetime.datetime | None = None) -> Launch:
    project = _manageable(staff, project_id)
    if ends_at <= starts_at:
        raise ValidationFailed(_("The launch must end after it starts."), field="ends_at")
    if not 1 <= per_buyer_limit <= 20:
        raise ValidationFailed(_("Units per buyer must be 1 to 20."), field="per_buyer_limit")
    if not 1 <= hold_minutes <= 120:
        raise ValidationFailed(_("Hold minutes must be 1 to 120."), field="hold_minutes")
    if not 0 < deposit <= 100_000_000_00:
        raise ValidationFailed(_("The deposit must be more than 0 and at most ¥100,000,000."), field="deposit")
    if (rehearsal_starts_at is None) != (rehearsal_ends_at is None) or (
            rehearsal_starts_at and not rehearsal_starts_at < rehearsal_ends_at <= starts_at):
        raise ValidationFailed(_("The rehearsal needs a start and an end, both before the launch starts."),
                               field="rehearsal_starts_at")
    offered, reserved = list(dict.fromkeys(unit_ids)), set(reserved_unit_ids)
    wanted = [*offered, *(unit_id for unit_id in reserved if unit_id not in offered)]
    units = {unit.pk: unit for unit in Unit.objects.select_related("building").filter(
        pk__in=wanted, building__project=project)}
    missing = [unit_id for unit_id in wanted if unit_id not in units]
    if missing or not offered:
        raise ValidationFailed(_("Choose units of this project to offer."), field="unit_ids")
    without_permit = sorted(unit.code for unit in units.values() if unit.building.presale_permit_id is None)
    if without_permit:
        raise Conflict(_("These units' buildings have no presale permit recorded (待取证): %(codes)s.")
                       % {"codes": "、".join(without_permit[:10])}, field="unit_ids", code="no_presale_permit")
    not_available = sorted(unit.code for unit in units.values()
                           if unit.pk not in reserved and unit.status != UnitStatus.AVAILABLE)
    if not_available:
        raise Conflict(_("These units are not available: %(codes)s.") % {"codes": "、".join(not_available[:10])},
                       field="unit_ids", code="not_available")
    launch = Launch.objects.create(
        project=project, name=name, starts_at=starts_at, ends_at=ends_at, per_buyer_limit=per_buyer_limit,
        hold_minutes=hold_minutes, deposit=deposit, entry_order=entry_order,
        rehearsal_starts_at=rehearsal_starts_at,
        rehearsal_ends_at=rehearsal_ends_at,
    )
    LaunchUnit.objects.bulk_create([
        LaunchUnit(launch=launch, unit_id=unit_id, token=secrets.token_urlsafe(TOKEN_BYTES),
                   rehearsal_token=secrets.token_urlsafe(TOKEN_BYTES), is_reserved=unit_id in reserved)
        for unit_id in wanted
    ])
    audit_record(action="launch.create", target=launch, actor=staff.user, project=project,
                 changes={"units": [None, len(offered) - len(reserved & set(offered))],
                          "reserved": [None, len(reserved)]})
    return launch


@transaction.atomic
def launch_list_freeze(*, staff: Staff, launch_id: int) -> Launch:
    """Freeze the eligible list — every active pledge of the project — and commit to a secret seed: both
    digests are published from now on; the list can no longer change."""
    launch = launch_get_for_staff(staff=staff, launch_id=launch_id, lock=True)
    if launch.list_frozen_at is not None:
        raise Conflict(_("The list of eligible buyers is frozen already."), code="frozen")
    pledges = list(Pledge.objects.filter(project=launch.project, status=PledgeStatus.ACTIVE).order_by("number"))
    if not pledges:
        raise Conflict(_("No buyer has an active pledge yet."), code="no_pledges")
    # Buyers put on the list before (by hand, or a freeze that was undone) stay on it, once.
    LaunchEntry.objects.bulk_create([LaunchEntry(launch=launch, pledge=pledge) for pledge in pledges],
                                    ignore_conflicts=True)
    launch.seed = lottery.seed_new()
    launch.seed_commitment = lottery.seed_commitment(launch.seed)
    launch.list_digest = lottery.list_digest(launch.entries.values_list("pledge__number", flat=True))
    launch.list_frozen_at = timezone.now()
    launch.save(update_fields=["seed", "seed_commitment", "list_digest", "list_frozen_at"])
    audit_record(action="launch.list_freeze", target=launch, actor=staff.user, project=launch.project,
                 changes={"list_digest": [None, launch.list_digest],
                          "seed_commitment": [None, launch.seed_commitment]})
    return launch


MAX_BATCHES = 200


@transaction.atomic
def launch_batches_set(*, staff: Staff, launch_id: int, size: int, minutes: int, gap_minutes: int = 0,
                       first_starts_at: datetime.datetime | None = None) -> list[LaunchBatch]:
    """分批选房: the frozen list in batches of `size` places in lottery order — places 1…size first, then the next —
    each selecting for `minutes`, `gap_minutes` apart, from `first_starts_at` (the launch's start when not given).
    Replaces the batches set before; only until the launch starts, and every window inside the launch's."""
    launch = launch_get_for_staff(staff=staff, launch_id=launch_id, lock=True)
    if launch.entry_order != EntryOrder.BATCHES:
        raise Conflict(_("This launch lets every buyer in at once; it has no batches."), field="entry_order")
    if timezone.now() >= launch.starts_at:
        raise Conflict(_("Batches cannot change once the launch has started."), code="started")
    if launch.list_frozen_at is None:
        raise Conflict(_("Freeze the list of eligible buyers first."), code="not_frozen")
    if not 1 <= size <= 100_000:
        raise ValidationFailed(_("A batch holds between 1 and 100,000 buyers."), field="size")
    if not 1 <= minutes <= 24 * 60:
        raise ValidationFailed(_("A batch selects for between 1 minute and a day."), field="minutes")
    if not 0 <= gap_minutes <= 24 * 60:
        raise ValidationFailed(_("The pause between batches is between 0 minutes and a day."), field="gap_minutes")
    first_starts_at = first_starts_at or launch.starts_at
    if first_starts_at < launch.starts_at:
        raise ValidationFailed(_("The first batch cannot start before the launch."), field="first_starts_at")
    if first_starts_at >= launch.ends_at:
        raise ValidationFailed(_("The first batch must start before the launch ends."), field="first_starts_at")
    buyers = launch.entries.count()
    count = -(-buyers // size)
    if count > MAX_BATCHES:
        raise ValidationFailed(_("That makes %(count)s batches; at most %(max)s.")
                               % {"count": count, "max": MAX_BATCHES}, field="size")
    step = datetime.timedelta(minutes=minutes + gap_minutes)
    batches = [LaunchBatch(launch=launch, number=n + 1, first_place=n * size + 1,
                           last_place=min(buyers, (n + 1) * size), starts_at=first_starts_at + n * step,
                           ends_at=first_starts_at + n * step + datetime.timedelta(minutes=minutes))
               for n in range(count)]
    if batches and batches[-1].ends_at > launch.ends_at:
        raise ValidationFailed(
            _("The last batch would end at %(time)s, after the launch ends; shorten the batches or make them larger.")
            % {"time": timezone.localtime(batches[-1].ends_at).strftime("%Y-%m-%d %H:%M")}, field="minutes")
    before = launch.batches.count()
    launch.batches.all().delete()
    batches = LaunchBatch.objects.bulk_create(batches)
    audit_record(action="launch.batches_set", target=launch, actor=staff.user, project=launch.project,
                 changes={"batches": [before, len(batches)], "size": size, "minutes": minutes,
                          "gap_minutes": gap_minutes, "first_starts_at": first_starts_at.isoformat()})
    return batches


def _frozen_numbers(launch: Launch) -> list[str]:
    if launch.list_frozen_at is None:
        raise Conflict(_("Freeze the list of eligible buyers first."), code="not_frozen")
    if launch.drawn_at is not None:
        raise Conflict(_("The lottery has been drawn already."), code="drawn")
    return list(launch.entries.values_list("pledge__number", flat=True))


def _places_write(launch: Launch, order: list[str]) -> None:
    place_of = {number: place for place, number in enumerate(order, start=1)}
    entries = list(launch.entries.select_related("pledge"))
    for entry in entries:
        entry.place = place_of[entry.pledge.number]
    LaunchEntry.objects.bulk_update(entries, ["place"], batch_size=1000)


@transaction.atomic
def launch_draw(*, staff: Staff, launch_id: int, public_value: str) -> lottery.DrawResult:
    """The draw: reveal the seed, mix in the value entered in public, write every buyer's place."""
    launch = launch_get_for_staff(staff=staff, launch_id=launch_id, lock=True)
    numbers = _frozen_numbers(launch)
    result = lottery.draw(numbers, launch.seed, public_value)
    if result.list_digest != launch.list_digest:  # the frozen list is constrained, but say so if it ever moved
        raise Conflict(_("The eligible list changed after it was frozen."), code="list_changed")
    _places_write(launch, result.order)
    launch.public_value, launch.drawn_at = public_value, timezone.now()
    launch.save(update_fields=["public_value", "drawn_at"])
    audit_record(action="launch.draw", target=launch, actor=staff.user, project=launch.project,
                 changes={"public_value": [None, public_value]})
    return result


@transaction.atomic
def launch_order_import(*, staff: Staff, launch_id: int, rows) -> list[str]:
    """An order drawn elsewhere (a notary's or the city's system): (place, pledge number) rows, every eligible
    buyer exactly once, all or nothing."""
    launch = launch_get_for_staff(staff=staff, launch_id=launch_id, lock=True)
    order = lottery.parse_external_order(rows, eligible=_frozen_numbers(launch))
    _places_write(launch, order)
    launch.drawn_at = timezone.now()
    launch.save(update_fields=["drawn_at"])
    audit_record(action="launch.order_import", target=launch, actor=staff.user, project=launch.project,
                 changes={"places": [None, len(order)]})
    return order


def launch_published_order(*, launch: Launch) -> list[str]:
    return list(launch.entries.filter(place__isnull=False).order_by("place").values_list("pledge__number",
                                                                                            flat=True))


def launch_anomalies(*, staff: Staff, launch_id: int, first_places: int = 10) -> list[lottery.Anomaly]:
    launch = launch_get_for_staff(staff=staff, launch_id=launch_id)
    order = launch_published_order(launch=launch)
    pledges = {pledge.number: pledge for pledge in Pledge.objects.filter(entries__launch=launch)}
    return lottery.anomalies(order, pledges_by_number=pledges, first_places=first_places)


@transaction.atomic
def launch_rehearsal_clear(*, staff: Staff, launch_id: int) -> int:
    """Clear the rehearsal (公测): its orders are deleted and every unit is free again for it."""
    launch = launch_get_for_staff(staff=staff, launch_id=launch_id, lock=True)
    deleted, _details = Order.objects.filter(launch=launch, is_rehearsal=True).delete()
    launch.launch_units.update(is_rehearsal_held=False)
    launch_units_reset(launch_id=launch.pk, rehearsal=True)
    audit_record(action="launch.rehearsal_clear", target=launch, actor=staff.user, project=launch.project,
                 changes={"orders": [deleted, 0]})
    return deleted
