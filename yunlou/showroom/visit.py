"""What every showroom page needs to know about the visit: who brought the visitor, whose card to show.

The card a visitor sees is the consultant who will call back: the bound consultant (锁客) if a link
bound them; else the consultant the rotation (轮排) gave this visitor the first time, kept for 30 days in a
signed cookie and, for clients without cookies (a mini program sending X-Visitor-Id), in the shared cache;
a consultation left on the page goes to that same consultant.

Who holds a visitor is decided in the database and answered from the shared cache (crm.binding_cache). For
a browser that is no customer's, the answer can change only through that browser's own requests (following
a link, leaving a phone number) or by running out, so the browser also carries it, signed, for MEMO_SECONDS
(`yl_b<project>`): a returning visitor's page view then needs no lookup at all. A customer's browser never
carries it — a manager may reassign the customer at any moment.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from yunlou.accounts.models import Role, User
from yunlou.accounts.staff import request_staff
from yunlou.brokers.models import Broker, BrokerStatus
from yunlou.catalogue.models import Project
from yunlou.core import ratelimit
from yunlou.core.audit import client_ip
from yunlou.core.cache import local_copies
from yunlou.core.errors import RateLimited
from yunlou.crm.binding_cache import HeldBy, visitor_held_by
from yunlou.crm.services import binding_claim, consultant_rotation_next_id, project_consultant_ids
from yunlou.crm.services.bindings import binding_renewal_due
from yunlou.showroom.middleware import VISITOR_HEADER
from yunlou.showroom.models import ShareCode

logger = logging.getLogger(__name__)

ROTATION_COOKIE = "yl_cc{}"
ROTATION_DAYS = 30
_ROTATION_KEY = "rotation:choice:{}:{}"
MEMO_COOKIE = "yl_b{}"
MEMO_SECONDS = 600
PENDING_COOKIE = "yl_p{}"
PENDING_SECONDS = 1800
# A broker's link (全民经纪), which binds no consultant: kept so that a number the visitor leaves later is
# reported for him (brokers.services.referrals.link_report). The first broker's link stands.
LINK_COOKIE = "yl_l{}"
LINK_SECONDS = 30 * 86_400
# New bindings a network may make in an hour: a sales office's wifi sees dozens of buyers, a script thousands.
BINDINGS_PER_IP_PER_HOUR = 60
_UNKNOWN = object()


@dataclass(frozen=True)
class Visit:
    project: Project
    consultant_id: int | None  # the consultant card on the page, and who gets the visitor's consultation
    is_bound: bool  # the consultant holds this visitor through a binding (锁客)
    is_own_preview: bool = False  # a consultant of the project looking at it: their own card
    awaits_beacon: bool = False  # a first view through a link: the page's beacon request binds the browser

    @cached_property
    def consultant(self) -> User | None:
        """The consultant as a user, read only when a page needs more than the id (cards are cached by id)."""
        return None if self.consultant_id is None else User.objects.filter(pk=self.consultant_id).first()


SHARE_CODE_CACHE_SECONDS = 600


def share_cache_key(project_id: int, code: str) -> str:
    return f"share:{project_id}:{code[:12]}"


_share_codes_here = local_copies(seconds=SHARE_CODE_CACHE_SECONDS)


def _share_owner_row(code: str, project: Project) -> tuple[int, int]:
    """The share code's id and its owner's ((0, 0) for no such code). Codes never change hands: cached."""
    key = share_cache_key(project.pk, code)

    def shared() -> tuple[int, int]:
        found = cache.get(key)
        if found is None:
            share = ShareCode.objects.filter(code=code[:12], project=project).values_list("pk", "owner_id").first()
            found = share or (0, 0)
            cache.set(key, found, SHARE_CODE_CACHE_SECONDS)
        return found

    return _share_codes_here.get(key, shared)


def _share_owner(code: str, project: Project) -> tuple[int | None, int | None]:
    """The share code's id and its owner's, if the owner is a current consultant of the project (a stale
    poster from someone who left binds no one)."""
    share_id, owner_id = _share_owner_row(code, project)
    if not share_id or owner_id not in project_consultant_ids(project=project):
        return None, None
    return share_id, owner_id


def _is_broker_link(code: str, project: Project) -> bool:
    """Whether the code is the share code of an active broker of the project's organisation (全民经纪). Asked at
    a broker link's every first view (a poster in a WeChat group): kept like the code itself; a broker frozen
    meanwhile is caught when the report is made (brokers.services.referrals.link_report)."""
    share_id, owner_id = _share_owner_row(code, project)
    if not share_id:
        return False
    return _share_codes_here.get(f"broker-link:{project.organization_id}:{owner_id}", lambda: Broker.objects.filter(
        user_id=owner_id, organization_id=project.organization_id, status=BrokerStatus.ACTIVE,
        user__is_active=True).exists())


def visit_for(request: HttpRequest, project: Project) -> Visit:
    """Bind a visitor arriving through a consultant's link, then find the consultant for the card."""
    request.wants_visitor_cookie = True
    staff = request_staff(request)
    if staff is not None and staff.role == Role.CONSULTANT and staff.covers(project):
        visit = Visit(project=project, consultant_id=staff.user.pk, is_bound=False, is_own_preview=True)
        visit.__dict__["consultant"] = staff.user
        return visit
    held = _memo_read(request, project)
    if held is _UNKNOWN:
        answer = visitor_held_by(project=project, visitor_id=request.visitor_id)
        held = answer.held_by
        if answer.is_customers_browser:
            visit_memo_forget(request, project)
        else:
            _memo_write(request, project, held)
    code = request.GET.get("s", "")
    share_id, owner_id = _share_owner(code, project) if code else _pending_share(request, project)
    if code and share_id is None and not link_code(request, project) and _is_broker_link(code, project):
        request.showroom_cookies[LINK_COOKIE.format(project.pk)] = (code[:12], LINK_SECONDS)
    # Someone already holds the visitor (first link wins); their own link again renews, now and then.
    if owner_id is not None and (held is None or (held.consultant_id == owner_id and binding_renewal_due(
            expires_at=held.expires_at))):
        if request.visitor_source is None:
            # A first view without our cookie binds no one yet: a script fetching the link with fresh ids would
            # bind a "visitor" per request. The browser keeps the link in a cookie, and its next request —
            # the page's own beacon, or any page — binds it.
            _pending_share_write(request, project, share_id, owner_id)
            return Visit(project=project, consultant_id=owner_id, is_bound=False, awaits_beacon=True)
        if held is None and not _may_bind_another(request):
            return Visit(project=project, consultant_id=owner_id, is_bound=False)
        owner = User.objects.get(pk=owner_id)
        binding = binding_claim(project=project, consultant=owner, visitor_id=request.visitor_id,
                                share_code_id=share_id)
        _pending_share_clear(request, project)
        if binding.customer_id is None:
            _memo_write(request, project, HeldBy(consultant_id=binding.consultant_id,
                                                 expires_at=binding.expires_at))
        else:
            visit_memo_forget(request, project)
        return Visit(project=project, consultant_id=binding.consultant_id, is_bound=True)
    if held is not None:
        return Visit(project=project, consultant_id=held.consultant_id, is_bound=True)
    return Visit(project=project, consultant_id=_rotation_consultant_id(request, project), is_bound=False)


