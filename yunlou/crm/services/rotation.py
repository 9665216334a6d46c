"""Which consultant serves a visitor nobody has brought: the project's consultants in turn (轮排)."""

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


def consultant_rotation_next(*, project: Project) -> User | None:
    """The next consultant in the project's rotation; the counter lives in the shared cache."""
    consultants = list(project_consultants(project=project))
    if not consultants:
        return None
    turn = ratelimit.count(f"rotation:project:{project.pk}", window_seconds=30 * 86_400)
    return consultants[(turn - 1) % len(consultants)]
