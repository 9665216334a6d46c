"""Fraud flags for the channel manager (issue 9, item 6): patterns in the reports that deserve a look, each with
the reason in words. A flag is a question, not a verdict: nothing here changes a report or a broker.

- self-referral: the broker reported his own number, or reported from a browser the customer uses;
- reports made after the customer's first visit (refused as `already_visited`: fishing for walk-ins);
- a staff member's phone behind a broker account (staff booking their own walk-ins as channel customers), or
  reports made from a browser a staff member logs in from (`accounts.LoginDevice`);
- one device behind several brokers;
- brokers whose reports almost never visit;
- bursts of sequential or look-alike numbers (trying numbers until one sticks).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yunlou.accounts.models import LoginDevice, Membership
from yunlou.accounts.staff import Staff
from yunlou.brokers.models import Broker, Referral, ReferralStatus, RejectReason
from yunlou.brokers.phones import NumberMode, matches, referral_number
from yunlou.core.errors import ValidationFailed
from yunlou.crm.models import CustomerVisitor

LOOK_BACK = datetime.timedelta(days=180)
RARE_VISITS_MIN_REPORTS = 10
RARE_VISITS_SHARE = 0.10
BURST_SIZE = 3
BURST_WINDOW = datetime.timedelta(hours=1)
BURST_NUMBER_SPREAD = 10


class FlagKind:
    SELF_REFERRAL = "self_referral"
    AFTER_VISIT = "after_visit"
    STAFF_PHONE = "staff_phone"
    STAFF_DEVICE = "staff_device"
    SHARED_DEVICE = "shared_device"
    RARE_VISITS = "rare_visits"
    BURST = "burst"


FLAG_LABELS = {
    FlagKind.SELF_REFERRAL: gettext_lazy("Self-referral"),
    FlagKind.AFTER_VISIT: gettext_lazy("Reported after the visit"),
    FlagKind.STAFF_PHONE: gettext_lazy("Staff phone behind a broker"),
    FlagKind.STAFF_DEVICE: gettext_lazy("Staff device behind a broker"),
    FlagKind.SHARED_DEVICE: gettext_lazy("One device, several brokers"),
    FlagKind.RARE_VISITS: gettext_lazy("Reports almost never visit"),
    FlagKind.BURST: gettext_lazy("Burst of look-alike numbers"),
}


@dataclass(frozen=True)
class Flag:
    broker: Broker
    kind: str
    reason: str
    referral_id: int | None = None

    @property
    def label(self) -> str:
        return str(FLAG_LABELS[self.kind])


def _when(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _referrals(staff: Staff, since: datetime.datetime):
    referrals = Referral.objects.filter(organization=staff.organization, reported_at__gte=since)
    if staff.project_ids is not None:
        referrals = referrals.filter(project_id__in=staff.project_ids)
    return list(referrals.select_related("broker", "broker__user", "customer").order_by("broker_id", "reported_at",
                                                                                      "id"))


def fraud_flags(staff: Staff, *, now: datetime.datetime | None = None) -> list[Flag]:
    now = now or timezone.now()
    referrals = _referrals(staff, now - LOOK_BACK)
    flags: list[Flag] = []
    flags += _self_referrals(referrals)
    flags += _after_visit(referrals)
    flags += _staff_phones(staff)
    flags += _staff_devices(staff, referrals)
    flags += _shared_devices(referrals)
    flags += _rare_visits(referrals)
    flags += _bursts(referrals)
    return flags


def _self_referrals(referrals: list[Referral]) -> list[Flag]:
    flags = []
    devices = {referral.device_id for referral in referrals if referral.device_id}
    customers_of_device: dict = defaultdict(list)
    for visitor in CustomerVisitor.objects.filter(visitor_id__in=devices).select_related("customer"):
        customers_of_device[visitor.visitor_id].append(visitor.customer)
    for referral in referrals:
        own_phone = referral.broker.user.phone
        number = referral_number(referral)
        try:
            own = bool(own_phone) and matches(number, own_phone)
        except ValidationFailed:  # a broker account without a usable phone cannot match
            own = False
        if own:
            flags.append(Flag(referral.broker, FlagKind.SELF_REFERRAL, _(
                "Reported %(customer)s on %(when)s with a number that matches the broker's own phone.") % {
                "customer": referral.customer_name, "when": _when(referral.reported_at)}, referral.pk))
            continue
        if referral.device_id and any(_is_the_referred(customer, referral, number)
                                      for customer in customers_of_device.get(referral.device_id, [])):
            flags.append(Flag(referral.broker, FlagKind.SELF_REFERRAL, _(
                "Reported %(customer)s on %(when)s from a device the customer himself uses.") % {
                "customer": referral.customer_name, "when": _when(referral.reported_at)}, referral.pk))
    return flags


def _is_the_referred(customer, referral: Referral, number) -> bool:
    if customer.project_id != referral.project_id:
        return False
    if referral.customer_id is not None:
        return customer.pk == referral.customer_id
    if number.mode == NumberMode.FULL:
        return customer.phone_hash == number.key_full
    if number.mode == NumberMode.MASKED_34:
        return customer.phone_key_34 == number.key_34
    return customer.phone_key_43 == number.key_43


def _after_visit(referrals: list[Referral]) -> list[Flag]:
    return [
        Flag(referral.broker, FlagKind.AFTER_VISIT, _(
            "Reported %(customer)s on %(when)s, after the customer had already visited the sales office.") % {
            "customer": referral.customer_name, "when": _when(referral.reported_at)}, referral.pk)
        for referral in referrals
        if referral.status == ReferralStatus.REJECTED and referral.reject_reason == RejectReason.ALREADY_VISITED
    ]


def _staff_phones(staff: Staff) -> list[Flag]:
    staff_hashes = dict(Membership.objects.filter(organization=staff.organization, is_active=True,
                                                  user__phone_hash__isnull=False)
                        .values_list("user__phone_hash", "user__display_name"))
    brokers = Broker.objects.filter(organization=staff.organization,
                                    user__phone_hash__in=list(staff_hashes)).select_related("user")
    return [Flag(broker, FlagKind.STAFF_PHONE, _(
        "The broker account's phone is the phone of staff member %(name)s.") % {
        "name": staff_hashes[broker.user.phone_hash] or _("(no name)")}) for broker in brokers]


def _staff_devices(staff: Staff, referrals: list[Referral]) -> list[Flag]:
    """Reports from a browser that a staff member of the organisation logs in from: one flag per broker and
    staff member, naming the first such report and how many there were."""
    devices = {referral.device_id for referral in referrals if referral.device_id}
    staff_users = Membership.objects.filter(organization=staff.organization, is_active=True).values("user_id")
    staff_of_device: dict = defaultdict(dict)
    for seen in LoginDevice.objects.filter(visitor_id__in=devices, user__in=staff_users).select_related("user"):
        staff_of_device[seen.visitor_id][seen.user_id] = seen.user
    found: dict = {}  # (broker, staff member) → [first report, how many, the member]
    for referral in referrals:
        for member in staff_of_device.get(referral.device_id, {}).values():
            found.setdefault((referral.broker_id, member.pk), [referral, 0, member])[1] += 1
    return [Flag(first.broker, FlagKind.STAFF_DEVICE, _(
        "%(count)d reports (the first, %(customer)s, on %(when)s) came from a device staff member %(name)s logs in "
        "from.") % {"count": count, "customer": first.customer_name, "when": _when(first.reported_at),
                    "name": member.display_name or member.username}, first.pk)
        for first, count, member in found.values()]


def _shared_devices(referrals: list[Referral]) -> list[Flag]:
    brokers_of_device: dict = defaultdict(dict)
    for referral in referrals:
        if referral.device_id:
            brokers_of_device[referral.device_id].setdefault(referral.broker_id, referral)
    flags = []
    for by_broker in brokers_of_device.values():
        if len(by_broker) < 2:
            continue
        names = sorted(referral.broker.real_name for referral in by_broker.values())
        for referral in by_broker.values():
            flags.append(Flag(referral.broker, FlagKind.SHARED_DEVICE, _(
                "Reports came from one device that %(count)d brokers used: %(names)s.") % {
                "count": len(by_broker), "names": "、".join(names)}, referral.pk))
    return flags


def _rare_visits(referrals: list[Referral]) -> list[Flag]:
    reports: dict[int, list[Referral]] = defaultdict(list)
    for referral in referrals:
        reports[referral.broker_id].append(referral)
    flags = []
    for of_broker in reports.values():
        visited = sum(1 for referral in of_broker if referral.visited_at is not None)
        if len(of_broker) >= RARE_VISITS_MIN_REPORTS and visited < RARE_VISITS_SHARE * len(of_broker):
            flags.append(Flag(of_broker[0].broker, FlagKind.RARE_VISITS, _(
                "%(visited)d of %(count)d reports visited.") % {"visited": visited, "count": len(of_broker)}))
    return flags


def _bursts(referrals: list[Referral]) -> list[Flag]:
    """≥3 reports by one broker within an hour whose full numbers lie within 10 of each other, or that show the
    same masked number. One flag per broker (the first burst found)."""
    reports: dict[int, list[Referral]] = defaultdict(list)
    for referral in referrals:
        reports[referral.broker_id].append(referral)
    flags = []
    for of_broker in reports.values():
        for index, first in enumerate(of_broker):
            window = [r for r in of_broker[index:] if r.reported_at - first.reported_at <= BURST_WINDOW]
            if len(window) < BURST_SIZE:
                continue
            burst = _sequential(window) or _same_mask(window)
            if burst:
                flags.append(Flag(first.broker, FlagKind.BURST, _(
                    "%(count)d reports within an hour from %(when)s of sequential or look-alike numbers.") % {
                    "count": len(burst), "when": _when(burst[0].reported_at)}, burst[0].pk))
                break
    return flags


def _sequential(window: list[Referral]) -> list[Referral]:
    numbered = sorted(((int(r.phone), r) for r in window if r.phone and r.phone.isdigit()), key=lambda p: p[0])
    for start in range(len(numbered)):
        run = [pair for pair in numbered[start:] if pair[0] - numbered[start][0] <= BURST_NUMBER_SPREAD]
        if len(run) >= BURST_SIZE:
            return sorted((r for _n, r in run), key=lambda r: r.reported_at)
    return []


def _same_mask(window: list[Referral]) -> list[Referral]:
    groups: dict[str, list[Referral]] = defaultdict(list)
    for referral in window:
        if referral.number_mode != NumberMode.FULL:
            groups[referral.key_34 or referral.key_43 or referral.key_33].append(referral)
    for group in groups.values():
        if len(group) >= BURST_SIZE:
            return group
    return []