def _pending_share(request: HttpRequest, project: Project) -> tuple[int | None, int | None]:
    """The link a browser arrived by before it had our cookie, if it is still a current consultant's."""
    raw = _signed_cookie(request, PENDING_COOKIE.format(project.pk), max_age=PENDING_SECONDS)
    share_id, _sep, owner_id = (raw or "").partition(":")
    if not (share_id.isdigit() and owner_id.isdigit()) or int(owner_id) not in project_consultant_ids(
            project=project):
        return None, None
    return int(share_id), int(owner_id)


def link_code(request: HttpRequest, project: Project) -> str:
    """The share code of the link (not a consultant's) this browser first came by, or ""."""
    return _signed_cookie(request, LINK_COOKIE.format(project.pk), max_age=LINK_SECONDS) or ""


def link_code_forget(request: HttpRequest, project: Project) -> None:
    if LINK_COOKIE.format(project.pk) in request.COOKIES:
        request.showroom_cookies[LINK_COOKIE.format(project.pk)] = None


def _pending_share_write(request: HttpRequest, project: Project, share_id: int, owner_id: int) -> None:
    request.showroom_cookies[PENDING_COOKIE.format(project.pk)] = (f"{share_id}:{owner_id}", PENDING_SECONDS)


def _pending_share_clear(request: HttpRequest, project: Project) -> None:
    if PENDING_COOKIE.format(project.pk) in request.COOKIES:
        request.showroom_cookies[PENDING_COOKIE.format(project.pk)] = None


