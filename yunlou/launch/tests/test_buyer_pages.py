"""The buyer's launch pages: SMS login, the grid with tokens only while selecting, the order page's signature and
deposit steps, and nobody else's order."""

import datetime
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from yunlou.accounts.buyers import LOGIN_PURPOSE
from yunlou.accounts.tests.utils import sms_code_for
from yunlou.launch.models import OrderStatus
from yunlou.launch.services import unit_claim
from yunlou.launch.tests.factories import launch_make, pledge_make, token_of
from yunlou.launch.tests.test_orders import drawn_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(project, building):
    project.is_published = True
    project.save(update_fields=["is_published"])
    buyer, other = pledge_make(project, phone="13700000001"), pledge_make(project, phone="13700000002")
    units = list(building.units.order_by("code")[:3])
    launch = launch_make(project, units=units, pledges=[buyer, other], deposit=2_000_000)
    return type("World", (), {"launch": launch, "units": units, "buyer": buyer, "other": other})


def page_login(client: Client, launch, phone: str):
    url = f"/launches/{launch.pk}/"
    sent = client.post(url, {"phone": phone, "action": "send"})
    assert sent.status_code == 200 and 'data-testid="code-sent"' in sent.content.decode()
    code = sms_code_for(phone, purpose=LOGIN_PURPOSE)
    response = client.post(url, {"phone": phone, "code": code, "action": "login"})
    assert response.status_code == 302, response.content.decode()[:500]


def test_a_buyer_logs_in_on_the_launch_page_and_sees_their_pledge_and_selectable_units(client, world):
    page = client.get(f"/launches/{world.launch.pk}/").content.decode()
    assert 'data-testid="buyer-login"' in page and "data-token=" not in page
    page_login(client, world.launch, "13700000001")
    page = client.get(f"/launches/{world.launch.pk}/").content.decode()
    assert world.buyer.number in page and 'data-may-select="1"' in page
    assert page.count("data-token=") == 3 and token_of(world.launch, world.units[0]) in page


def test_before_the_start_the_page_counts_down_and_hands_out_no_token(client, world):
    world.launch.starts_at = timezone.now() + datetime.timedelta(minutes=10)
    world.launch.save(update_fields=["starts_at"])
    page_login(client, world.launch, "13700000001")
    page = client.get(f"/launches/{world.launch.pk}/").content.decode()
    assert 'data-testid="countdown"' in page and "data-token=" not in page and 'data-may-select="0"' in page


def test_a_wrong_code_on_the_page_names_the_field_and_logs_nobody_in(client, world):
    sms_code_for("13700000001", purpose=LOGIN_PURPOSE)
    response = client.post(f"/launches/{world.launch.pk}/", {"phone": "13700000001", "code": "000000",
                                                              "action": "login"})
    assert response.status_code == 400 and 'data-testid="buyer-login"' in response.content.decode()


def test_the_order_page_takes_the_signature_then_sends_the_buyer_to_pay(client, world, wechatpay, monkeypatch):
    order = unit_claim(launch_id=world.launch.pk, pledge=world.buyer, token=token_of(world.launch, world.units[0]))
    page_login(client, world.launch, "13700000001")
    url = f"/launches/orders/{order.pk}/"
    page = client.get(url).content.decode()
    assert 'data-testid="signature-pad"' in page and 'data-testid="hold-countdown"' in page
    assert client.post(url, {"signature": ""}).status_code == 400
    assert client.post(url, {"signature": drawn_signature()}).status_code == 302
    page = client.get(url).content.decode()
    assert 'data-testid="form-signed"' in page and 'data-testid="pay-deposit"' in page

    from yunlou.payments import gateways

    monkeypatch.setattr(gateways.SandboxWechatGateway, "create", lambda self, payment: "https://pay.example/x")
    response = client.post(f"/launches/orders/{order.pk}/pay/")
    # to the gateway's page, which sends the buyer back to this order afterwards
    assert response.status_code == 302
    assert response["Location"] == "https://pay.example/x?redirect_url=http%3A%2F%2Ftestserver" + quote(url, safe="")


def test_another_buyers_order_page_is_a_404(client, world):
    order = unit_claim(launch_id=world.launch.pk, pledge=world.buyer, token=token_of(world.launch, world.units[0]))
    page_login(client, world.launch, "13700000002")
    assert client.get(f"/launches/orders/{order.pk}/").status_code == 404
    assert client.post(f"/launches/orders/{order.pk}/", {"signature": drawn_signature()}).status_code == 404
    assert Client().get(f"/launches/orders/{order.pk}/").status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.HELD and order.subscription_form_signed_at is None


def test_a_logged_in_buyer_without_a_pledge_pledges_on_the_page_and_is_sent_to_pay(client, world, monkeypatch):
    from yunlou.launch.models import Pledge, PledgeStatus
    from yunlou.payments import gateways

    monkeypatch.setattr(gateways.SandboxWechatGateway, "create", lambda self, payment: "https://pay.example/p")
    page_login(client, world.launch, "13700000009")
    page = client.get(f"/launches/{world.launch.pk}/").content.decode()
    assert 'data-testid="pledge-form"' in page
    refused = client.post(f"/launches/{world.launch.pk}/pledge/", {"name": "赵六", "id_number": "110105194912310021"},
                          follow=True)
    assert "last character" in refused.content.decode() or "校验位" in refused.content.decode()
    assert not Pledge.objects.filter(phone_hash__isnull=False, name="赵六").exists()
    response = client.post(f"/launches/{world.launch.pk}/pledge/", {"name": "赵六", "id_number": "11010519491231002X"})
    assert response.status_code == 302 and response["Location"].startswith("https://pay.example/p?redirect_url=")
    pledge = Pledge.objects.get(name="赵六")
    assert pledge.status == PledgeStatus.AWAITING_PAYMENT and pledge.buyer.phone == "13700000009"
    assert 'data-testid="pledge-pay"' in client.get(f"/launches/{world.launch.pk}/").content.decode()


def test_a_buyer_in_a_later_batch_is_told_their_window_and_counts_down_to_it(client, project, building):
    from yunlou.launch.models import LaunchBatch

    project.is_published = True
    project.save(update_fields=["is_published"])
    first, second = pledge_make(project, phone="13700000011"), pledge_make(project, phone="13700000012")
    launch = launch_make(project, units=list(building.units.all()[:2]), pledges=[first, second],
                         entry_order="batches", starts_in_minutes=10)
    later = launch.starts_at + datetime.timedelta(minutes=30)
    LaunchBatch.objects.create(launch=launch, number=1, first_place=1, last_place=1, starts_at=launch.starts_at,
                               ends_at=later)
    LaunchBatch.objects.create(launch=launch, number=2, first_place=2, last_place=2, starts_at=later,
                               ends_at=launch.ends_at)
    page_login(client, launch, "13700000012")
    page = client.get(f"/launches/{launch.pk}/").content.decode()
    assert 'data-testid="my-batch"' in page
    assert f'data-starts-at="{later.isoformat()}"' in page
    me = client.get(f"/api/v1/launches/{launch.pk}").json()["me"]
    assert me["batch_number"] == 2
    assert abs(parse_datetime(me["batch_starts_at"]) - later) < datetime.timedelta(milliseconds=1)
