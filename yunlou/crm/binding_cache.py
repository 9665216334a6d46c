"""Which consultant holds a visitor (锁客), answered from the shared cache for showroom page views.

Every page view asks; a shared link in a busy WeChat group means thousands of asks a second, nearly all
with the same answer as a moment ago. The database stays the truth for every write: services that open,
end or move a binding, or that tie a browser to a customer, forget the affected visitors' answers when
their transaction commits. An answer carries its binding's expiry, and an expired one is looked up again,
so renewals and expiry need no forgetting. `VISITOR_SECONDS` bounds how long an answer can outlive a change
that raced with its lookup.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from yunlou.catalogue.models import Project

VISITOR_SECONDS = 300


@dataclass(frozen=True)
class HeldBy:
    consultant_id: int
    expires_at: datetime


@dataclass(frozen=True)
class VisitorAnswer:
    """Who holds the visitor, and whether the browser belongs to a known customer: a customer's binding can
    change without the browser asking (a manager reassigns the customer), an anonymous browser's cannot."""

    held_by: HeldBy | None
    is_customers_browser: bool


def visitor_cache_key(project_id: int, visitor_id: uuid.UUID) -> str:
    return f"binding:visitor:{project_id}:{visitor_id}"


def visitor_held_by(*, project: Project, visitor_id: uuid.UUID | None) -> VisitorAnswer:
    """The consultant whose binding holds this visitor now (or None), from the shared cache or the database."""
    from yunlou.crm.services.bindings import binding_for_visitor
    from yunlou.crm.services.rotation import project_consultant_ids

    if visitor_id is None:
        return VisitorAnswer(held_by=None, is_customers_browser=False)
    now = timezone.now()
    key = visitor_cache_key(project.pk, visitor_id)
    cached = cache.get(key)
    if cached is not None:
        consultant_id, expires_at, is_customers_browser = cached
        if consultant_id is None:
            return VisitorAnswer(held_by=None, is_customers_browser=is_customers_browser)
        if expires_at > now and consultant_id in project_consultant_ids(project=project):
            return VisitorAnswer(held_by=HeldBy(consultant_id=consultant_id, expires_at=expires_at),
                                 is_customers_browser=is_customers_browser)
    binding, is_customers_browser = binding_for_visitor(project=project, visitor_id=visitor_id, now=now,
                                                        with_customer_flag=True)
    if binding is None:
        cache.set(key, (None, None, is_customers_browser), VISITOR_SECONDS)
        return VisitorAnswer(held_by=None, is_customers_browser=is_customers_browser)
    cache.set(key, (binding.consultant_id, binding.expires_at, is_customers_browser), VISITOR_SECONDS)
    return VisitorAnswer(held_by=HeldBy(consultant_id=binding.consultant_id, expires_at=binding.expires_at),
                         is_customers_browser=is_customers_browser)


def visitors_forget(*, project_id: int, visitor_ids: Iterable[uuid.UUID | None]) -> None:
    """Drop the cached answers of these visitors now and again when the current transaction commits: a page
    view between the two may have cached the answer the transaction is about to change."""
    keys = [visitor_cache_key(project_id, visitor_id) for visitor_id in visitor_ids if visitor_id is not None]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def customer_visitors_forget(*, project_id: int, customer_id: int | None) -> None:
    """Drop the cached answers of every browser known to belong to this customer."""
    from yunlou.crm.models import CustomerVisitor

    if customer_id is not None:
        visitors_forget(project_id=project_id, visitor_ids=CustomerVisitor.objects.filter(
            customer_id=customer_id).values_list("visitor_id", flat=True))
