"""The hot paths' hand-built rows are the ORM's rows: `instance_new` gives what `Model(**kwargs)` gives,
`insert_columns` what `Model.save` would send, `instance_read` an instance with only the columns read."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from yunlou.brokers.models import Referral
from yunlou.brokers.tests.factories import broker_make, rules_make
from yunlou.core.models import AuditLog
from yunlou.core.sql import insert_columns, instance_new, instance_read

pytestmark = pytest.mark.django_db


def _columns(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_a_new_instance_has_the_values_given_and_every_other_default_as_the_orm_makes_it(project):
    moment = timezone.now() - datetime.timedelta(hours=1)
    by_keywords = AuditLog(project=project, organization_id=project.organization_id, action="x.y",
                           target_type="t", target_id="7", created_at=moment)
    built = instance_new(AuditLog, project=project, organization_id=project.organization_id, action="x.y",
                         target_type="t", target_id="7", created_at=moment)
    assert _columns(built) == _columns(by_keywords)
    assert built.project is project  # the relation is cached, as the keyword would leave it
    assert built._state.adding and built.pk is None


def test_callable_defaults_are_made_afresh_for_each_instance(project):
    first, second = instance_new(AuditLog, action="a"), instance_new(AuditLog, action="b")
    assert first.changes == {} and first.changes is not second.changes
    assert abs(first.created_at - timezone.now()) < datetime.timedelta(seconds=5)


def test_a_field_the_model_lacks_is_refused():
    with pytest.raises(TypeError, match="no field 'colour'"):
        instance_new(AuditLog, action="a", colour="red")
    with pytest.raises(TypeError, match="no field 'colour'"):
        instance_read(AuditLog, id=1, colour="red")


def test_insert_columns_send_what_the_orm_saves(project):
    broker = broker_make(project.organization)
    rules = rules_make(project, number_mode="full")
    referral = instance_new(Referral, organization_id=project.organization_id, project=project, broker=broker,
                            rules=rules, customer_name="刘先生", number_mode="full", phone="13812346621",
                            identity_key="i", key_full="f", key_33="k", ip="10.1.2.3")
    columns, params = insert_columns(referral)
    by_column = dict(zip(columns, params, strict=True))
    quote = connection.ops.quote_name
    assert by_column[quote("customer_name")] == "刘先生" and by_column[quote("project_id")] == project.pk
    assert "13812346621" not in str(by_column[quote("phone")])  # encrypted by its field, not sent as held
    referral.save(force_insert=True)
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.phone, stored.ip, stored.status) == ("13812346621", "10.1.2.3", "reported")


def test_a_read_instance_defers_the_columns_not_read(project):
    read = instance_read(type(project), id=project.pk, organization_id=project.organization_id)
    assert not read._state.adding and read.get_deferred_fields() >= {"name"}
    assert read.name == project.name  # loaded when asked for
