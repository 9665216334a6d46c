"""A customer can be found by a masked report (前三后四, 前四后三): its keys follow the number, and customers made
before masked reports existed get theirs from a data migration."""

import importlib

import pytest
from django.apps import apps

from yunlou.core.phone import masked_key
from yunlou.crm.models import Customer

pytestmark = pytest.mark.django_db


def test_a_saved_customer_carries_the_keys_of_both_masked_forms(project):
    customer = Customer.objects.create(project=project, name="刘先生", phone="13812346621")
    assert customer.phone_key_34 == masked_key("34", "1386621")
    assert customer.phone_key_43 == masked_key("43", "1381621")
    assert Customer.objects.filter(project=project, phone_key_34=masked_key("34", "1386621")).get() == customer


def test_the_data_migration_fills_the_keys_of_customers_made_before_them(project):
    customer = Customer.objects.create(project=project, name="刘先生", phone="13812346621")
    Customer.objects.filter(pk=customer.pk).update(phone_key_34="", phone_key_43="")
    migration = importlib.import_module("yunlou.crm.migrations.0003_customer_masked_keys_fill")
    migration.fill(apps, None)
    customer.refresh_from_db()
    assert (customer.phone_key_34, customer.phone_key_43) == (masked_key("34", "1386621"), masked_key("43", "1381621"))
