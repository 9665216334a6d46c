"""What every showroom page needs to know about the visit: who brought the visitor, whose card to show.

The card a visitor sees is the consultant who will call back: the bound consultant (锁客) if a link
bound them; else the consultant the rotation (轮排) gave this visitor the first time, kept for 30 days in a
signed cookie and, for clients without cookies (a mini program sending X-Visitor-Id), in the shared cache;
a consultation left on the page goes to that same consultant.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

from yunlou.accounts.models import Role, User
from yunlou.accounts.staff import request_staff
from yunlou.catalogue.models import Project
from yunlou.crm.services import (
    binding_claim,
    binding_for_visitor,
    consultant_rotation_next,
    project_consultants_by_id,
)
from yunlou.showroom.middleware import VISITOR_HEADER
from yunlou.showroom.models import ShareCode

ROTATION_COOKIE = "yl_cc{}"
ROTATION_DAYS = 30
_ROTATION_KEY = "rotation:choice:{}:{}"


@dataclass(frozen=True)
class Visit:
    project: Project
    consultant: User | None  # the consultant card on the page, and who gets the visitor's consultation
    is_bound: bool  # the consultant holds this visitor through a binding (锁客)
    is_own_preview: bool = False  # a consultant of the project looking at it: their own card


SHARE_CODE_CACHE_SECONDS = 600


def _share_owner(code: str, project: Project) -> tuple[int | None, User | None]:
    """The share code's id and its owner, if the owner is a current consultant of the project (a stale poster
    from someone who left binds no one). Codes never change hands, so the lookup is cached."""
    key = f"share:{project.pk}:{code[:12]}"
    found = cache.get(key)
    if found is None:
        share = ShareCode.objects.filter(code=code[:12], project=project).values_list("pk", "owner_id").first()
        found = share or (0, 0)
        cache.set(key, found, SHARE_CODE_CACHE_SECONDS)
    share_id, owner_id = found
    if not share_id:
        return None, None
    return share_id, project_consultants_by_id(project=project).get(owner_id)


def visit_for(request: HttpRequest, project: Project) -> Visit:
    """Bind a visitor arriving through a consultant's link, then find the consultant for the card."""
    request.wants_visitor_cookie = True
    staff = request_staff(request)
    if staff is not None and staff.role == Role.CONSULTANT and staff.covers(project):
        return Visit(project=project, consultant=staff.user, is_bound=False, is_own_preview=True)
    code = request.GET.get("s", "")
    if code:
        share_id, owner = _share_owner(code, project)
        if owner is not None:
            binding = binding_claim(project=project, consultant=owner, visitor_id=request.visitor_id,
                                    share_code_id=share_id)
            return Visit(project=project, consultant=binding.consultant, is_bound=True)
    binding = binding_for_visitor(project=project, visitor_id=request.visitor_id)
    if binding is not None:
        return Visit(project=project, consultant=binding.consultant, is_bound=True)
    return Visit(project=project, consultant=_rotation_consultant(request, project), is_bound=False)


def _rotation_consultant(request: HttpRequest, project: Project) -> User | None:
    """The consultant the rotation gave this visitor, chosen once and then kept."""
    cookie = ROTATION_COOKIE.format(project.pk)
    # Browsers keep the choice in their cookie; only clients without cookies need it kept for them.
    key = _ROTATION_KEY.format(project.pk, request.visitor_id) if VISITOR_HEADER in request.headers else None
    remembered = request.get_signed_cookie(cookie, default=None, max_age=ROTATION_DAYS * 86_400)
    if not (remembered and remembered.isdigit()) and key:
        remembered = cache.get(key)
    if remembered:
        # Still a consultant of the project? Someone who left (or moved project) hands the visitor on.
        consultant = project_consultants_by_id(project=project).get(int(remembered))
        if consultant is not None:
            return consultant
    consultant = consultant_rotation_next(project=project)
    if consultant is not None:
        request.showroom_cookies[cookie] = str(consultant.pk)
        if key:
            cache.set(key, str(consultant.pk), timeout=ROTATION_DAYS * 86_400)
    return consultant
