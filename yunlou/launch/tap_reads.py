"""The two reads behind a buyer's tap (选房), written in SQL because a stampede makes thousands of them a second.

Through the ORM each cost more in building its query than the database took to answer it (measured with
cProfile on bench/launch.py's data: about 1.5 ms of Python per read against 0.3 ms in PostgreSQL). Here they are
plain statements on the models' own tables, for PostgreSQL and SQLite alike, returning the same model objects
and values the ORM would:

- `tap_entry`: the buyer's place on the launch's list, with the launch (and the project's organisation, for the
  audit) and the active pledge — None when any of it is missing, and the caller then finds out which;
- `tap_units`: the unit behind the tapped token, and the buyer's favourites still available, most wanted first —
  what the answer "taken, here is your next favourite" needs, in the same read.

Everything the tap then writes goes through the ORM and the database's constraints as before.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils.dateparse import parse_datetime

from yunlou.catalogue.models import Building, Project, Unit, UnitStatus
from yunlou.launch.models import Favourite, Launch, LaunchEntry, LaunchUnit, Pledge, PledgeStatus


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _moment(value) -> datetime.datetime | None:
    """A timestamp as the ORM gives it: aware. SQLite hands raw statements naive datetimes (or text) in UTC."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def tap_entry(*, launch_id: int, user_id: int) -> LaunchEntry | None:
    """The user's entry on the published launch's list, with `.launch` (its `.project` holding only the
    organisation) and `.pledge` (active) attached; None when there is none."""
    sql = f"""
        SELECT e.id, e.place,
               l.project_id, l.starts_at, l.ends_at, l.per_buyer_limit, l.hold_minutes, l.entry_order,
               l.rehearsal_starts_at, l.rehearsal_ends_at, p.organization_id, pl.id
          FROM {_table(LaunchEntry)} e
          JOIN {_table(Launch)} l ON l.id = e.launch_id
          JOIN {_table(Project)} p ON p.id = l.project_id
          JOIN {_table(Pledge)} pl ON pl.id = e.pledge_id
         WHERE e.launch_id = %s AND pl.buyer_id = %s AND pl.project_id = l.project_id AND pl.status = %s
           AND p.is_published"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [launch_id, user_id, PledgeStatus.ACTIVE])
        row = cursor.fetchone()
    if row is None:
        return None
    (entry_id, place, project_id, starts_at, ends_at, limit, hold_minutes, entry_order, rehearsal_starts_at,
     rehearsal_ends_at, organization_id, pledge_id) = row
    project = Project(id=project_id, organization_id=organization_id)
    launch = Launch(id=launch_id, project=project, starts_at=_moment(starts_at), ends_at=_moment(ends_at),
                    per_buyer_limit=limit, hold_minutes=hold_minutes, entry_order=entry_order,
                    rehearsal_starts_at=_moment(rehearsal_starts_at), rehearsal_ends_at=_moment(rehearsal_ends_at))
    pledge = Pledge(id=pledge_id, project_id=project_id, buyer_id=user_id, status=PledgeStatus.ACTIVE)
    for instance in (project, launch, pledge):
        instance._state.adding = False  # rows read from the database, as the ORM would mark them
    entry = LaunchEntry(id=entry_id, launch=launch, pledge=pledge, place=place)
    entry._state.adding = False
    return entry


@dataclass(frozen=True)
class TapUnit:
    """An offered unit as a tap sees it: its status in the real launch or the rehearsal."""

    launch_unit_id: int
    unit: Unit  # id, code, floor, area, list price and status (the rehearsal's, in the rehearsal)
    building: str
    token: str
    favourite_rank: int | None


def tap_units(*, launch_id: int, pledge_id: int, token: str, rehearsal: bool) -> tuple[TapUnit | None,
                                                                                         list[TapUnit]]:
    """(the offered unit behind `token` or None, the buyer's other favourites still available by rank, up to 3).

    A reserved unit is not offered: its token finds nothing, exactly like an unknown one."""
    token_column = "rehearsal_token" if rehearsal else "token"
    status = (f"CASE WHEN lu.is_rehearsal_held THEN '{UnitStatus.HELD}' ELSE '{UnitStatus.AVAILABLE}' END"
              if rehearsal else "u.status")
    sql = f"""
        SELECT lu.id, u.id, u.code, b.number, u.floor, u.area, u.list_price, {status}, lu.{token_column}, f.rank
          FROM {_table(LaunchUnit)} lu
          JOIN {_table(Unit)} u ON u.id = lu.unit_id
          JOIN {_table(Building)} b ON b.id = u.building_id
          LEFT JOIN {_table(Favourite)} f ON f.launch_unit_id = lu.id AND f.launch_id = lu.launch_id
                                          AND f.pledge_id = %s
         WHERE lu.launch_id = %s AND NOT lu.is_reserved
           AND (lu.{token_column} = %s OR (f.id IS NOT NULL AND {status} = %s))
         ORDER BY CASE WHEN lu.{token_column} = %s THEN 0 ELSE 1 END, f.rank
         LIMIT 4"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [pledge_id, launch_id, token, UnitStatus.AVAILABLE, token])
        rows = cursor.fetchall()
    units = []
    for launch_unit_id, unit_id, code, building, floor, area, price, unit_status, unit_token, rank in rows:
        unit = Unit(id=unit_id, code=code, floor=floor, area=Decimal(str(area)).quantize(Decimal("0.01")),
                    list_price=price, status=unit_status)
        unit._state.adding = False
        units.append(TapUnit(launch_unit_id=launch_unit_id, unit=unit, building=building, token=unit_token,
                             favourite_rank=rank))
    if units and units[0].token == token:
        return units[0], units[1:]
    return None, units[:3]
