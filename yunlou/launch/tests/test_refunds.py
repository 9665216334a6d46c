"""退房: a manager or finance refunds a subscribed or signed order → refunded, the unit available again, audited, and
the order's payments refunded through the gateway afterwards; a buyer cancels their own hold."""

import re

import pytest
import requests

from yunlou.accounts.tests.factories import make_staff
from yunlou.catalogue.models import UnitStatus
from yunlou.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from yunlou.core.models import AuditLog
from yunlou.launch.models import Contract, Order, OrderStatus
from yunlou.launch.services import unit_claim
from yunlou.launch.services.contracts import order_contract_sign
from yunlou.launch.services.orders import order_deposit_payment_start
from yunlou.launch.services.refunds import order_cancel, order_refund
from yunlou.launch.tests.factories import launch_make, pledge_make, token_of
from yunlou.launch.tests.test_contract_signing import signature_data_url, subscribed_order
from yunlou.launch.tests.test_orders import deposit_paid
from yunlou.payments.models import Payment, PaymentStatus, RefundStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pages_in_english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def finance(project):
    return make_staff(role="finance", organization=project.organization, projects=[project], display_name="赵会计")


@pytest.fixture
def deal(client, wechatpay, project, building):
    return subscribed_order(client, wechatpay, project, building)


@pytest.fixture
def held(project, building):
    buyer, other = pledge_make(project), pledge_make(project)
    units = list(building.units.order_by("-code")[:1])  # not one of `deal`'s units
    launch = launch_make(project, units=units, pledges=[buyer, other], deposit=2_000_000)
    order = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[0]))
    return type("Held", (), {"order": order, "buyer": buyer, "other": other})


def test_a_refund_frees_the_unit_and_leaves_the_deposit_refund_pending_while_the_gateway_is_unreachable(
        deal, manager, django_capture_on_commit_callbacks):
    # `wechatpay` points the gateway at http://testserver, where nothing listens.
    with django_capture_on_commit_callbacks(execute=True):
        result = order_refund(staff=manager, order_id=deal.order.pk, reason="客户资金问题")
    order = Order.objects.select_related("unit").get(pk=deal.order.pk)
    assert (order.status, order.unit.status) == (OrderStatus.REFUNDED, UnitStatus.AVAILABLE)
    assert order.ended_at is not None
    entry = AuditLog.objects.get(action="order.refund", target_id=str(order.pk))
    assert (entry.actor, entry.note) == (manager.user, "客户资金问题")

    [outcome] = result.payments
    assert outcome.payment.reference == f"order:{order.pk}"
    assert outcome.refund.amount_fen == 2_000_000 and outcome.status == RefundStatus.PENDING
    assert outcome.problem and not result.is_money_settled
    assert outcome.refund.requested_by is None  # a manager decides the refund; the money moves as the system's
    assert Payment.objects.get(pk=outcome.payment.pk).status == PaymentStatus.PAID  # nothing confirmed yet


@pytest.mark.django_db(transaction=True)
def test_finance_refunds_an_order_and_the_sandbox_gives_the_deposit_back(live_wechatpay, project, building, finance):
    buyer = pledge_make(project)
    units = list(building.units.order_by("code")[:1])
    launch = launch_make(project, units=units, pledges=[buyer], deposit=2_000_000)
    order = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[0]))
    from yunlou.launch.services.orders import order_subscription_form_sign

    order_subscription_form_sign(pledge=buyer, order_id=order.pk, signature=signature_data_url())
    payment = order_deposit_payment_start(pledge=buyer, order_id=order.pk)
    session = requests.Session()
    page = session.get(payment.pay_url, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(payment.pay_url, data={"csrfmiddlewaretoken": token, "action": "pay"},
                 headers={"Referer": payment.pay_url}, timeout=30)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUBSCRIBED

    result = order_refund(staff=finance, order_id=order.pk, reason="退房")  # no outer transaction: refunds now
    [outcome] = result.payments
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.REFUNDED, 2_000_000)
    refund = payment.refunds.get()
    assert refund.status == RefundStatus.SUCCEEDED and refund.requested_by == finance.user
    assert outcome.problem == "" and outcome.refund.pk == refund.pk
    assert Order.objects.get(pk=order.pk).unit.status == UnitStatus.AVAILABLE


