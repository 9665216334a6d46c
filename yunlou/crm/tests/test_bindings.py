import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from yunlou.core.errors import Forbidden, ValidationFailed
from yunlou.core.models import AuditLog
from yunlou.crm.models import Binding, BindingEnd, Customer
from yunlou.crm.services import binding_claim, binding_for_visitor, binding_reassign, bindings_expire


def test_the_first_consultants_link_wins(project, consultant, second_consultant):
    visitor = uuid.uuid4()
    first = binding_claim(project=project, consultant=consultant.user, visitor_id=visitor)
    second = binding_claim(project=project, consultant=second_consultant.user, visitor_id=visitor)
    assert second.pk == first.pk and second.consultant == consultant.user
    assert Binding.objects.filter(project=project, ended_at__isnull=True).count() == 1


def test_a_binding_lasts_thirty_days(project, consultant):
    binding = binding_claim(project=project, consultant=consultant.user, visitor_id=uuid.uuid4())
    assert binding.expires_at - binding.bound_at == timedelta(days=30)


def test_after_expiry_the_next_link_wins(project, consultant, second_consultant):
    visitor = uuid.uuid4()
    old = binding_claim(project=project, consultant=consultant.user, visitor_id=visitor)
    Binding.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert binding_for_visitor(project=project, visitor_id=visitor) is None
    new = binding_claim(project=project, consultant=second_consultant.user, visitor_id=visitor)
    assert new.consultant == second_consultant.user
    old.refresh_from_db()
    assert old.end_reason == BindingEnd.EXPIRED and old.ended_at is not None


def test_the_sweep_closes_expired_bindings(project, consultant):
    binding = binding_claim(project=project, consultant=consultant.user, visitor_id=uuid.uuid4())
    assert bindings_expire(now=binding.expires_at + timedelta(seconds=1)) == 1
    binding.refresh_from_db()
    assert binding.end_reason == BindingEnd.EXPIRED


def test_following_the_same_consultants_link_again_renews(project, consultant):
    visitor = uuid.uuid4()
    binding = binding_claim(project=project, consultant=consultant.user, visitor_id=visitor)
    Binding.objects.filter(pk=binding.pk).update(expires_at=timezone.now() + timedelta(days=2))
    renewed = binding_claim(project=project, consultant=consultant.user, visitor_id=visitor)
    assert renewed.expires_at > timezone.now() + timedelta(days=29)


def test_another_consultants_link_does_not_renew(project, consultant, second_consultant):
    visitor = uuid.uuid4()
    binding = binding_claim(project=project, consultant=consultant.user, visitor_id=visitor)
    soon = timezone.now() + timedelta(days=2)
    Binding.objects.filter(pk=binding.pk).update(expires_at=soon)
    binding_claim(project=project, consultant=second_consultant.user, visitor_id=visitor)
    binding.refresh_from_db()
    assert binding.expires_at == soon


def test_bindings_are_per_project(project, consultant, second_consultant):
    from yunlou.catalogue.tests.factories import ProjectFactory

    other = ProjectFactory(organization=project.organization)
    second_consultant.membership.projects.add(other)
    visitor = uuid.uuid4()
    binding_claim(project=project, consultant=consultant.user, visitor_id=visitor)
    there = binding_claim(project=other, consultant=second_consultant.user, visitor_id=visitor)
    assert there.consultant == second_consultant.user


@pytest.fixture
def customer(project, consultant):
    customer = Customer.objects.create(project=project, name="刘先生", phone="13812346621", owner=consultant.user)
    now = timezone.now()
    Binding.objects.create(project=project, consultant=consultant.user, customer=customer, bound_at=now,
                           expires_at=Binding.term_from(now))
    return customer


def test_a_manager_reassigns_a_customer_and_it_is_audited(customer, manager, consultant, second_consultant):
    binding = binding_reassign(staff=manager, customer_id=customer.pk, consultant_id=second_consultant.user.pk,
                               reason="王磊离职交接")
    customer.refresh_from_db()
    assert customer.owner == second_consultant.user and binding.consultant == second_consultant.user
    ended = Binding.objects.get(customer=customer, consultant=consultant.user)
    assert ended.end_reason == BindingEnd.REASSIGNED
    entry = AuditLog.objects.get(action="binding.reassign", target_id=str(customer.pk))
    assert entry.actor == manager.user and entry.note == "王磊离职交接"
    assert entry.changes == {"consultant": ["王磊", "陈晓雯"]}


def test_consultants_cannot_reassign(customer, consultant, second_consultant):
    with pytest.raises(Forbidden):
        binding_reassign(staff=consultant, customer_id=customer.pk, consultant_id=second_consultant.user.pk,
                         reason="想要")


def test_reassignment_needs_a_consultant_of_the_project_and_a_reason(customer, manager, outsider):
    with pytest.raises(ValidationFailed) as error:
        binding_reassign(staff=manager, customer_id=customer.pk, consultant_id=outsider.user.pk, reason="x")
    assert error.value.field == "consultant"
    with pytest.raises(ValidationFailed) as error:
        binding_reassign(staff=manager, customer_id=customer.pk, consultant_id=customer.owner_id, reason=" ")
    assert error.value.field == "reason"
    assert not AuditLog.objects.filter(action="binding.reassign").exists()


def test_the_periodic_task_closes_expired_bindings(project, consultant):
    from yunlou.crm.tasks import bindings_expire_task

    binding = binding_claim(project=project, consultant=consultant.user, visitor_id=uuid.uuid4())
    Binding.objects.filter(pk=binding.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert bindings_expire_task.apply().get() == 1  # run here, whatever the broker


def test_reopening_the_link_within_the_hour_writes_nothing(project, consultant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    visitor = uuid.uuid4()
    first = binding_claim(project=project, consultant=consultant.user, visitor_id=visitor)
    with CaptureQueriesContext(connection) as captured:
        again = binding_claim(project=project, consultant=consultant.user, visitor_id=visitor)
    assert again.pk == first.pk and again.expires_at == first.expires_at
    assert not [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
