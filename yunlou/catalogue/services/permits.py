"""预售许可证: recording the permit that lets a project's buildings be sold.

The housing authority issues a presale permit for one or more buildings, and the developer files a price
list (一房一价) with it; the units of a building may be offered only once its permit is recorded, and then
at the filed prices. A building keeps the permit it was first given: a wrong permit is corrected in the
admin, not silently replaced here.
"""

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.permissions import MANAGE_CATALOGUE
from yunlou.accounts.staff import Staff
from yunlou.catalogue.models import Building, PresalePermit, PriceListVersion, Project
from yunlou.catalogue.selectors import project_get
from yunlou.catalogue.services.price_list.cells import text
from yunlou.core.audit import audit_record
from yunlou.core.errors import Forbidden, ValidationFailed

MAX_NUMBER = PresalePermit._meta.get_field("number").max_length
MAX_AUTHORITY = PresalePermit._meta.get_field("authority").max_length
CURRENT_VERSION = object()  # the default for `price_list_version_id`: the version in force


@transaction.atomic
def presale_permit_record(
    *,
    staff: Staff,
    project_id: int,
    number: str,
    issued_on: datetime.date | None,
    authority: str,
    building_ids: Iterable[int],
    price_list_version_id: int | None | object = CURRENT_VERSION,
    request: HttpRequest | None = None,
) -> PresalePermit:
    """Record a permit for some of the project's buildings with the price-list version filed with it
    (by default the version in force; None when no list was filed)."""
    if not staff.can(MANAGE_CATALOGUE):
        raise Forbidden(_("Your role may not change this project's catalogue."))
    project = project_get(staff=staff, project_id=project_id)
    # One permit at a time per project, so that two managers recording the same number meet here.
    Project.objects.select_for_update().filter(pk=project.pk).first()

    number, authority = text(number), text(authority)
    if not number:
        raise ValidationFailed(_("Give the permit number."), field="number")
    if len(number) > MAX_NUMBER:
        raise ValidationFailed(_("The permit number is at most %(max)s characters.") % {"max": MAX_NUMBER},
                               field="number")
    if PresalePermit.objects.filter(project=project, number=number).exists():
        raise ValidationFailed(_("Permit %(number)s is already recorded for this project.") % {"number": number},
                               field="number")
    if issued_on is None:
        raise ValidationFailed(_("Give the date of issue."), field="issued_on")
    if issued_on > timezone.localdate():
        raise ValidationFailed(_("The date of issue cannot be in the future."), field="issued_on")
    if not authority:
        raise ValidationFailed(_("Give the authority that issued the permit."), field="authority")
    if len(authority) > MAX_AUTHORITY:
        raise ValidationFailed(_("The issuing authority is at most %(max)s characters.") % {"max": MAX_AUTHORITY},
                               field="authority")

    wanted = set(building_ids)
    buildings = list(Building.objects.select_for_update().filter(project=project, pk__in=wanted).order_by("pk"))
    if not wanted:
        raise ValidationFailed(_("Choose the buildings the permit covers."), field="buildings")
    if len(buildings) != len(wanted):
        raise ValidationFailed(_("Choose buildings of this project."), field="buildings")
    permitted = [b for b in buildings if b.presale_permit_id is not None]
    if permitted:
        raise ValidationFailed(_("%(buildings)s already have a presale permit; a recorded permit is corrected in "
                                 "the admin.") % {"buildings": "、".join(str(b) for b in permitted)},
                               field="buildings")

    versions = PriceListVersion.objects.filter(project=project)
    if price_list_version_id is CURRENT_VERSION:
        version = versions.order_by("-number").first()
    elif price_list_version_id is None:
        version = None
    else:
        version = versions.filter(pk=price_list_version_id).first()
        if version is None:
            raise ValidationFailed(_("Choose one of this project's price-list versions."),
                                   field="price_list_version")

    permit = PresalePermit.objects.create(project=project, number=number, issued_on=issued_on, authority=authority,
                                          price_list_version=version)
    Building.objects.filter(pk__in=[b.pk for b in buildings]).update(presale_permit=permit)
    audit_record(
        action="presale_permit.record", target=permit, actor=staff.user, project=project,
        changes={"number": number, "issued_on": issued_on.isoformat(), "authority": authority,
                 "buildings": [str(b) for b in buildings], "price_list_version": version.number if version else None},
        request=request,
    )
    return permit
