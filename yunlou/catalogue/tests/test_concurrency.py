"""Two people act on the same unit at the same instant: exactly one wins, on real parallel connections."""

import pytest
from django.db import transaction

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.catalogue.services import unit_status_change, unit_transition
from yunlou.core.errors import Conflict
from yunlou.core.models import AuditLog
from yunlou.core.tests.concurrency import postgres_only, race

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]


def test_a_manager_taking_a_unit_off_sale_and_a_buyer_holding_it_cannot_both_win(building, manager):
    unit = building.units.get(code="3-0201")

    def take_off_sale():
        return unit_status_change(staff=manager, unit_id=unit.pk, to_status=UnitStatus.NOT_FOR_SALE)

    def hold():
        with transaction.atomic():
            locked = Unit.objects.select_for_update().get(pk=unit.pk)
            return unit_transition(unit=locked, to_status=UnitStatus.HELD)

    for _ in range(5):
        Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.AVAILABLE)
        AuditLog.objects.all().delete()
        outcomes = race(take_off_sale, hold)
        winners = [o for o in outcomes if not isinstance(o, Exception)]
        losers = [o for o in outcomes if isinstance(o, Exception)]
        assert len(winners) == 1 and len(losers) == 1
        assert isinstance(losers[0], Conflict)
        final = Unit.objects.get(pk=unit.pk).status
        assert final in {UnitStatus.NOT_FOR_SALE, UnitStatus.HELD}
        # the audit log records a status change only when the manager's change is the one that happened
        assert AuditLog.objects.filter(action="unit.status_change").count() == (final == UnitStatus.NOT_FOR_SALE)


def test_two_managers_changing_one_unit_record_one_change(building, manager):
    unit = building.units.get(code="3-0302")
    outcomes = race(*[lambda: unit_status_change(staff=manager, unit_id=unit.pk,
                                                 to_status=UnitStatus.NOT_FOR_SALE)] * 2)
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert AuditLog.objects.filter(action="unit.status_change", target_id=str(unit.pk)).count() == 1


def test_two_price_lists_confirmed_at_once_make_one_version_and_the_other_is_refused_as_stale(project, building,
                                                                                             manager):
    from yunlou.catalogue.models import PriceListVersion
    from yunlou.catalogue.services import price_list_confirm, price_list_upload
    from yunlou.catalogue.tests.sheets import xlsx

    for attempt in range(3):
        PriceListVersion.objects.filter(project=project, number__gt=1).delete()
        drafts = [
            price_list_upload(staff=manager, project_id=project.pk, file_name=f"{attempt}-{price}.xlsx",
                              file=xlsx(["3", "3-0101", "A户型", 76, price], ["3", "3-0102", "B户型", 89, price + 1]))
            for price in (2_290_000 + attempt * 10, 2_390_000 + attempt * 10)
        ]
        outcomes = race(*[lambda d=draft: price_list_confirm(staff=manager, draft_id=d.pk) for draft in drafts])
        winners = [o for o in outcomes if isinstance(o, PriceListVersion)]
        losers = [o for o in outcomes if isinstance(o, Exception)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        assert isinstance(losers[0], Conflict) and losers[0].code == "stale_preview"
        won = winners[0]
        assert PriceListVersion.objects.filter(project=project).count() == 2
        assert Unit.objects.get(building=building, code="3-0101").list_price == won.changes.get(
            unit__code="3-0101").new_list_price
