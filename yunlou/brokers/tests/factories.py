"""Brokers, rules and deals for tests."""

import datetime
import itertools

from django.db.models import Max
from django.utils import timezone

from yunlou.accounts.models import User
from yunlou.brokers.models import Broker, BrokerStatus, ReferralRules
from yunlou.catalogue.models import UnitStatus
from yunlou.launch.models import Order, OrderStatus
from yunlou.launch.tests.factories import launch_make, pledge_make

_serial = itertools.count(1)


def user_make(*, phone: str | None = None, name: str = "") -> User:
    serial = next(_serial)
    user = User(username=f"person-{serial}", phone=phone or f"136{serial:08d}", display_name=name)
    user.set_unusable_password()
    user.save()
    return user


def broker_make(organization, *, upline: User | None = None, status=BrokerStatus.ACTIVE, phone: str | None = None,
                name: str = "赵经纪", **fields) -> Broker:
    return Broker.objects.create(organization=organization, user=user_make(phone=phone, name=name), real_name=name,
                                 upline=upline, status=status, **fields)


def rules_make(project, *, at: datetime.datetime | None = None, **fields) -> ReferralRules:
    """The project's next rules version, in force from `at` (default: an hour ago, before anything in a test)."""
    version = (ReferralRules.objects.filter(project=project).aggregate(v=Max("version"))["v"] or 0) + 1
    fields.setdefault("lead_minutes", 0)
    return ReferralRules.objects.create(project=project, version=version,
                                        created_at=at or timezone.now() - datetime.timedelta(hours=1), **fields)


def order_make(project, unit, *, phone: str, price: int = 286_000_000, status=OrderStatus.SUBSCRIBED,
               pledge=None) -> Order:
    """An order of `unit` at `price` for a buyer pledged with `phone` (or the given pledge), in `status` (no hooks
    run)."""
    pledge = pledge or pledge_make(project, phone=phone)
    launch = launch_make(project, units=[unit], pledges=[pledge])
    now = timezone.now()
    unit.status = UnitStatus.SIGNED if status == OrderStatus.SIGNED else UnitStatus.SUBSCRIBED
    unit.save(update_fields=["status"])
    return Order.objects.create(launch=launch, unit=unit, pledge=pledge, status=status, slot=1, buyer_limit=1,
                                price=price, held_at=now, held_until=now + datetime.timedelta(minutes=5),
                                subscribed_at=now, signed_at=now if status == OrderStatus.SIGNED else None)


def staff_make(project, role: str, **user_fields):
    """A member of the project's organisation in `role` (receptionist, channel, finance, consultant, ...)."""
    from yunlou.accounts.tests.factories import make_staff

    return make_staff(role=role, organization=project.organization, projects=[project], **user_fields)


def report(broker: Broker, project, phone: str, *, name: str = "刘先生", **fields):
    """报备 by `broker` (referral_create with the test's usual arguments)."""
    from yunlou.brokers.services.referrals import referral_create

    return referral_create(user=broker.user, project_id=project.pk, customer_name=name, phone=phone, **fields)


def customer_make(project, phone: str, *, name: str = "老客户", **fields):
    from yunlou.crm.models import Customer

    return Customer.objects.create(project=project, name=name, phone=phone, **fields)


def payment_make(order, amount: int, *, status: str = "paid"):
    """A payment received for `order` (reference "order:<id>")."""
    from yunlou.payments.models import Payment, PaymentChannel

    serial = next(_serial)
    return Payment.objects.create(organization=order.launch.project.organization, reference=f"order:{order.pk}",
                                  description="房款", out_trade_no=f"T{serial:010d}", amount_fen=amount,
                                  channel=PaymentChannel.COUNTER_TRANSFER, status=status,
                                  paid_at=timezone.now() if status == "paid" else None)
