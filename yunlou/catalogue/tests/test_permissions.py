"""Each role is refused what it must not see, and nobody crosses into another organisation."""

import pytest

from yunlou.accounts.models import Role
from yunlou.accounts.tests.factories import UserFactory, make_staff
from yunlou.catalogue.tests.factories import ProjectFactory
from yunlou.core.audit import audit_record


def test_another_organisations_staff_cannot_see_the_grid(client, building, outsider):
    client.force_login(outsider.user)
    assert client.get(f"/staff/buildings/{building.pk}/grid/").status_code == 404
    assert client.get(f"/api/v1/buildings/{building.pk}/grid").status_code == 404


def test_another_organisations_staff_cannot_see_unpublished_projects(client, project, outsider):
    hidden = ProjectFactory(organization=project.organization, name="内部项目", is_published=False)
    client.force_login(outsider.user)
    assert client.get(f"/api/v1/projects/{hidden.pk}").status_code == 404
    assert "内部项目" not in client.get("/api/v1/projects").content.decode()
    assert client.get(f"/staff/projects/{hidden.pk}/price-list/").status_code == 404
    assert client.get(f"/staff/projects/{hidden.pk}/price-list.xlsx").status_code == 404


def test_another_organisations_staff_cannot_read_the_audit_log(client, building, manager, outsider):
    audit_record(action="unit.status_change", target=building.units.first(), actor=manager.user,
                 organization=manager.organization, note="机密调整")
    client.force_login(outsider.user)
    page = client.get("/staff/audit/")
    assert page.status_code == 200
    assert "机密调整" not in page.content.decode()
    client.force_login(manager.user)
    assert "机密调整" in client.get("/staff/audit/").content.decode()


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.RECEPTIONIST, Role.CHANNEL])
def test_front_line_roles_cannot_read_the_audit_log_or_import_prices(client, project, role):
    staff = make_staff(role=role, organization=project.organization, projects=[project])
    client.force_login(staff.user)
    assert client.get("/staff/audit/").status_code == 403
    assert client.get(f"/staff/projects/{project.pk}/price-list/").status_code == 403


def test_staff_see_only_the_projects_they_cover(client, project, building):
    other_project = ProjectFactory(organization=project.organization, name="别的项目")
    consultant = make_staff(role=Role.CONSULTANT, organization=project.organization, projects=[other_project])
    client.force_login(consultant.user)
    assert client.get(f"/staff/buildings/{building.pk}/grid/").status_code == 404


def test_buyers_are_refused_the_grid(client, building):
    client.force_login(UserFactory())
    assert client.get(f"/staff/buildings/{building.pk}/grid/").status_code == 403
    assert client.get(f"/api/v1/buildings/{building.pk}/grid").status_code == 403


def test_anonymous_callers_are_sent_to_log_in(client, building):
    assert client.get(f"/staff/buildings/{building.pk}/grid/").status_code == 302
    assert client.get(f"/api/v1/buildings/{building.pk}/grid").status_code == 401


def test_a_manager_reads_only_the_audit_entries_of_the_projects_they_cover(client, project, building, manager):
    other = ProjectFactory(organization=project.organization, name="别的项目")
    other_manager = make_staff(role=Role.MANAGER, organization=project.organization, projects=[other])
    audit_record(action="unit.status_change", target=building.units.first(), actor=manager.user, project=project,
                 note="本项目调整")
    client.force_login(other_manager.user)
    assert "本项目调整" not in client.get("/staff/audit/").content.decode()
    admin = make_staff(role=Role.ADMIN, organization=project.organization)
    client.force_login(admin.user)
    assert "本项目调整" in client.get("/staff/audit/").content.decode()


def test_exporting_the_price_list_is_audited(client, project, building, manager):
    from yunlou.core.models import AuditLog

    client.force_login(manager.user)
    assert client.get(f"/staff/projects/{project.pk}/price-list.xlsx").status_code == 200
    entry = AuditLog.objects.get(action="price_list.export")
    assert entry.actor == manager.user and entry.project == project
