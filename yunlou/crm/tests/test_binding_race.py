"""Two consultants' links opened by one visitor at the same instant: one binding, for whichever came first."""

import uuid

import pytest

from yunlou.core.tests.concurrency import postgres_only, race
from yunlou.crm.models import Binding
from yunlou.crm.services import binding_claim

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]


def test_simultaneous_links_leave_exactly_one_binding(project, consultant, second_consultant):
    for _ in range(5):
        visitor = uuid.uuid4()
        outcomes = race(*[
            lambda user=user, visitor=visitor: binding_claim(project=project, consultant=user, visitor_id=visitor)
            for user in (consultant.user, second_consultant.user)
        ])
        assert not any(isinstance(o, Exception) for o in outcomes), outcomes
        open_bindings = Binding.objects.filter(project=project, visitor_id=visitor, ended_at__isnull=True)
        assert open_bindings.count() == 1
        # both callers were told the same winner
        assert outcomes[0].pk == outcomes[1].pk == open_bindings.get().pk
