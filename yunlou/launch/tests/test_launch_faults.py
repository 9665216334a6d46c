"""Faults on PostgreSQL with real concurrent connections: a worker killed mid-claim, a hold expiring while its
deposit arrives, two overlapping batches pressing for the same units. No unit is sold twice; no payment is lost
or counted twice."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.core.tests.concurrency import postgres_only, race
from yunlou.launch.models import ACTIVE_ORDER_STATUSES, LaunchBatch, Order, OrderStatus
from yunlou.launch.services import order_holds_expire, unit_claim
from yunlou.launch.services.orders import order_subscription_form_sign
from yunlou.launch.tests.factories import launch_make, pledge_make, token_of
from yunlou.launch.tests.test_orders import drawn_signature
from yunlou.payments.models import PaymentStatus
from yunlou.payments.tests.helpers import open_payment, paid_notification, post_notification

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]
ROOT = Path(__file__).resolve().parents[3]

# A claim that stops between its UPDATE of the unit and its order row, long enough to be killed there.
KILLED_MID_CLAIM = """
import os, sys, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunlou.settings")
django.setup()
from yunlou.launch.models import Order, Pledge
from yunlou.launch.services import unit_claim
original = Order.objects.create
def stalled(**fields):
    print("updated", flush=True)
    time.sleep(60)
    return original(**fields)
Order.objects.create = stalled
unit_claim(launch_id=int(sys.argv[1]), pledge=Pledge.objects.get(pk=int(sys.argv[2])), token=sys.argv[3])
"""


def _database_url() -> str:
    settings = connection.settings_dict
    return (f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/"
            f"{settings['NAME']}")


def test_a_worker_killed_mid_claim_leaves_the_unit_available_and_no_order(project, building):
    unit = building.units.order_by("code").first()
    buyer, next_buyer = pledge_make(project), pledge_make(project)
    launch = launch_make(project, units=[unit], pledges=[buyer, next_buyer])
    env = {**os.environ, "DATABASE_URL": _database_url()}
    worker = subprocess.Popen([sys.executable, "-c", KILLED_MID_CLAIM, str(launch.pk), str(buyer.pk),
                               token_of(launch, unit)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline().strip() == "updated"  # the unit row is updated, uncommitted
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    deadline = time.monotonic() + 10
    while Unit.objects.get(pk=unit.pk).status != UnitStatus.AVAILABLE and time.monotonic() < deadline:
        time.sleep(0.1)  # the server rolls back the dead connection's transaction
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.AVAILABLE
    assert not Order.objects.exists()
    # and the next buyer gets it at once
    assert unit_claim(launch_id=launch.pk, pledge=next_buyer, token=token_of(launch, unit)).status == "held"


def test_a_hold_expiring_while_its_deposit_arrives_ends_in_one_consistent_state(project, building, settings,
                                                                               wechatpay):
    unit = building.units.order_by("code").first()
    buyer = pledge_make(project)
    launch = launch_make(project, units=[unit], pledges=[buyer], deposit=2_000_000)
    for attempt in range(4):
        Order.objects.all().delete()
        Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.AVAILABLE)
        order = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, unit))
        order_subscription_form_sign(pledge=buyer, order_id=order.pk, signature=drawn_signature())
        payment = open_payment(project.organization, amount_fen=2_000_000, reference=f"order:{order.pk}",
                               out_trade_no=f"YLFAULT{attempt:04d}")
        headers, body = paid_notification(wechatpay, payment, transaction_id=f"4299{attempt:06d}")
        Order.objects.filter(pk=order.pk).update(held_until=timezone.now() - datetime.timedelta(milliseconds=1))

        outcomes = race(lambda: order_holds_expire(),
                        lambda headers=headers, body=body: post_notification(Client(), headers, body)[0].status_code)
        assert outcomes[1] == 204, outcomes
        order.refresh_from_db()
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PAID  # the money is counted once, whoever came first
        # Either the deposit came first (subscribed) or the sweep did and the deposit re-held the free unit.
        assert order.status == OrderStatus.SUBSCRIBED, (attempt, order.status, payment.refusal)
        assert Unit.objects.get(pk=unit.pk).status == UnitStatus.SUBSCRIBED


def test_two_overlapping_batches_pressing_for_the_same_units_sell_each_once(project, building):
    units = list(building.units.order_by("code")[:3])
    buyers = [pledge_make(project) for _ in range(8)]
    launch = launch_make(project, units=units, pledges=buyers, entry_order="batches")
    now = timezone.now()
    LaunchBatch.objects.create(launch=launch, number=1, first_place=1, last_place=4, starts_at=launch.starts_at,
                               ends_at=now + datetime.timedelta(minutes=5))
    LaunchBatch.objects.create(launch=launch, number=2, first_place=5, last_place=8,
                               starts_at=now - datetime.timedelta(seconds=30), ends_at=launch.ends_at)  # overlaps
    tokens = [token_of(launch, unit) for unit in units]
    outcomes = race(*[lambda buyer=buyer, index=index: unit_claim(launch_id=launch.pk, pledge=buyer,
                                                                   token=tokens[index % 3])
                      for index, buyer in enumerate(buyers)])
    assert sum(isinstance(outcome, Order) for outcome in outcomes) == 3
    for unit in units:
        assert Order.objects.filter(unit=unit, status__in=ACTIVE_ORDER_STATUSES).count() == 1
    assert Unit.objects.filter(pk__in=[u.pk for u in units], status=UnitStatus.HELD).count() == 3
