"""Recording presale permits (预售许可证): which buildings, which price list was filed, who may."""

import datetime

import pytest

from yunlou.accounts.models import Role
from yunlou.accounts.tests.factories import make_staff
from yunlou.catalogue.models import PresalePermit, PriceListVersion, UnitStatus
from yunlou.catalogue.services import presale_permit_record, unit_transition
from yunlou.catalogue.tests.factories import BuildingFactory, building_with_units
from yunlou.core.errors import Forbidden, NotFound, ValidationFailed
from yunlou.core.models import AuditLog

ISSUED = datetime.date(2026, 10, 8)
AUTHORITY = "杭州市住房保障和房产管理局"


@pytest.fixture
def unpermitted(project, plans):
    return building_with_units(project=project, number="6", plans=plans, permit=False,
                               status=UnitStatus.NOT_FOR_SALE)


def record(staff, project, buildings, **fields):
    return presale_permit_record(**{
        "staff": staff, "project_id": project.pk, "number": "杭售许字(2026)第000321号", "issued_on": ISSUED,
        "authority": AUTHORITY, "building_ids": [b.pk for b in buildings], **fields})


def test_a_permit_covers_buildings_with_the_current_price_list_by_default(project, unpermitted, manager):
    other = BuildingFactory(project=project, number="7")
    permit = record(manager, project, [unpermitted, other])
    assert set(permit.buildings.all()) == {unpermitted, other}
    assert permit.price_list_version == PriceListVersion.objects.filter(project=project).order_by("-number").first()
    entry = AuditLog.objects.get(action="presale_permit.record")
    assert entry.changes["number"] == "杭售许字(2026)第000321号" and entry.actor == manager.user
    # now its units may go on sale
    unit = unpermitted.units.first()
    unit_transition(unit=unit, to_status=UnitStatus.AVAILABLE)


def test_the_filed_version_may_be_an_older_one_or_none(project, unpermitted, manager):
    first = PriceListVersion.objects.filter(project=project).order_by("number").first()
    assert record(manager, project, [unpermitted], price_list_version_id=first.pk).price_list_version == first
    other = BuildingFactory(project=project, number="7")
    assert record(manager, project, [other], number="第2号", price_list_version_id=None).price_list_version is None


@pytest.mark.parametrize("fields, field", [
    ({"number": "  "}, "number"),
    ({"number": "号" * 61}, "number"),
    ({"issued_on": None}, "issued_on"),
    ({"issued_on": datetime.date(2999, 1, 1)}, "issued_on"),
    ({"authority": ""}, "authority"),
    ({"building_ids": []}, "buildings"),
    ({"price_list_version_id": 999_999}, "price_list_version"),
])
def test_bad_input_is_named_by_field_and_records_nothing(project, unpermitted, manager, fields, field):
    with pytest.raises(ValidationFailed) as error:
        record(manager, project, [unpermitted], **fields)
    assert error.value.field == field
    assert not PresalePermit.objects.filter(number__contains="000321").exists()
    unpermitted.refresh_from_db()
    assert unpermitted.presale_permit is None


def test_a_number_is_recorded_once_per_project(project, unpermitted, manager):
    record(manager, project, [unpermitted])
    other = BuildingFactory(project=project, number="7")
    with pytest.raises(ValidationFailed) as error:
        record(manager, project, [other])
    assert error.value.field == "number"


def test_a_building_that_has_a_permit_keeps_it(project, building, manager):
    with pytest.raises(ValidationFailed) as error:
        record(manager, project, [building])
    assert error.value.field == "buildings" and str(building) in error.value.message


def test_buildings_and_versions_of_another_project_are_refused(project, unpermitted, manager, outsider):
    foreign = BuildingFactory(number="1")
    with pytest.raises(ValidationFailed) as error:
        record(manager, project, [unpermitted, foreign])
    assert error.value.field == "buildings"
    foreign_version = PriceListVersion.objects.create(project=foreign.project, number=1)
    with pytest.raises(ValidationFailed) as error:
        record(manager, project, [unpermitted], price_list_version_id=foreign_version.pk)
    assert error.value.field == "price_list_version"


def test_only_managers_and_admins_of_the_organisation_record_permits(project, unpermitted, consultant, outsider):
    with pytest.raises(Forbidden):
        record(consultant, project, [unpermitted])
    with pytest.raises(NotFound):
        record(outsider, project, [unpermitted])
    admin = make_staff(role=Role.ADMIN, organization=project.organization)
    assert record(admin, project, [unpermitted]).project == project


def test_the_permits_page_records_a_permit_and_lists_it(client, project, unpermitted, manager):
    client.force_login(manager.user)
    url = f"/staff/projects/{project.pk}/permits/"
    page = client.get(url).content.decode()
    current = PriceListVersion.objects.filter(project=project).order_by("-number").first()
    assert f'<option value="{current.pk}" selected>' in page
    response = client.post(url, {"number": "杭售许字(2026)第000321号", "issued_on": "2026-10-08",
                                 "authority": AUTHORITY, "buildings": [unpermitted.pk],
                                 "price_list_version": current.pk})
    assert response.status_code == 302
    unpermitted.refresh_from_db()
    assert unpermitted.presale_permit.number == "杭售许字(2026)第000321号"
    page = client.get(url).content.decode()
    assert "杭售许字(2026)第000321号" in page and str(unpermitted) in page and f"V{current.number}" in page


def test_the_permits_page_names_the_bad_fields(client, project, unpermitted, building, manager):
    client.force_login(manager.user)
    response = client.post(f"/staff/projects/{project.pk}/permits/", {
        "number": "", "issued_on": "2026-13-45", "authority": AUTHORITY, "buildings": [building.pk]})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="number"' in page and 'data-field="issued_on"' in page
    response = client.post(f"/staff/projects/{project.pk}/permits/", {
        "number": "第9号", "issued_on": "2026-10-08", "authority": AUTHORITY, "buildings": [building.pk]})
    assert response.status_code == 400 and 'data-field="buildings"' in response.content.decode()
    assert not PresalePermit.objects.filter(number="第9号").exists()
