"""选房: a pledged buyer claims a unit in an open launch; the hold lapses unless confirmed in time.

The rule that makes a stampede safe: a claim is one conditional UPDATE of the unit — it changes a row only while
the unit is still available — plus the order row, in one transaction. Of any number of buyers pressing at the
same instant exactly one UPDATE finds the unit available; the others change nothing and are told at once that
it is taken. The order row's partial unique indexes are the second wall: one active order per unit, and each
buyer's active orders numbered 1…limit, so a buyer on two devices cannot exceed the limit either. Nothing is
locked beyond the one unit row, and only for the instant of the UPDATE.

Rehearsal claims (公测) change the launch unit's own flag instead of the unit, and their orders are kept apart
by `is_rehearsal`, so a rehearsal never touches what buyers see on the real grid.

A hold whose deposit has arrived no longer lapses (the money is in; the form may still be signing).
Holds lapse by a Celery beat sweep (`order_holds_expire`) and lazily wherever an order is read
(`hold_expire_overdue`), so the answer is right even when no worker runs.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict, Forbidden, NotFound
from yunlou.launch.models import (
    ACTIVE_ORDER_STATUSES,
    EntryOrder,
    Launch,
    LaunchBatch,
    LaunchEntry,
    LaunchUnit,
    Order,
    OrderStatus,
    Pledge,
    PledgeStatus,
)
from yunlou.launch.tap_reads import Tap, TapUnit, prepared_cursor, tap_read
from yunlou.live.publish import order_unit_changed


def _selection_window_check(*, launch: Launch, entry: LaunchEntry, batch: LaunchBatch | None,
                            now: datetime.datetime) -> bool:
    """Whether `entry`'s buyer may select now (`batch`: the one of their lottery place, if any); returns True in
    the rehearsal, raises outside every window."""
    rehearsal = launch.is_rehearsing(now)
    if not rehearsal:
        if now < launch.starts_at:
            raise Conflict(_("Selection has not started yet."), code="not_started")
        if now >= launch.ends_at:
            raise Conflict(_("Selection has ended."), code="ended")
    if launch.entry_order == EntryOrder.BATCHES and not rehearsal:
        if entry.place is None:
            raise Conflict(_("The lottery has not been drawn yet."), code="not_drawn")
        if batch is None:
            raise Forbidden(_("Your place in the lottery is in no batch of this launch."), code="no_batch")
        if now < batch.starts_at:
            raise Conflict(_("Your batch starts at %(time)s.")
                           % {"time": timezone.localtime(batch.starts_at).strftime("%H:%M")}, code="batch_not_started")
        if now >= batch.ends_at:
            raise Conflict(_("Your batch has ended."), code="batch_ended")
    return rehearsal


def _unit_hold(*, unit_id: int, launch: Launch, place: int | None, now: datetime.datetime) -> int:
    """The claim itself: one conditional UPDATE that holds the unit only while it is available and the launch —
    and with batches, the buyer's batch — is open at `now` (a launch closed or moved by its manager a moment ago
    sells nothing). Returns the rows changed: 1 held, 0 someone was faster. Prepared on PostgreSQL."""
    batch_open = ""
    params = [UnitStatus.HELD, now, unit_id, UnitStatus.AVAILABLE, launch.pk, now, now]
    if launch.entry_order == EntryOrder.BATCHES:
        batch_open = (f"AND EXISTS (SELECT 1 FROM {LaunchBatch._meta.db_table} b WHERE b.launch_id = %s "
                      "AND b.first_place <= %s AND b.last_place >= %s AND b.starts_at <= %s AND b.ends_at > %s)")
        params += [launch.pk, place, place, now, now]
    sql = (f"UPDATE {Unit._meta.db_table} SET status = %s, status_changed_at = %s WHERE id = %s AND status = %s "
           f"AND EXISTS (SELECT 1 FROM {Launch._meta.db_table} l WHERE l.id = %s AND l.starts_at <= %s "
           f"AND l.ends_at > %s) {batch_open}")
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def launch_entry_or_refuse(*, launch_id: int, pledge: Pledge) -> LaunchEntry:
    """The pledge's entry on the launch's list, with both; refused with the reason when there is none."""
    launch = Launch.objects.select_related("project").filter(pk=launch_id).first()
    if launch is None or pledge.project_id != launch.project_id:
        raise NotFound(_("No such launch."))
    if pledge.status != PledgeStatus.ACTIVE:
        raise Forbidden(_("Only buyers with a paid pledge can select."), code="not_pledged")
    entry = LaunchEntry.objects.filter(launch=launch, pledge=pledge).first()
    if entry is None:
        raise Forbidden(_("You are not on this launch's list of eligible buyers."), code="not_eligible")
    entry.launch, entry.pledge = launch, pledge
    return entry


def unit_claim(*, launch_id: int, pledge: Pledge, token: str, now: datetime.datetime | None = None) -> Order:
    """Hold the unit behind `token` for `pledge`'s buyer; raise Conflict("taken") when someone was faster."""
    launch_entry_or_refuse(launch_id=launch_id, pledge=pledge)
    tap = tap_read(launch_id=launch_id, token=token, pledge_id=pledge.pk)
    tap.entry.pledge = pledge
    return tap_claim(tap=tap, token=token, now=now)


