import pytest

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.catalogue.services import unit_status_change
from yunlou.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from yunlou.core.models import AuditLog


def test_a_manager_takes_a_unit_off_sale_and_the_change_is_audited(building, manager):
    unit = building.units.get(code="3-0201")
    unit_status_change(staff=manager, unit_id=unit.pk, to_status=UnitStatus.NOT_FOR_SALE, note="开发商预留")
    unit.refresh_from_db()
    assert unit.status == UnitStatus.NOT_FOR_SALE
    entry = AuditLog.objects.get(action="unit.status_change", target_id=str(unit.pk))
    assert entry.actor == manager.user
    assert entry.organization == manager.organization
    assert entry.changes == {"status": ["available", "not_for_sale"]}
    assert entry.note == "开发商预留"


def test_and_puts_it_back_on_sale(building, manager):
    unit = building.units.get(code="3-0201")
    unit_status_change(staff=manager, unit_id=unit.pk, to_status=UnitStatus.NOT_FOR_SALE)
    unit_status_change(staff=manager, unit_id=unit.pk, to_status=UnitStatus.AVAILABLE)
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.AVAILABLE
    assert AuditLog.objects.filter(action="unit.status_change").count() == 2


@pytest.mark.parametrize("status", [UnitStatus.HELD, UnitStatus.SUBSCRIBED, UnitStatus.SIGNED])
def test_sold_or_held_units_change_only_through_orders(building, manager, status):
    unit = building.units.get(code="3-0201")
    Unit.objects.filter(pk=unit.pk).update(status=status)
    with pytest.raises(Conflict) as error:
        unit_status_change(staff=manager, unit_id=unit.pk, to_status=UnitStatus.NOT_FOR_SALE)
    assert error.value.code == "invalid_transition"
    assert Unit.objects.get(pk=unit.pk).status == status
    assert not AuditLog.objects.filter(action="unit.status_change").exists()


def test_a_manager_cannot_mark_a_unit_sold_by_hand(building, manager):
    unit = building.units.get(code="3-0201")
    with pytest.raises(Conflict):
        unit_status_change(staff=manager, unit_id=unit.pk, to_status=UnitStatus.SIGNED)


def test_unknown_status_names_the_field(building, manager):
    with pytest.raises(ValidationFailed) as error:
        unit_status_change(staff=manager, unit_id=building.units.first().pk, to_status="sold")
    assert error.value.field == "status"


def test_consultants_may_not_change_status(building, consultant):
    with pytest.raises(Forbidden):
        unit_status_change(staff=consultant, unit_id=building.units.first().pk, to_status=UnitStatus.NOT_FOR_SALE)


def test_another_organisations_manager_cannot_find_the_unit(building, outsider):
    with pytest.raises(NotFound):
        unit_status_change(staff=outsider, unit_id=building.units.first().pk, to_status=UnitStatus.NOT_FOR_SALE)


def test_the_audit_log_page_reads_the_change_in_words(client, building, manager):
    unit = building.units.get(code="3-0201")
    unit_status_change(staff=manager, unit_id=unit.pk, to_status=UnitStatus.NOT_FOR_SALE, note="开发商预留")
    client.force_login(manager.user)
    page = client.get("/staff/audit/?action=unit.status_change").content.decode()
    assert "修改房源状态" in page and "3-0201" in page
    assert "状态: 可售 → 不可售" in page and "开发商预留" in page