def _may_bind_another(request: HttpRequest) -> bool:
    """Count a new binding against the caller's network; past the hour's allowance, links show their
    consultant's card but bind no one (logged, for the channel manager's fraud review)."""
    try:
        ratelimit.hit(f"bindings:ip-hour:{client_ip(request)}", limit=BINDINGS_PER_IP_PER_HOUR,
                      window_seconds=3_600, message="")
    except RateLimited:
        logger.warning("binding refused: too many new bindings from one network", extra={
            "ip": client_ip(request)})
        return False
    return True


def _memo_read(request: HttpRequest, project: Project):
    """The browser's own signed note of who holds it: a HeldBy, None for nobody, or _UNKNOWN."""
    raw = _signed_cookie(request, MEMO_COOKIE.format(project.pk), max_age=MEMO_SECONDS)
    if not raw:
        return _UNKNOWN
    visitor, _sep, answer = raw.partition("|")
    if visitor != str(request.visitor_id):
        return _UNKNOWN
    if answer == "-":
        return None
    consultant_id, _sep, expires = answer.partition(":")
    if not (consultant_id.isdigit() and expires.isdigit()):
        return _UNKNOWN
    expires_at = datetime.fromtimestamp(int(expires), tz=UTC)
    if expires_at <= timezone.now() or int(consultant_id) not in project_consultant_ids(project=project):
        return _UNKNOWN
    return HeldBy(consultant_id=int(consultant_id), expires_at=expires_at)


def _memo_write(request: HttpRequest, project: Project, held: HeldBy | None) -> None:
    answer = "-" if held is None else f"{held.consultant_id}:{int(held.expires_at.timestamp())}"
    request.showroom_cookies[MEMO_COOKIE.format(project.pk)] = (f"{request.visitor_id}|{answer}", MEMO_SECONDS)


def visit_memo_forget(request: HttpRequest, project: Project) -> None:
    """The browser's note is out of date (it now belongs to a customer): the response deletes it."""
    request.showroom_cookies[MEMO_COOKIE.format(project.pk)] = None


@functools.lru_cache(maxsize=256)
def _cookie_signer(name: str) -> signing.TimestampSigner:
    # The signer `set_signed_cookie` signs with (Django 5.2 salts it with the cookie's name this way).
    return signing.get_cookie_signer(salt=signing._cookie_signer_salt(name, ""))


def _signed_cookie(request: HttpRequest, name: str, *, max_age: int) -> str | None:
    """`request.get_signed_cookie`, with the signer built once per cookie name instead of on every call."""
    value = request.COOKIES.get(name)
    if value is None:
        return None
    try:
        return _cookie_signer(name).unsign(value, max_age=max_age)
    except signing.BadSignature:
        return None


def _rotation_consultant_id(request: HttpRequest, project: Project) -> int | None:
    """The consultant the rotation gave this visitor, chosen once and then kept."""
    cookie = ROTATION_COOKIE.format(project.pk)
    # Browsers keep the choice in their cookie; only clients without cookies need it kept for them.
    from_header = "HTTP_" + VISITOR_HEADER.upper().replace("-", "_") in request.META
    key = _ROTATION_KEY.format(project.pk, request.visitor_id) if from_header else None
    remembered = _signed_cookie(request, cookie, max_age=ROTATION_DAYS * 86_400)
    if not (remembered and remembered.isdigit()) and key:
        remembered = cache.get(key)
    # Still a consultant of the project? Someone who left (or moved project) hands the visitor on.
    if remembered and int(remembered) in project_consultant_ids(project=project):
        return int(remembered)
    consultant_id = consultant_rotation_next_id(project=project)
    if consultant_id is not None:
        request.showroom_cookies[cookie] = str(consultant_id)
        if key:
            cache.set(key, str(consultant_id), timeout=ROTATION_DAYS * 86_400)
    return consultant_id