def _taken(following: list[TapUnit]) -> Conflict:
    """"Someone was faster", with the buyer's next favourite still available to offer at once."""
    refused = Conflict(_("Someone else has just taken this unit."), field="unit", code="taken")
    best = following[0] if following else None
    refused.details = {"next": None if best is None else {
        "unit_id": best.unit_id, "code": best.code, "building": best.building, "floor": best.floor,
        "area": str(best.area), "price": best.price, "status": UnitStatus.AVAILABLE,
        "token": best.token, "favourite_rank": best.favourite_rank}}
    return refused


def tap_claim(*, tap: Tap, token: str, now: datetime.datetime | None = None) -> Order:
    """`unit_claim` from what `tap_read` found — the hot path. A unit already gone is refused from the read,
    before any transaction, with the buyer's next favourite; the conditional UPDATE decides every other race."""
    now = now or timezone.now()
    entry = tap.entry
    launch, pledge = entry.launch, entry.pledge
    rehearsal = _selection_window_check(launch=launch, entry=entry, batch=tap.batch, now=now)
    offered, following = tap.offered(token, rehearsal=rehearsal)
    if offered is None:
        raise NotFound(_("No such unit in this launch."), field="unit")
    if offered.status != UnitStatus.AVAILABLE:
        raise _taken(following)
    unit = offered.as_unit()  # with the filed price (一房一价), read with the token

    with transaction.atomic():
        if (tap.rehearsal_orders if rehearsal else tap.real_orders) == 0:
            free_slots = list(range(1, launch.per_buyer_limit + 1))  # as the read found; the index has the last word
        else:
            slots = set(Order.objects.filter(launch=launch, pledge=pledge, is_rehearsal=rehearsal,
                                             status__in=ACTIVE_ORDER_STATUSES).values_list("slot", flat=True))
            free_slots = [slot for slot in range(1, launch.per_buyer_limit + 1) if slot not in slots]
        if not free_slots:
            raise Conflict(_("You already hold as many units as this launch allows (%(limit)s).")
                           % {"limit": launch.per_buyer_limit}, code="limit_reached")

        if rehearsal:
            taken = LaunchUnit.objects.filter(pk=offered.launch_unit_id, is_rehearsal_held=False).update(
                is_rehearsal_held=True)
        else:
            taken = _unit_hold(unit_id=unit.pk, launch=launch, place=entry.place, now=now)
        if taken != 1:
            raise _taken(following)

        try:
            # No savepoint: a refusal here undoes the whole transaction (the unit goes back) by raising.
            order = Order.objects.create(
                launch=launch, unit=unit, pledge=pledge, is_rehearsal=rehearsal, slot=free_slots[0],
                buyer_limit=launch.per_buyer_limit, price=unit.list_price, held_at=now,
                held_until=now + datetime.timedelta(minutes=launch.hold_minutes),
            )
        except IntegrityError:
            # The same buyer won another unit on another device a moment ago and took this slot.
            raise Conflict(_("You already hold as many units as this launch allows (%(limit)s).")
                           % {"limit": launch.per_buyer_limit}, code="limit_reached") from None
        if not rehearsal:
            audit_record(action="order.hold", target=order, project=launch.project, actor=pledge.buyer,
                         changes={"unit": [None, unit.pk]})
        order_unit_changed(order)
    return order


def _order_expire(order_id: int, *, now: datetime.datetime) -> bool:
    """Expire one held order whose time is up, and free its unit; False when it is no longer held and overdue."""
    with transaction.atomic():
        order = (Order.objects.select_for_update().select_related("launch__project")
                 .filter(pk=order_id, status=OrderStatus.HELD, held_until__lte=now, deposit_paid_at__isnull=True)
                 .first())
        if order is None:
            return False
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.EXPIRED, ended_at=now)
        if order.is_rehearsal:
            LaunchUnit.objects.filter(launch_id=order.launch_id, unit_id=order.unit_id).update(
                is_rehearsal_held=False)
        else:
            Unit.objects.filter(pk=order.unit_id, status=UnitStatus.HELD).update(
                status=UnitStatus.AVAILABLE, status_changed_at=now)
            audit_record(action="order.hold_expire", target=order, project=order.launch.project)
        order_unit_changed(order)
        return True


def hold_expire_overdue(order: Order, *, now: datetime.datetime | None = None) -> Order:
    """`order` as it stands, after expiring its hold if its time is up (reads call this: lazy expiry)."""
    now = now or timezone.now()
    if (order.status == OrderStatus.HELD and order.held_until <= now and order.deposit_paid_at is None
            and _order_expire(order.pk, now=now)):
        order.refresh_from_db()
    return order


def order_holds_expire(*, now: datetime.datetime | None = None, limit: int = 1000) -> int:
    """Expire every overdue hold (the beat sweep); returns how many."""
    now = now or timezone.now()
    overdue = list(Order.objects.filter(status=OrderStatus.HELD, held_until__lte=now, deposit_paid_at__isnull=True)
                   .order_by("held_until").values_list("pk", flat=True)[:limit])
    return sum(_order_expire(order_id, now=now) for order_id in overdue)
