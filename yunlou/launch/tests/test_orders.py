"""认购: the buyer signs the subscription form and pays the deposit within the hold → subscribed; a deposit that
comes late re-holds the unit only if it is still free, else it is refunded; a pledge is active once paid."""

import base64
import datetime
import io
import re

import pytest
import requests
from django.utils import timezone
from PIL import Image

from yunlou.catalogue.models import UnitStatus
from yunlou.core.errors import Conflict, NotFound, ValidationFailed
from yunlou.core.models import AuditLog
from yunlou.launch.models import Order, OrderStatus, PledgeStatus
from yunlou.launch.services import order_holds_expire, unit_claim
from yunlou.launch.services.orders import order_deposit_payment_start, order_subscription_form_sign
from yunlou.launch.services.pledges import pledge_create
from yunlou.launch.tests.factories import launch_make, pledge_make, token_of
from yunlou.payments.models import Payment, PaymentStatus
from yunlou.payments.tests.helpers import open_payment, paid_notification, post_notification

pytestmark = pytest.mark.django_db


def drawn_signature() -> str:
    image = Image.new("RGBA", (300, 120), (255, 255, 255, 0))
    for x in range(20, 280):
        image.putpixel((x, 60 + (x % 40) - 20), (0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def held(project, building):
    """Two pledged buyers; the first holds the first unit."""
    first, second = pledge_make(project), pledge_make(project)
    units = list(building.units.order_by("code")[:2])
    launch = launch_make(project, units=units, pledges=[first, second], deposit=2_000_000)
    order = unit_claim(launch_id=launch.pk, pledge=first, token=token_of(launch, units[0]))
    return type("Held", (), {"order": order, "first": first, "second": second, "launch": launch, "units": units})


def deposit_paid(client, wechatpay, order, *, amount=2_000_000):
    payment = open_payment(order.launch.project.organization, amount_fen=amount, reference=f"order:{order.pk}",
                           out_trade_no=f"YLORDER{order.pk:06d}")
    response, _body = post_notification(client, *paid_notification(wechatpay, payment,
                                                                   transaction_id=f"42{order.pk:08d}"))
    assert response.status_code == 204
    payment.refresh_from_db()
    return payment


def test_signing_the_form_and_paying_the_deposit_subscribes_the_unit(client, wechatpay, held):
    order_subscription_form_sign(pledge=held.first, order_id=held.order.pk, signature=drawn_signature())
    payment = deposit_paid(client, wechatpay, held.order)
    order = Order.objects.get(pk=held.order.pk)
    unit = order.unit
    assert (order.status, unit.status, payment.status) == (OrderStatus.SUBSCRIBED, UnitStatus.SUBSCRIBED,
                                                           PaymentStatus.PAID)
    assert order.subscription_signature.read().startswith(b"\x89PNG")
    assert AuditLog.objects.filter(action="order.subscribe", target_id=str(order.pk)).exists()


def test_the_deposit_cannot_be_started_before_the_form_is_signed(held):
    with pytest.raises(Conflict) as refused:
        order_deposit_payment_start(pledge=held.first, order_id=held.order.pk)
    assert refused.value.code == "form_not_signed"


def test_another_buyers_order_id_answers_like_a_missing_one_and_changes_nothing(held):
    for order_id in (held.order.pk, 2**62):
        with pytest.raises(NotFound):
            order_subscription_form_sign(pledge=held.second, order_id=order_id, signature=drawn_signature())
    assert Order.objects.get(pk=held.order.pk).subscription_form_signed_at is None


@pytest.mark.parametrize("signature", ["", "data:image/png;base64,!!!", "data:image/png;base64,"
                                       + base64.b64encode(b"GIF89a").decode()])
def test_an_empty_or_foreign_signature_is_refused(held, signature):
    with pytest.raises(ValidationFailed) as refused:
        order_subscription_form_sign(pledge=held.first, order_id=held.order.pk, signature=signature)
    assert refused.value.field == "signature"


def test_a_late_deposit_holds_the_unit_again_when_it_is_still_free(client, wechatpay, held):
    order_subscription_form_sign(pledge=held.first, order_id=held.order.pk, signature=drawn_signature())
    assert order_holds_expire(now=held.order.held_until) == 1
    deposit_paid(client, wechatpay, held.order)
    order = Order.objects.get(pk=held.order.pk)
    assert (order.status, order.unit.status) == (OrderStatus.SUBSCRIBED, UnitStatus.SUBSCRIBED)


def test_a_late_deposit_for_a_unit_someone_else_now_holds_is_refused_and_the_other_buyer_keeps_it(
        client, wechatpay, held):
    order_subscription_form_sign(pledge=held.first, order_id=held.order.pk, signature=drawn_signature())
    later = held.order.held_until + datetime.timedelta(seconds=1)
    order_holds_expire(now=later)
    other = unit_claim(launch_id=held.launch.pk, pledge=held.second, token=token_of(held.launch, held.units[0]),
                       now=later)
    payment = deposit_paid(client, wechatpay, held.order)
    assert "another buyer" in payment.refusal  # the payments app refunds it once this commits
    assert Order.objects.get(pk=held.order.pk).status == OrderStatus.EXPIRED
    assert Order.objects.get(pk=other.pk).status == OrderStatus.HELD
    assert Order.objects.filter(unit=held.units[0], status__in=["held", "subscribed", "signed"]).count() == 1


def test_a_deposit_of_the_wrong_amount_is_refused(client, wechatpay, held):
    order_subscription_form_sign(pledge=held.first, order_id=held.order.pk, signature=drawn_signature())
    payment = deposit_paid(client, wechatpay, held.order, amount=1_000)
    assert payment.refusal and Order.objects.get(pk=held.order.pk).status == OrderStatus.HELD


def test_a_paid_deposit_keeps_the_hold_from_lapsing(client, wechatpay, held):
    deposit_paid(client, wechatpay, held.order)
    assert order_holds_expire(now=held.order.held_until + datetime.timedelta(minutes=1)) == 0
    assert Order.objects.get(pk=held.order.pk).status == OrderStatus.HELD


def test_a_pledge_paid_online_becomes_active(client, wechatpay, project):
    pledge = pledge_create(project_id=project.pk, name="张伟", phone="13800138000", id_number="11010519491231002X",
                           amount=5_000_000)
    payment = open_payment(project.organization, amount_fen=5_000_000, reference=f"pledge:{pledge.pk}")
    response, _body = post_notification(client, *paid_notification(wechatpay, payment))
    assert response.status_code == 204
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_the_buyer_pays_the_deposit_on_the_sandbox_page_over_http(live_wechatpay, held):
    order_subscription_form_sign(pledge=held.first, order_id=held.order.pk, signature=drawn_signature())
    payment = order_deposit_payment_start(pledge=held.first, order_id=held.order.pk)
    session = requests.Session()
    page = session.get(payment.pay_url, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(payment.pay_url, data={"csrfmiddlewaretoken": token, "action": "pay"},
                 headers={"Referer": payment.pay_url}, timeout=30)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PAID
    assert Order.objects.get(pk=held.order.pk).status == OrderStatus.SUBSCRIBED
    assert timezone.now() < held.order.held_until
