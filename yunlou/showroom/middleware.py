import uuid

from django.conf import settings
from django.core import signing

VISITOR_COOKIE = "yl_vid"
VISITOR_HEADER = "X-Visitor-Id"  # what a mini program sends instead of a cookie
VISITOR_COOKIE_AGE = 365 * 86_400


_VISITOR_SIGNER_SALT = "yunlou.showroom.visitor"


def visitor_token(visitor_id: uuid.UUID | str) -> str:
    """The visitor id as we hand it out — in the cookie, or to a mini program for its X-Visitor-Id header —
    signed, so that an id nobody was given is never taken for a returning visitor."""
    return signing.Signer(salt=_VISITOR_SIGNER_SALT).sign(str(visitor_id))


def parse_visitor_id(raw: str | None) -> uuid.UUID | None:
    """The id inside a token we issued; None for anything else (a made-up id, an unsigned or altered one)."""
    if not raw:
        return None
    try:
        return uuid.UUID(signing.Signer(salt=_VISITOR_SIGNER_SALT).unsign(str(raw)))
    except (signing.BadSignature, ValueError):
        return None


class VisitorMiddleware:
    """Give every browser a first-party visitor id, so a binding can hold before the buyer leaves a phone.

    Ids are ours: a cookie or header counts only when it carries a token we signed (`visitor_token`), so a
    script cannot make up a fresh "returning visitor" per request; each id costs it a real page view first.

    The cookie is written only by showroom pages (they set `request.wants_visitor_cookie`) and at login (the
    browser a person logs in from is recorded: accounts.devices), never by other back-office pages, and with any
    other cookies a showroom page asked for (`request.showroom_cookies`: name → signed value kept 30 days, or
    (value, seconds), or None to delete the cookie).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from_cookie = parse_visitor_id(request.COOKIES.get(VISITOR_COOKIE))
        from_header = None if from_cookie else parse_visitor_id(request.headers.get(VISITOR_HEADER))
        known = from_cookie or from_header
        request.visitor_id = known or uuid.uuid4()
        # Where the id came from: a first-party cookie the browser kept, a client's header, or nowhere (new).
        request.visitor_source = "cookie" if from_cookie else "header" if from_header else None
        request.showroom_cookies = {}
        response = self.get_response(request)
        if getattr(request, "wants_visitor_cookie", False) and known is None:
            response.set_cookie(VISITOR_COOKIE, visitor_token(request.visitor_id), max_age=VISITOR_COOKIE_AGE,
                                httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        for name, value in request.showroom_cookies.items():
            if value is None:
                response.delete_cookie(name, samesite="Lax")
                continue
            value, max_age = value if isinstance(value, tuple) else (value, 30 * 86_400)
            response.set_signed_cookie(name, value, max_age=max_age, httponly=True, samesite="Lax",
                                       secure=settings.SESSION_COOKIE_SECURE)
        return response
