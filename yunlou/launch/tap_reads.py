"""The one read behind a buyer's tap (选房), written in SQL because a stampede makes thousands of them a second.

Through the ORM the reads a tap needs cost more in building their queries than the database took to answer them
(measured with cProfile on bench/launch.py's data: about 1.5 ms of Python per read against 0.3 ms in
PostgreSQL). Here one plain statement on the models' own tables, for PostgreSQL and SQLite alike, reads
everything a tap decides with: the buyer's place on the launch's list, the launch (and the project's organisation,
for the audit), the active pledge, the batch of the buyer's lottery place, the unit behind the tapped token and
the buyer's favourites with their current status — so that "taken, here is your next favourite" costs no second
read. It returns the model objects and values the ORM would. Everything the tap then writes goes through the ORM
and the database's constraints. On PostgreSQL the statement is prepared once per connection.
"""

from dataclasses import dataclass
from decimal import Decimal

from yunlou.catalogue.models import Building, Project, Unit, UnitStatus
from yunlou.core.sql import moment as _moment
from yunlou.core.sql import prepared_cursor
from yunlou.core.sql import table as _table
from yunlou.launch.models import (
    ACTIVE_ORDER_STATUSES,
    Favourite,
    Launch,
    LaunchBatch,
    LaunchEntry,
    LaunchUnit,
    Order,
    Pledge,
    PledgeStatus,
)


@dataclass(frozen=True)
class TapUnit:
    """An offered unit as a tap sees it, in the real launch or in its rehearsal (status and token the
    rehearsal's there)."""

    launch_unit_id: int
    unit_id: int
    code: str
    building: str
    floor: int
    area: Decimal
    price: int  # the filed price (一房一价), fen
    status: str
    token: str
    favourite_rank: int | None

    def as_unit(self) -> Unit:
        """The catalogue unit as far as a claim needs it (the order's unit and price)."""
        unit = Unit(id=self.unit_id, code=self.code, floor=self.floor, area=self.area, list_price=self.price,
                    status=self.status)
        unit._state.adding = False
        return unit


@dataclass(frozen=True)
class Tap:
    """What one read found: the buyer's entry (with `.launch` and `.pledge`) and the offered units the tap may
    need — the one behind the token, if it is offered, and the buyer's favourites — as raw rows."""

    entry: LaunchEntry
    real_orders: int  # the buyer's orders in this launch still held, subscribed or signed
    rehearsal_orders: int  # the same in its rehearsal
    batch: LaunchBatch | None  # the batch of the entry's lottery place, when the launch lets buyers in by batches
    rows: list[tuple]

    def units(self, *, rehearsal: bool) -> list[TapUnit]:
        units = []
        for (launch_unit_id, unit_id, code, building, floor, area, price, status, rehearsal_held, token,
             rehearsal_token, rank) in self.rows:
            if rehearsal:
                status, token = (UnitStatus.HELD if rehearsal_held else UnitStatus.AVAILABLE), rehearsal_token
            units.append(TapUnit(launch_unit_id=launch_unit_id, unit_id=unit_id, code=code, building=building,
                                 floor=floor, area=Decimal(str(area)).quantize(Decimal("0.01")), price=price,
                                 status=status, token=token, favourite_rank=rank))
        return units

    def offered(self, token: str, *, rehearsal: bool) -> tuple[TapUnit | None, list[TapUnit]]:
        """(the offered unit behind `token`, or None — a reserved unit's token finds nothing, like an unknown
        one; the buyer's other favourites still available, most wanted first)."""
        units = self.units(rehearsal=rehearsal)
        found = next((unit for unit in units if unit.token == token), None)
        following = sorted((unit for unit in units if unit is not found and unit.favourite_rank is not None
                            and unit.status == UnitStatus.AVAILABLE), key=lambda unit: unit.favourite_rank)
        return found, following


_UNIT_COLUMN = 20  # where a row's unit columns begin, after those of the entry, launch, pledge, batch, orders


