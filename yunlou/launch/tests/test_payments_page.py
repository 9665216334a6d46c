"""收款: finance records a deposit paid at the counter or by transfer for a held order, on the launch's payments page;
bad input is named and records nothing; only finance (and organisation admins) of the organisation get the page."""

import pytest
from django.urls import reverse

from yunlou.accounts.tests.factories import make_staff
from yunlou.core.models import AuditLog
from yunlou.launch.models import Order
from yunlou.launch.services import unit_claim
from yunlou.launch.tests.factories import launch_make, pledge_make, token_of
from yunlou.payments.models import Payment, PaymentStatus
from yunlou.payments.tests.helpers import open_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(project):
    return make_staff(role="finance", organization=project.organization, projects=[project])


@pytest.fixture
def held(project, building):
    buyer = pledge_make(project)
    unit = building.units.order_by("code").first()
    launch = launch_make(project, units=[unit], pledges=[buyer], deposit=2_000_000)
    order = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, unit))
    return type("Held", (), {"launch": launch, "order": order, "unit": unit})


def _post(client, held, **changes):
    data = {"order": held.order.pk, "channel": "counter_pos", "voucher": "POS-20261127-0001", "amount": "20000",
            "note": "", **changes}
    return client.post(reverse("launch_staff:payments", args=[held.launch.pk]), data)


def test_finance_records_a_pos_deposit_and_the_order_has_its_deposit(client, finance, held):
    client.force_login(finance.user)
    page = client.get(reverse("launch_staff:payments", args=[held.launch.pk])).content.decode()
    assert held.unit.code in page and 'value="20000.00"' in page  # the launch's deposit, in yuan
    assert _post(client, held).status_code == 302
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_fen, payment.reference) == (PaymentStatus.PAID, 2_000_000,
                                                                        f"order:{held.order.pk}")
    assert payment.recorded_by == finance.user and payment.voucher == "POS-20261127-0001"
    assert Order.objects.get(pk=held.order.pk).deposit_paid_at is not None
    assert AuditLog.objects.filter(action="payment.record_counter").exists()
    listed = client.get(reverse("launch_staff:payments", args=[held.launch.pk])).content.decode()
    assert "POS-20261127-0001" in listed and 'data-testid="none-awaiting"' in listed


@pytest.mark.parametrize(("changes", "field"), [
    ({"voucher": ""}, "voucher"),
    ({"amount": "1e9999"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"channel": "sandbox_wechat"}, "channel"),
    ({"order": "999999"}, "order"),
])
def test_bad_input_names_the_field_and_records_nothing(client, finance, held, changes, field):
    client.force_login(finance.user)
    response = _post(client, held, **changes)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not Payment.objects.exists()
    assert Order.objects.get(pk=held.order.pk).deposit_paid_at is None


def test_the_same_slip_twice_is_refused_with_the_voucher_named(client, finance, held, project, building):
    client.force_login(finance.user)
    assert _post(client, held).status_code == 302
    other = pledge_make(project)
    unit = building.units.order_by("code")[1]
    launch = launch_make(project, units=[unit], pledges=[other], deposit=2_000_000)
    second = unit_claim(launch_id=launch.pk, pledge=other, token=token_of(launch, unit))
    again = type("Held", (), {"launch": launch, "order": second, "unit": unit})
    response = _post(client, again)
    assert response.status_code == 409 and 'data-field="voucher"' in response.content.decode()
    assert Payment.objects.count() == 1


def test_only_finance_of_the_organisation_get_the_page(client, held, manager):
    from yunlou.accounts.tests.factories import OrganizationFactory

    url = reverse("launch_staff:payments", args=[held.launch.pk])
    client.force_login(manager.user)
    assert client.get(url).status_code == 403
    client.force_login(make_staff(role="finance", organization=OrganizationFactory()).user)
    assert client.get(url).status_code == 404  # another developer's finance: no such launch


def test_an_online_deposit_whose_news_has_not_come_is_asked_about_from_the_page(client, finance, held, wechatpay,
                                                                               monkeypatch):
    from yunlou.launch import views_staff

    payment = open_payment(held.launch.project.organization, reference=f"order:{held.order.pk}")
    asked = []

    def sync(*, payment):
        asked.append(payment.pk)
        return payment

    monkeypatch.setattr(views_staff, "sync_payment", sync)
    client.force_login(finance.user)
    response = client.post(reverse("launch_staff:payment_sync", args=[held.launch.pk]), {"payment": payment.pk})
    assert response.status_code == 302 and asked == [payment.pk]
    assert client.post(reverse("launch_staff:payment_sync", args=[held.launch.pk]),
                       {"payment": 999999}).status_code == 404


@pytest.mark.parametrize("changes", [
    {"amount": str(2**63)}, {"order": str(2**63)}, {"amount": "NaN"}, {"voucher": "x" * 65}, {"voucher": "\x00\x01"},
])
def test_hostile_values_are_refused_with_a_4xx_and_record_nothing(client, finance, held, changes):
    client.force_login(finance.user)
    response = _post(client, held, **changes)
    assert 400 <= response.status_code < 500
    assert not Payment.objects.exists()


def test_an_anonymous_caller_is_sent_to_log_in_and_a_huge_payment_id_is_not_found(client, finance, held):
    url = reverse("launch_staff:payments", args=[held.launch.pk])
    assert client.get(url).status_code == 302
    client.force_login(finance.user)
    response = client.post(reverse("launch_staff:payment_sync", args=[held.launch.pk]), {"payment": str(2**63)})
    assert response.status_code == 404


def test_control_characters_never_reach_the_stored_payment(client, finance, held):
    client.force_login(finance.user)
    assert _post(client, held, voucher="POS\x00-1\u202e", note="\x00ok").status_code == 302
    assert Payment.objects.get().voucher == "POS-1"
