"""The buyer's side of a launch: their pledge, the grid they see, favourites (收藏) and selection with the next
favourite offered when a unit is taken.

A pledge imported by the sales office has no account yet; it is joined to the buyer's account the first time they
log in with its phone. Unit tokens are handed out only while the buyer may select (the launch or its rehearsal is
open and they are on its list), so before the start a script has nothing to aim at.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.catalogue.models import UnitStatus
from yunlou.core import ratelimit
from yunlou.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from yunlou.launch.models import (
    EntryOrder,
    Favourite,
    Launch,
    LaunchBatch,
    LaunchEntry,
    LaunchUnit,
    Order,
    Pledge,
    PledgeStatus,
)
from yunlou.launch.services.selection import launch_entry_or_refuse, tap_claim
from yunlou.launch.tap_reads import tap_read

MAX_FAVOURITES = 20
SELECTIONS_PER_BUYER_PER_SECOND = 5
SELECTIONS_PER_IP_PER_SECOND = 200  # a sales office's Wi-Fi puts many buyers behind one address


def buyer_pledge(*, user, project_id: int) -> Pledge | None:
    """The buyer's pledge for the project (active or awaiting payment), joining an imported one by phone."""
    if user is None or not user.is_authenticated:
        return None
    pledge = Pledge.objects.filter(project_id=project_id, buyer=user).exclude(status=PledgeStatus.REFUNDED).first()
    if pledge is None and user.phone_hash:
        Pledge.objects.filter(project_id=project_id, phone_hash=user.phone_hash, buyer__isnull=True).exclude(
            status=PledgeStatus.REFUNDED).update(buyer=user)
        pledge = Pledge.objects.filter(project_id=project_id, buyer=user).exclude(
            status=PledgeStatus.REFUNDED).first()
    return pledge


def entry_batch(launch: Launch, entry: LaunchEntry | None) -> LaunchBatch | None:
    """分批选房: the batch the buyer's lottery place falls in (None before the draw, or without batches) — the
    lowest-numbered one covering the place, as the tap's read (tap_reads) finds it."""
    if entry is None or entry.place is None or launch.entry_order != EntryOrder.BATCHES:
        return None
    return (LaunchBatch.objects.filter(launch=launch, first_place__lte=entry.place, last_place__gte=entry.place)
            .order_by("number").first())


def launch_public_get(*, launch_id: int) -> Launch:
    launch = Launch.objects.select_related("project").filter(pk=launch_id, project__is_published=True).first()
    if launch is None:
        raise NotFound(_("No such launch."), field="launch_id")
    return launch


@dataclass(frozen=True)
class GridUnit:
    unit_id: int
    code: str
    building: str
    floor: int
    area: str
    price: int
    status: str
    token: str | None
    favourite_rank: int | None


def buyer_may_select(*, launch: Launch, pledge: Pledge | None, now: datetime.datetime) -> bool:
    return bool(pledge and pledge.status == PledgeStatus.ACTIVE
                and (launch.is_open(now) or launch.is_rehearsing(now))
                and LaunchEntry.objects.filter(launch=launch, pledge=pledge).exists())


def launch_grid(*, launch: Launch, pledge: Pledge | None, now: datetime.datetime | None = None) -> list[GridUnit]:
    """Every offered unit as the buyer sees it; tokens only while this buyer may select."""
    now = now or timezone.now()
    reveal = buyer_may_select(launch=launch, pledge=pledge, now=now)
    rehearsal = launch.is_rehearsing(now)
    ranks = dict(Favourite.objects.filter(launch=launch, pledge=pledge).values_list("launch_unit_id", "rank")
                 ) if pledge else {}
    rows = (LaunchUnit.objects.filter(launch=launch, is_reserved=False)
            .select_related("unit__building").order_by("unit__building__number", "-unit__floor", "unit__position"))
    grid = []
    for row in rows:
        unit = row.unit
        status = unit.status
        if rehearsal:
            status = UnitStatus.HELD if row.is_rehearsal_held else UnitStatus.AVAILABLE
        grid.append(GridUnit(unit_id=unit.pk, code=unit.code, building=unit.building.number, floor=unit.floor,
                             area=str(unit.area), price=unit.list_price, status=status,
                             token=(row.rehearsal_token if rehearsal else row.token) if reveal else None,
                             favourite_rank=ranks.get(row.pk)))
    return grid


@transaction.atomic
def favourites_set(*, pledge: Pledge, launch_id: int, unit_ids: list[int]) -> list[Favourite]:
    """The buyer's favourites in order of preference (replacing the earlier list); up to 20 offered units."""
    launch = launch_public_get(launch_id=launch_id)
    if pledge.project_id != launch.project_id:
        raise NotFound(_("No such launch."), field="launch_id")
    if timezone.now() >= launch.ends_at:
        raise Conflict(_("Selection has ended."), code="ended")
    unit_ids = list(dict.fromkeys(unit_ids))
    if len(unit_ids) > MAX_FAVOURITES:
        raise ValidationFailed(_("At most %(count)s favourites.") % {"count": MAX_FAVOURITES}, field="unit_ids")
    offered = dict(LaunchUnit.objects.filter(launch=launch, is_reserved=False, unit_id__in=unit_ids)
                   .values_list("unit_id", "pk"))
    unknown = [unit_id for unit_id in unit_ids if unit_id not in offered]
    if unknown:
        raise ValidationFailed(_("These are not units of this launch: %(ids)s.")
                               % {"ids": ", ".join(map(str, unknown[:10]))}, field="unit_ids")
    Favourite.objects.filter(launch=launch, pledge=pledge).delete()
    return Favourite.objects.bulk_create([
        Favourite(launch=launch, pledge=pledge, launch_unit_id=offered[unit_id], rank=rank)
        for rank, unit_id in enumerate(unit_ids, start=1)
    ])


def buyer_select(*, user, launch_id: int, token: str, ip: str | None) -> Order:
    """One tap: the unit held, or — when someone was faster — Conflict("taken") carrying the next favourite
    still available in its details (`tap_claim`). Limited per buyer and per network against selection scripts."""
    ratelimit.hit_all(
        (f"select:user:{user.pk}", SELECTIONS_PER_BUYER_PER_SECOND, _("Too many taps; please wait a second.")),
        *([(f"select:ip:{ip}", SELECTIONS_PER_IP_PER_SECOND,
            _("Too many requests from your network; please wait a second."))] if ip else []),
        window_seconds=1)
    tap = tap_read(launch_id=launch_id, token=token, user_id=user.pk)
    if tap is None:  # not the everyday case: say exactly why (no launch, no pledge, not on the list)
        launch = launch_public_get(launch_id=launch_id)
        pledge = buyer_pledge(user=user, project_id=launch.project_id)
        if pledge is None:
            raise Forbidden(_("Pledge for this project first."), code="not_pledged")
        launch_entry_or_refuse(launch_id=launch.pk, pledge=pledge)
        tap = tap_read(launch_id=launch.pk, token=token, pledge_id=pledge.pk)
    tap.entry.pledge.buyer = user  # the audit's actor, without reading the account again
    return tap_claim(tap=tap, token=token)
