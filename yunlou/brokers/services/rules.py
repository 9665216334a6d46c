"""A project's referral and commission rules: versions written, never edited (a report keeps the version in
force when it was made, so a rule change never moves a claim that already exists)."""

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.permissions import MANAGE_BROKERS
from yunlou.accounts.staff import Staff
from yunlou.brokers.models import DirectMode, PayableOn, ReferralRules, UplineMode, VisitWindow
from yunlou.brokers.phones import NumberMode
from yunlou.catalogue.models import Project
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

RULE_FIELDS = ("is_open", "number_mode", "repeat_allowed", "lead_minutes", "visit_window", "visit_window_value",
               "visit_until", "protection_days", "deal_days", "visit_is_king", "daily_cap", "direct_mode",
               "direct_fixed", "direct_basis_points", "upline_mode", "upline_fixed", "upline_basis_points",
               "visit_bonus", "subscribe_share_percent", "payable_on", "payable_collected_percent")
# Bounds that keep every date and amount computed from a rule inside what the database and Python can hold.
_BOUNDS = {"lead_minutes": 7 * 24 * 60, "visit_window_value": 365, "protection_days": 3650, "deal_days": 3650,
           "daily_cap": 10_000, "direct_fixed": 10**11, "upline_fixed": 10**11, "visit_bonus": 10**9,
           "direct_basis_points": 10_000, "upline_basis_points": 10_000, "subscribe_share_percent": 100,
           "payable_collected_percent": 100}
_CHOICES = {"number_mode": NumberMode, "visit_window": VisitWindow, "direct_mode": DirectMode,
            "upline_mode": UplineMode, "payable_on": PayableOn}


def rules_in_force(*, project_id: int, at: datetime.datetime | None = None) -> ReferralRules | None:
    at = at or timezone.now()
    return (ReferralRules.objects.filter(project_id=project_id, created_at__lte=at)
            .order_by("-version").first())


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name not in RULE_FIELDS:
            raise ValidationFailed(_("Unknown rule: %(name)s.") % {"name": name}, field=name)
        if name in _CHOICES:
            if value not in _CHOICES[name].values:
                raise ValidationFailed(_("Choose one of the offered values."), field=name)
        elif name in _BOUNDS:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _BOUNDS[name]:
                raise ValidationFailed(_("Enter a whole number from 0 to %(most)s.") % {"most": _BOUNDS[name]},
                                       field=name)
        elif name == "visit_until":
            if value is not None and not isinstance(value, datetime.time):
                raise ValidationFailed(_("Enter a time of day."), field=name)
        elif not isinstance(value, bool):
            raise ValidationFailed(_("Answer yes or no."), field=name)
        cleaned[name] = value
    return cleaned


def rules_set(*, staff: Staff, project_id: int, values: dict[str, Any], request=None) -> ReferralRules:
    """Write the project's next rules version: the current one with `values` changed, in force from now."""
    if not staff.can(MANAGE_BROKERS):
        raise Forbidden(_("Only the channel manager sets referral rules."))
    project = Project.objects.filter(pk=project_id, organization=staff.organization).first()
    if project is None or not staff.covers(project):
        raise NotFound(_("No such project."), field="project")
    cleaned = _clean(values)
    current = rules_in_force(project_id=project.pk)
    fields = {name: getattr(current, name) for name in RULE_FIELDS} if current else {}
    fields.update(cleaned)
    rules = ReferralRules(project=project, created_by=staff.user, **fields)
    if rules.visit_window == VisitWindow.UNTIL and rules.visit_until is None:
        raise ValidationFailed(_("Say until what time of day the visit may come."), field="visit_until")
    if rules.visit_window != VisitWindow.UNTIL and rules.visit_window_value == 0:
        raise ValidationFailed(_("The visit window must be at least 1."), field="visit_window_value")
    try:
        with transaction.atomic():
            version = (ReferralRules.objects.filter(project=project).aggregate(v=Max("version"))["v"] or 0) + 1
            rules.version = version
            rules.save()
            changes = {name: str(getattr(rules, name)) for name in RULE_FIELDS
                       if current is None or getattr(current, name) != getattr(rules, name)}
            audit_record(action="referral_rules.set", target=rules, actor=staff.user, project=project,
                         changes=changes, request=request)
    except IntegrityError:  # two managers saving at one instant: one wins, the other is told to look again
        raise Conflict(_("The rules were changed meanwhile; please look at them again."), field="version") from None
    return rules
