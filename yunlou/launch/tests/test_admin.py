"""The launch's and the payments' records in the admin are for reading: nobody — not the platform operator —
changes an order, a pledge or a payment there, and a pledge's phone and ID number are shown masked."""

import pytest
from django.urls import reverse

from yunlou.accounts.tests.factories import UserFactory
from yunlou.catalogue.models import UnitStatus
from yunlou.launch.models import Pledge
from yunlou.launch.services import unit_claim
from yunlou.launch.tests.factories import launch_make, pledge_make, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_an_order_cannot_be_changed_added_or_deleted_in_the_admin(operator_client, project, building):
    buyer = pledge_make(project)
    unit = building.units.order_by("code").first()
    launch = launch_make(project, units=[unit], pledges=[buyer])
    order = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, unit))
    change = reverse("admin:launch_order_change", args=[order.pk])
    assert operator_client.get(change).status_code == 200  # to read
    assert operator_client.post(change, {"status": "signed"}).status_code == 403
    assert operator_client.get(reverse("admin:launch_order_add")).status_code == 403
    assert operator_client.post(reverse("admin:launch_order_delete", args=[order.pk]), {"post": "yes"}
                                ).status_code == 403
    order.refresh_from_db()
    unit.refresh_from_db()
    assert order.status == "held" and unit.status == UnitStatus.HELD
    for name in ("payments_payment", "payments_refund", "launch_pledge", "launch_launch", "launch_contract"):
        assert operator_client.get(reverse(f"admin:{name}_add")).status_code == 403, name


def test_a_pledge_shows_the_buyers_phone_and_id_number_masked(operator_client, project):
    pledge = pledge_make(project, phone="13712345678")
    pledge = Pledge.objects.get(pk=pledge.pk)
    for url in (reverse("admin:launch_pledge_changelist"), reverse("admin:launch_pledge_change", args=[pledge.pk])):
        html = operator_client.get(url).content.decode()
        assert "137****5678" in html and "13712345678" not in html
        assert pledge.id_number not in html