def test_a_signed_order_can_be_refunded_and_keeps_its_contract(deal, finance, django_capture_on_commit_callbacks):
    order_contract_sign(pledge=deal.buyer, order_id=deal.order.pk, signature=signature_data_url())
    with django_capture_on_commit_callbacks(execute=True):
        order_refund(staff=finance, order_id=deal.order.pk, reason="贷款未获批")
    order = Order.objects.select_related("unit").get(pk=deal.order.pk)
    assert (order.status, order.unit.status) == (OrderStatus.REFUNDED, UnitStatus.AVAILABLE)
    assert Contract.objects.filter(order=order).exists()


def test_only_managers_finance_and_admins_of_the_project_refund_and_only_active_orders(
        deal, consultant, outsider, manager, held):
    with pytest.raises(Forbidden):
        order_refund(staff=consultant, order_id=deal.order.pk, reason="想退")
    with pytest.raises(NotFound):
        order_refund(staff=outsider, order_id=deal.order.pk, reason="想退")
    with pytest.raises(ValidationFailed) as no_reason:
        order_refund(staff=manager, order_id=deal.order.pk, reason=" \x07 ")
    assert no_reason.value.field == "reason"
    with pytest.raises(Conflict):
        order_refund(staff=manager, order_id=held.order.pk, reason="还没认购")
    order = Order.objects.select_related("unit").get(pk=deal.order.pk)
    assert (order.status, order.unit.status) == (OrderStatus.SUBSCRIBED, UnitStatus.SUBSCRIBED)
    order_refund(staff=manager, order_id=deal.order.pk, reason="客户要求")
    with pytest.raises(Conflict) as twice:
        order_refund(staff=manager, order_id=deal.order.pk, reason="客户要求")
    assert twice.value.code == "not_refundable"
    assert AuditLog.objects.filter(action="order.refund").count() == 1


def test_a_refund_is_refused_when_the_unit_was_changed_behind_the_orders_back(deal, manager):
    from yunlou.catalogue.models import Unit

    Unit.objects.filter(pk=deal.order.unit_id).update(status=UnitStatus.NOT_FOR_SALE)
    with pytest.raises(Conflict) as refused:
        order_refund(staff=manager, order_id=deal.order.pk, reason="客户要求")
    assert refused.value.code == "stale_status"
    assert Order.objects.get(pk=deal.order.pk).status == OrderStatus.SUBSCRIBED


def test_the_refund_page_refunds_the_order_for_a_manager_and_is_not_found_for_a_consultant(
        client, deal, manager, consultant, django_capture_on_commit_callbacks):
    url = f"/staff/launch/orders/{deal.order.pk}/refund/"
    client.force_login(consultant.user)
    assert client.get(url).status_code == 404
    client.force_login(manager.user)
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "客户要求退房"})
    assert response.status_code == 200 and 'data-testid="refund-result"' in response.content.decode()
    assert Order.objects.get(pk=deal.order.pk).status == OrderStatus.REFUNDED


# --- the buyer cancels a hold ---

def test_the_buyer_cancels_their_hold_and_the_unit_is_available_again(held):
    order = order_cancel(pledge=held.buyer, order_id=held.order.pk)
    order = Order.objects.select_related("unit").get(pk=order.pk)
    assert (order.status, order.unit.status) == (OrderStatus.CANCELLED, UnitStatus.AVAILABLE)
    assert AuditLog.objects.filter(action="order.cancel", target_id=str(order.pk)).exists()


def test_another_buyer_cannot_cancel_a_hold_and_a_subscribed_order_is_not_cancelled(held, deal):
    with pytest.raises(NotFound):
        order_cancel(pledge=held.other, order_id=held.order.pk)
    with pytest.raises(Conflict) as refused:
        order_cancel(pledge=deal.buyer, order_id=deal.order.pk)
    assert refused.value.code == "not_held"
    assert Order.objects.get(pk=held.order.pk).status == OrderStatus.HELD


def test_a_hold_whose_deposit_is_paid_is_refunded_by_staff_not_cancelled(client, wechatpay, held):
    deposit_paid(client, wechatpay, held.order)  # the form is not signed yet: still held, but paid
    with pytest.raises(Conflict) as refused:
        order_cancel(pledge=held.buyer, order_id=held.order.pk)
    assert refused.value.code == "deposit_paid"


def test_the_cancel_page_cancels_the_logged_in_buyers_hold(client, project, building):
    from yunlou.accounts.tests.factories import UserFactory

    buyer = pledge_make(project, buyer=UserFactory())
    units = list(building.units.order_by("code")[:1])
    launch = launch_make(project, units=units, pledges=[buyer])
    order = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[0]))
    client.force_login(buyer.buyer)
    response = client.post(f"/launch/orders/{order.pk}/cancel/")
    assert response.status_code == 200 and 'data-testid="hold-cancelled"' in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