def tap_read(*, launch_id: int, token: str, user_id: int | None = None, pledge_id: int | None = None) -> Tap | None:
    """Everything a tap on `token` decides with, for the buyer `user_id` (their active pledge, on a published
    project) or for the pledge `pledge_id` (already checked by the caller); None when the buyer is not on the
    launch's list."""
    if user_id is not None:
        owner, owner_params = "pl.buyer_id = %s AND pl.status = %s AND p.is_published", [user_id, PledgeStatus.ACTIVE]
        favourites_of = f"w.pledge_id IN (SELECT o.id FROM {_table(Pledge)} o WHERE o.buyer_id = %s)"
        favourites_params = [user_id]
    else:
        owner, owner_params = "pl.id = %s", [pledge_id]
        favourites_of, favourites_params = "w.pledge_id = %s", [pledge_id]
    # x: the launch-unit rows wanted — the one behind the token (either the real or the rehearsal one) and the
    # buyer's favourites with their ranks; each found by its own index, then joined to the entry.
    active = ", ".join(f"'{status}'" for status in ACTIVE_ORDER_STATUSES)  # the model's constants, not input
    sql = f"""
        SELECT e.id, e.place, l.project_id, l.starts_at, l.ends_at, l.per_buyer_limit, l.hold_minutes,
               l.entry_order, l.rehearsal_starts_at, l.rehearsal_ends_at, p.organization_id, pl.id, pl.buyer_id,
               pl.status, bt.id, bt.number, bt.starts_at, bt.ends_at,
               (SELECT COUNT(*) FROM {_table(Order)} o WHERE o.launch_id = e.launch_id AND o.pledge_id = pl.id
                   AND NOT o.is_rehearsal AND o.status IN ({active})),
               (SELECT COUNT(*) FROM {_table(Order)} o WHERE o.launch_id = e.launch_id AND o.pledge_id = pl.id
                   AND o.is_rehearsal AND o.status IN ({active})),
               lu.id, u.id, u.code, b.number, u.floor, u.area, u.list_price, u.status, lu.is_rehearsal_held,
               lu.token, lu.rehearsal_token, x.favourite_rank
          FROM {_table(LaunchEntry)} e
          JOIN {_table(Launch)} l ON l.id = e.launch_id
          JOIN {_table(Project)} p ON p.id = l.project_id
          JOIN {_table(Pledge)} pl ON pl.id = e.pledge_id AND pl.project_id = l.project_id
          LEFT JOIN {_table(LaunchBatch)} bt
                 ON bt.id = (SELECT c.id FROM {_table(LaunchBatch)} c
                              WHERE c.launch_id = e.launch_id AND c.first_place <= e.place AND c.last_place >= e.place
                              ORDER BY c.number LIMIT 1)
          LEFT JOIN (SELECT t.id AS launch_unit_id, NULL AS pledge_id, NULL AS favourite_rank
                       FROM {_table(LaunchUnit)} t
                      WHERE t.launch_id = %s AND (t.token = %s OR t.rehearsal_token = %s)
                     UNION ALL
                     SELECT w.launch_unit_id, w.pledge_id, w.rank
                       FROM {_table(Favourite)} w
                      WHERE w.launch_id = %s AND {favourites_of}) x
                 ON x.pledge_id IS NULL OR x.pledge_id = pl.id
          LEFT JOIN {_table(LaunchUnit)} lu ON lu.id = x.launch_unit_id AND NOT lu.is_reserved
          LEFT JOIN {_table(Unit)} u ON u.id = lu.unit_id
          LEFT JOIN {_table(Building)} b ON b.id = u.building_id
         WHERE e.launch_id = %s AND {owner}"""
    with prepared_cursor() as cursor:
        cursor.execute(sql, [launch_id, token, token, launch_id, *favourites_params, launch_id, *owner_params])
        rows = cursor.fetchall()
    if not rows:
        return None
    (entry_id, place, project_id, starts_at, ends_at, limit, hold_minutes, entry_order, rehearsal_starts_at,
     rehearsal_ends_at, organization_id, pledge_id, buyer_id, pledge_status, batch_id, batch_number,
     batch_starts_at, batch_ends_at, real_orders, rehearsal_orders) = rows[0][:_UNIT_COLUMN]
    project = Project(id=project_id, organization_id=organization_id)
    launch = Launch(id=launch_id, project=project, starts_at=_moment(starts_at), ends_at=_moment(ends_at),
                    per_buyer_limit=limit, hold_minutes=hold_minutes, entry_order=entry_order,
                    rehearsal_starts_at=_moment(rehearsal_starts_at), rehearsal_ends_at=_moment(rehearsal_ends_at))
    pledge = Pledge(id=pledge_id, project_id=project_id, buyer_id=buyer_id, status=pledge_status)
    entry = LaunchEntry(id=entry_id, launch=launch, pledge=pledge, place=place)
    batch = None if batch_id is None else LaunchBatch(
        id=batch_id, launch=launch, number=batch_number, starts_at=_moment(batch_starts_at),
        ends_at=_moment(batch_ends_at))
    for instance in (project, launch, pledge, entry, batch):
        if instance is not None:
            instance._state.adding = False  # rows read from the database, as the ORM would mark them
    units: dict[int, tuple] = {}  # each offered unit once: the tapped one may also be a favourite, with its rank
    for row in rows:
        unit_row = row[_UNIT_COLUMN:]
        if unit_row[0] is not None and (unit_row[0] not in units or unit_row[-1] is not None):
            units[unit_row[0]] = unit_row
    return Tap(entry=entry, real_orders=real_orders, rehearsal_orders=rehearsal_orders, batch=batch,
               rows=list(units.values()))
