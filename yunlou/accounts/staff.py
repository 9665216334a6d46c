"""The caller's staff identity for one request: organisation, role and the projects it covers."""

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from yunlou.accounts.models import Membership, Organization, Role, User
from yunlou.accounts.permissions import ROLE_PERMISSIONS, role_allows


@dataclass(frozen=True)
class Staff:
    user: User
    membership: Membership
    organization: Organization
    role: str
    # None means every project of the organisation (admins); otherwise the covered project ids.
    project_ids: frozenset[int] | None

    def can(self, permission: str) -> bool:
        return role_allows(self.role, permission)

    @property
    def permissions(self) -> frozenset[str]:
        """For templates: `{% if "grid.change_status" in staff.permissions %}`."""
        return ROLE_PERMISSIONS.get(self.role, frozenset())

    def covers(self, project) -> bool:
        """The project is this organisation's and the role covers it (an admin covers all of them)."""
        if project.organization_id != self.organization.pk:
            return False
        return self.project_ids is None or project.pk in self.project_ids

    @property
    def role_label(self) -> str:
        return Role(self.role).label


def staff_for(user: User | None) -> Staff | None:
    if user is None or not user.is_authenticated:
        return None
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user, is_active=True)
        .first()
    )
    if membership is None:
        return None
    project_ids = None
    if membership.role != Role.ADMIN:
        project_ids = frozenset(membership.projects.values_list("id", flat=True))
    return Staff(
        user=user, membership=membership, organization=membership.organization,
        role=membership.role, project_ids=project_ids,
    )


def request_staff(request: HttpRequest) -> Staff | None:
    if not hasattr(request, "_staff"):
        request._staff = staff_for(getattr(request, "user", None))
    return request._staff


def staff_required(permission: str | None = None):
    """View decorator: anonymous → login page; non-staff or missing permission → 403.

    An htmx request (a panel polling on a screen left on, say) whose session has ended gets 401 with
    `HX-Refresh`: the whole page reloads and lands on the login page, instead of the login page being swapped
    into the panel and the polling stopping there."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=401)
                    response["HX-Refresh"] = "true"
                    return response
                return redirect_to_login(request.get_full_path())
            staff = request_staff(request)
            if staff is None or (permission and not staff.can(permission)):
                raise PermissionDenied
            request.staff = staff
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
