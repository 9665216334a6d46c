import uuid

import pytest

from yunlou.accounts.tests.utils import sms_code_for
from yunlou.core.models import AuditLog, Notification
from yunlou.crm.models import Customer
from yunlou.crm.services import binding_claim, consultation_submit
from yunlou.crm.services.consultations import ConsultationInput


@pytest.fixture
def lead(showroom, consultant):
    visitor = uuid.uuid4()
    binding_claim(project=showroom, consultant=consultant.user, visitor_id=visitor)
    consultation_submit(project=showroom, data=ConsultationInput(
        name="李女士", phone="13812345678", code=sms_code_for("13812345678"), question="有优惠吗"),
        visitor_id=visitor, ip=None)
    return Customer.objects.get(project=showroom)


def test_the_consultant_sees_their_new_lead_masked(client, lead, consultant):
    client.force_login(consultant.user)
    page = client.get("/m/customers/").content.decode()
    assert "李女士" in page and "138****5678" in page and "13812345678" not in page
    assert "有优惠吗" in client.get("/m/consultations/").content.decode()
    assert "李女士" in client.get("/m/notifications/").content.decode()


def test_revealing_the_number_is_for_the_owner_and_audited(client, lead, consultant):
    client.force_login(consultant.user)
    response = client.post(f"/m/customers/{lead.pk}/phone/")
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    entry = AuditLog.objects.get(action="customer.phone_reveal", target_id=str(lead.pk))
    assert entry.actor == consultant.user


def test_another_consultant_neither_lists_nor_reveals_the_customer_and_learns_nothing(client, lead,
                                                                                    second_consultant):
    client.force_login(second_consultant.user)
    assert "李女士" not in client.get("/m/customers/").content.decode()
    someone_elses = client.post(f"/m/customers/{lead.pk}/phone/")
    missing = client.post(f"/m/customers/{lead.pk + 1000}/phone/")
    # the same answer as for a customer that does not exist: asking does not reveal whose customer it is
    assert someone_elses.status_code == missing.status_code == 404
    assert someone_elses.content == missing.content
    assert client.get(f"/m/customers/{lead.pk}/").status_code == 404
    assert not AuditLog.objects.filter(action="customer.phone_reveal").exists()
    refused = AuditLog.objects.get(action="customer.phone_reveal_refused", target_id=str(lead.pk))
    assert refused.actor == second_consultant.user


def test_a_manager_sees_the_customer_masked_and_cannot_reveal_it(client, lead, manager):
    client.force_login(manager.user)
    assert "138****5678" in client.get("/m/customers/").content.decode()
    assert client.post(f"/m/customers/{lead.pk}/phone/").status_code == 403
    assert AuditLog.objects.filter(action="customer.phone_reveal_refused", actor=manager.user).count() == 1


def test_a_manager_reassigns_from_the_customer_page(client, lead, manager, second_consultant):
    client.force_login(manager.user)
    response = client.post(f"/m/customers/{lead.pk}/", {"consultant": second_consultant.user.pk, "reason": "轮休"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == second_consultant.user
    bad = client.post(f"/m/customers/{lead.pk}/", {"consultant": "abc", "reason": ""})
    assert bad.status_code == 400


def test_consultants_cannot_post_a_reassignment(client, lead, consultant, second_consultant):
    client.force_login(consultant.user)
    response = client.post(f"/m/customers/{lead.pk}/", {"consultant": second_consultant.user.pk, "reason": "x"})
    assert response.status_code == 403


def test_consultations_are_marked_handled_and_notifications_read(client, lead, consultant):
    client.force_login(consultant.user)
    consultation = lead.consultations.get()
    client.post("/m/consultations/", {"handled": [str(consultation.pk), "abc"]})
    consultation.refresh_from_db()
    assert consultation.handled_at is not None
    client.post("/m/notifications/")
    assert not Notification.objects.filter(recipient=consultant.user, read_at__isnull=True).exists()


@pytest.mark.parametrize("role", ["receptionist", "channel", "finance"])
def test_roles_without_a_workbench_are_refused(client, showroom, role):
    from yunlou.accounts.tests.factories import make_staff

    staff = make_staff(role=role, organization=showroom.organization, projects=[showroom])
    client.force_login(staff.user)
    assert client.get("/m/").status_code == 403


def test_a_consultant_who_left_no_longer_reads_the_old_developers_consultations(client, lead, consultant):
    from yunlou.accounts.models import Membership, Role
    from yunlou.accounts.tests.factories import OrganizationFactory

    consultant.membership.is_active = False
    consultant.membership.save()
    Membership.objects.create(user=consultant.user, organization=OrganizationFactory(), role=Role.CONSULTANT)
    client.force_login(consultant.user)
    assert "李女士" not in client.get("/m/consultations/").content.decode()
    assert "李女士" not in client.get("/m/notifications/").content.decode()
    assert "李女士" not in client.get("/m/customers/").content.decode()
    assert client.post(f"/m/customers/{lead.pk}/phone/").status_code == 404


def test_a_consultant_taken_off_the_project_no_longer_reads_its_consultations(client, lead, consultant):
    consultant.membership.projects.clear()
    client.force_login(consultant.user)
    assert "李女士" not in client.get("/m/consultations/").content.decode()


def test_odd_numbers_in_the_handled_list_are_ignored(client, lead, consultant):
    client.force_login(consultant.user)
    response = client.post("/m/consultations/", {"handled": ["²", "9" * 5000, "99999999999999999999", "-1"]})
    assert response.status_code == 302
    assert lead.consultations.get().handled_at is None
