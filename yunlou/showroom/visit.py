"""What every showroom page needs to know about the visit: who brought the visitor, whose card to show."""

from dataclasses import dataclass

from django.http import HttpRequest

from yunlou.accounts.models import User
from yunlou.catalogue.models import Project
from yunlou.crm.services import binding_claim, binding_for_visitor, consultant_rotation_next, project_consultants
from yunlou.showroom.models import ShareCode

ROTATION_COOKIE = "yl_cc{}"


@dataclass(frozen=True)
class Visit:
    project: Project
    consultant: User | None  # the consultant card on the page
    is_bound: bool  # the consultant holds this visitor through a binding (锁客)


def _share_owner(code: str, project: Project) -> tuple[ShareCode | None, User | None]:
    share = ShareCode.objects.select_related("owner").filter(code=code[:12], project=project).first()
    if share is None:
        return None, None
    # Only a current consultant of the project binds; a stale poster from someone who left does not.
    owner = project_consultants(project=project).filter(pk=share.owner_id).first()
    return share, owner


def visit_for(request: HttpRequest, project: Project) -> Visit:
    """Bind a visitor arriving through a consultant's link, then find the consultant for the card.

    The bound consultant comes first; otherwise the visitor keeps the consultant the rotation gave them
    last time (a signed cookie), or the rotation picks the next one now.
    """
    request.wants_visitor_cookie = True
    code = request.GET.get("s", "")
    if code:
        share, owner = _share_owner(code, project)
        if owner is not None:
            binding = binding_claim(project=project, consultant=owner, visitor_id=request.visitor_id,
                                    share_code=share)
            return Visit(project=project, consultant=binding.consultant, is_bound=True)
    binding = binding_for_visitor(project=project, visitor_id=request.visitor_id)
    if binding is not None:
        return Visit(project=project, consultant=binding.consultant, is_bound=True)

    cookie = ROTATION_COOKIE.format(project.pk)
    remembered = request.get_signed_cookie(cookie, default=None, max_age=30 * 86_400)
    consultant = None
    if remembered and remembered.isdigit():
        consultant = project_consultants(project=project).filter(pk=int(remembered)).first()
    if consultant is None:
        consultant = consultant_rotation_next(project=project)
        if consultant is not None:
            request.showroom_cookies[cookie] = str(consultant.pk)
    return Visit(project=project, consultant=consultant, is_bound=False)

