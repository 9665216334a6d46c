"""Which consultant serves a visitor nobody has brought: the project's consultants in turn (轮排)."""

from django.core.cache import cache
from django.db.models import QuerySet

from yunlou.accounts.models import Role, User
from yunlou.catalogue.models import Project
from yunlou.core import ratelimit


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


def project_consultants_by_id(*, project: Project) -> dict[int, User]:
    """The project's current consultants by id, kept in the shared cache for a minute."""
    key = f"rotation:consultants:{project.pk}"
    consultants = cache.get(key)
    if consultants is None:
        consultants = {user.pk: user for user in project_consultants(project=project)}
        cache.set(key, consultants, CONSULTANTS_CACHE_SECONDS)
    return consultants


def consultant_rotation_next(*, project: Project) -> User | None:
    """The next consultant in the project's rotation; the counter lives in the shared cache."""
    consultants = sorted(project_consultants_by_id(project=project).values(), key=lambda user: user.pk)
    if not consultants:
        return None
    turn = ratelimit.count(f"rotation:project:{project.pk}", window_seconds=30 * 86_400)
    return consultants[(turn - 1) % len(consultants)]
