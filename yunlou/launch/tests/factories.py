"""Pledged buyers and launches for tests: a launch of a building's available units, open now unless told."""

import datetime
import itertools
import secrets

from django.utils import timezone

from yunlou.catalogue.models import UnitStatus
from yunlou.core.id_numbers import check_character
from yunlou.launch.models import Launch, LaunchEntry, LaunchUnit, Pledge, PledgeStatus

_serial = itertools.count(1)


def id_number_for(serial: int) -> str:
    """A valid ID number (Beijing, born 1 January 1990) unique per serial."""
    first_17 = f"11010519900101{serial % 1000:03d}"
    return first_17 + check_character(first_17)


def pledge_make(project, *, name: str = "买家", phone: str | None = None, status=PledgeStatus.ACTIVE,
                **fields) -> Pledge:
    serial = next(_serial)
    return Pledge.objects.create(
        project=project, number=fields.pop("number", f"P{serial:05d}"), name=f"{name}{serial}",
        phone=phone or f"137{serial:08d}", id_number=fields.pop("id_number", id_number_for(serial)),
        amount=fields.pop("amount", 5_000_000), status=status, **fields,
    )


def launch_make(project, *, units, pledges=(), reserved=(), starts_in_minutes: int = -1, minutes: int = 60,
                **fields) -> Launch:
    """A launch offering `units` (made available) to `pledges`, starting `starts_in_minutes` from now."""
    starts_at = timezone.now() + datetime.timedelta(minutes=starts_in_minutes)
    launch = Launch.objects.create(project=project, name=fields.pop("name", "首次开盘"), starts_at=starts_at,
                                   ends_at=starts_at + datetime.timedelta(minutes=minutes), **fields)
    for unit in [*units, *reserved]:
        unit.status = UnitStatus.AVAILABLE
        unit.save(update_fields=["status"])
        LaunchUnit.objects.create(launch=launch, unit=unit, token=secrets.token_urlsafe(16),
                                  rehearsal_token=secrets.token_urlsafe(16), is_reserved=unit in reserved)
    for place, pledge in enumerate(pledges, start=1):
        LaunchEntry.objects.create(launch=launch, pledge=pledge, place=place)
    return launch


def token_of(launch: Launch, unit, *, rehearsal: bool = False) -> str:
    row = LaunchUnit.objects.get(launch=launch, unit=unit)
    return row.rehearsal_token if rehearsal else row.token
