"""Which consultant serves a visitor nobody has brought: the project's consultants in turn (轮排)."""

from django.core.cache import cache
from django.db.models import QuerySet

from yunlou.accounts.models import Role, User
from yunlou.catalogue.models import Project
from yunlou.core import ratelimit
from yunlou.core.cache import local_copies


def project_consultants(*, project: Project) -> QuerySet[User]:
    return (
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__role=Role.CONSULTANT,
            memberships__organization_id=project.organization_id,
            memberships__projects=project,
        )
        .distinct()
        .order_by("id")
    )


# Every showroom page view asks who the project's consultants are; a staffing change may take this long to
# reach the pages (writes — consultations, reassignment — always read the database).
CONSULTANTS_CACHE_SECONDS = 60


def consultants_cache_key(project_id: int) -> str:
    return f"rotation:consultants:{project_id}"


_consultant_ids_here = local_copies(seconds=5)


def project_consultant_ids(*, project: Project) -> tuple[int, ...]:
    """The ids of the project's current consultants, in rotation order, kept in the shared cache for a minute
    and by each worker for a few seconds more (ids, not users: unpickling users cost more than the lookup)."""
    key = consultants_cache_key(project.pk)

    def shared() -> tuple[int, ...]:
        ids = cache.get(key)
        if ids is None:
            ids = tuple(project_consultants(project=project).values_list("pk", flat=True))
            cache.set(key, ids, CONSULTANTS_CACHE_SECONDS)
        return ids

    return _consultant_ids_here.get(key, shared)


def consultant_rotation_next_id(*, project: Project) -> int | None:
    """The next consultant in the project's rotation; the counter lives in the shared cache."""
    ids = project_consultant_ids(project=project)
    if not ids:
        return None
    turn = ratelimit.count(f"rotation:project:{project.pk}", window_seconds=30 * 86_400)
    return ids[(turn - 1) % len(ids)]


def consultant_rotation_next(*, project: Project) -> User | None:
    consultant_id = consultant_rotation_next_id(project=project)
    return None if consultant_id is None else User.objects.filter(pk=consultant_id).first()
