import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from yunlou.accounts.phone_codes import phone_code_request
from yunlou.accounts.sms import ConsoleSmsBackend
from yunlou.accounts.tests.utils import sms_code_for
from yunlou.catalogue.models import UnitStatus
from yunlou.core.errors import RateLimited, ValidationFailed
from yunlou.core.models import Notification
from yunlou.crm.models import Binding, BindingEnd, Consultation, Customer, CustomerSource, CustomerStage
from yunlou.crm.services import binding_claim, consultation_submit
from yunlou.crm.services.consultations import ConsultationInput

PHONE = "13812345678"


def ask(project, *, phone=PHONE, visitor=None, code=None, **fields):
    if code is None:
        code = sms_code_for(phone)
    return consultation_submit(
        project=project, data=ConsultationInput(name=fields.pop("name", "李女士"), phone=phone, code=code, **fields),
        visitor_id=visitor, ip="10.0.0.1",
    )


def test_a_visitor_brought_by_a_link_becomes_that_consultants_lead(project, building, consultant, second_consultant):
    visitor = uuid.uuid4()
    binding_claim(project=project, consultant=consultant.user, visitor_id=visitor)
    unit = building.units.get(code="3-0302")
    visit_at = timezone.now() + timedelta(days=3)
    consultation = ask(project, visitor=visitor, question="B户型还有高楼层吗？", preferred_visit_at=visit_at,
                       unit_id=unit.pk)

    customer = Customer.objects.get(project=project)
    assert customer.phone == PHONE and customer.owner == consultant.user
    assert customer.stage == CustomerStage.LEAD and customer.source == CustomerSource.CONSULTATION
    assert (consultation.consultant, consultation.unit, consultation.preferred_visit_at) == (
        consultant.user, unit, visit_at)
    # the anonymous binding carried over to the customer
    binding = Binding.objects.get(project=project, ended_at__isnull=True)
    assert binding.customer == customer and binding.visitor_id == visitor
    notice = Notification.objects.get(recipient=consultant.user)
    assert "李女士" in notice.title and "3-0302" in notice.title and "138****5678" in notice.body


def test_the_contact_renews_the_binding(project, consultant):
    visitor = uuid.uuid4()
    binding = binding_claim(project=project, consultant=consultant.user, visitor_id=visitor)
    Binding.objects.filter(pk=binding.pk).update(expires_at=timezone.now() + timedelta(days=1))
    ask(project, visitor=visitor)
    binding.refresh_from_db()
    assert binding.expires_at > timezone.now() + timedelta(days=29)


def test_an_unbound_visitor_goes_to_the_consultant_whose_turn_it_is(project, consultant, second_consultant):
    first = ask(project, phone="13800000001", visitor=uuid.uuid4())
    second = ask(project, phone="13800000002", visitor=uuid.uuid4())
    assert {first.consultant, second.consultant} == {consultant.user, second_consultant.user}
    assert Binding.objects.filter(ended_at__isnull=True).count() == 2


def test_a_known_customer_stays_with_the_first_consultant_on_a_new_device(project, consultant, second_consultant):
    ask(project, visitor=uuid.uuid4())  # rotation: first consultant
    owner = Customer.objects.get().owner
    other = second_consultant.user if owner == consultant.user else consultant.user
    new_device = uuid.uuid4()
    anonymous = binding_claim(project=project, consultant=other, visitor_id=new_device)
    consultation = ask(project, visitor=new_device)
    assert consultation.consultant == owner
    anonymous.refresh_from_db()
    assert anonymous.end_reason == BindingEnd.SUPERSEDED
    assert Customer.objects.count() == 1 and Consultation.objects.count() == 2


def nothing_saved():
    return not Customer.objects.exists() and not Consultation.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"phone": "12345"}, "phone"),
    ({"name": ""}, "name"),
    ({"name": "李" * 31}, "name"),
    ({"question": "问" * 501}, "question"),
    ({"preferred_visit_at": timezone.now() - timedelta(hours=1)}, "preferred_visit_at"),
    ({"preferred_visit_at": timezone.now() + timedelta(days=120)}, "preferred_visit_at"),
    ({"unit_id": 999_999}, "unit_id"),
])
def test_bad_fields_are_named_and_nothing_is_saved(project, consultant, fields, field):
    with pytest.raises(ValidationFailed) as error:
        ask(project, code="123456", **fields)
    assert field in {d["field"] for d in error.value.details}
    assert nothing_saved()


def test_every_bad_field_is_reported_at_once(project, consultant):
    with pytest.raises(ValidationFailed) as error:
        ask(project, code="123456", phone="1", name="", question="问" * 600)
    assert {d["field"] for d in error.value.details} == {"phone", "name", "question"}


def test_a_unit_held_back_from_sale_cannot_be_asked_about(project, building, consultant):
    unit = building.units.get(code="3-0101")
    unit.status = UnitStatus.NOT_FOR_SALE
    unit.save()
    with pytest.raises(ValidationFailed):
        ask(project, unit_id=unit.pk)
    assert nothing_saved()


def test_a_wrong_code_is_refused(project, consultant):
    phone_code_request(phone=PHONE, purpose="consultation", ip=None)
    wrong = f"{(int(ConsoleSmsBackend.last_code(PHONE)) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationFailed) as error:
        ask(project, code=wrong)
    assert error.value.field == "code"
    assert nothing_saved()


def test_a_code_never_requested_is_refused(project, consultant):
    with pytest.raises(ValidationFailed) as error:
        ask(project, code="123456")
    assert error.value.code == "code_expired"


def test_a_code_works_once(project, consultant):
    code = sms_code_for(PHONE)
    ask(project, code=code)
    with pytest.raises(ValidationFailed):
        ask(project, code=code)


def test_questions_per_network_are_limited(project, consultant, settings):
    from yunlou.crm.services import consultations

    for n in range(consultations.CONSULTATIONS_PER_IP_PER_HOUR):
        ask(project, phone=f"1380000{n:04d}")
    with pytest.raises(RateLimited):
        ask(project, phone="13900009999")


def test_after_an_expiry_the_next_consultants_link_wins_the_customer_too(project, consultant, second_consultant):
    """The nightly sweep has not run yet: the lapsed binding must not block the new one (no 500)."""
    first_device = uuid.uuid4()
    binding_claim(project=project, consultant=consultant.user, visitor_id=first_device)
    ask(project, visitor=first_device)
    Binding.objects.update(expires_at=timezone.now() - timedelta(minutes=1))  # lapsed, not yet swept

    new_device = uuid.uuid4()
    binding_claim(project=project, consultant=second_consultant.user, visitor_id=new_device)
    consultation = ask(project, visitor=new_device)

    customer = Customer.objects.get()
    assert consultation.consultant == second_consultant.user
    assert customer.owner == second_consultant.user  # owner and binding never disagree
    assert Binding.objects.get(ended_at__isnull=True).consultant == second_consultant.user
    assert Binding.objects.get(consultant=consultant.user).end_reason == BindingEnd.EXPIRED
    from yunlou.core.models import AuditLog

    change = AuditLog.objects.filter(action="customer.consultation").latest("id").changes
    assert change["owner"] == ["王磊", "陈晓雯"]
