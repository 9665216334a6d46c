"""Buyers (and later brokers) log in with their phone and an SMS code; one active session per buyer.

A buyer's account is found by the phone's blind index, or made on first login (no password: the phone is the
proof). Staff keep logging in with their password at the staff login; a staff phone logging in here is refused,
so a staff account never carries a buyer's session.

One active session: the login records its session key on the user; a request whose session is not that one is
logged out (`SingleSessionMiddleware`) — a script copying the cookie to many machines, or a second phone, ends
the first. The check reads a column of the user row the authentication middleware loads anyway: no extra query.

A mini program keeps no cookies: it asks the login for its session key as a token and sends it back as
`Authorization: Bearer <token>` (`BearerSessionMiddleware` reads it where the cookie would be, and `SessionBearer`
accepts it on the API). The same session, so the same rule: a new login ends the old token. A header cannot be
forged by another site's page, so bearer calls need no CSRF token; cookie calls still do.
"""

import secrets

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from yunlou.accounts.models import Membership, User
from yunlou.accounts.phone_codes import phone_code_verify
from yunlou.core.crypto import blind_index
from yunlou.core.errors import Forbidden
from yunlou.core.phone import normalize_phone

LOGIN_PURPOSE = "buyer_login"
BACKEND = "yunlou.accounts.backends.UsernameOrPhoneBackend"  # one of AUTHENTICATION_BACKENDS: it loads the user


def _buyer_for_phone(phone: str) -> User:
    user = User.objects.filter(phone_hash=blind_index(phone)).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            user = User(username=f"buyer-{secrets.token_hex(6)}", phone=phone)
            user.set_unusable_password()
            user.save()
    except IntegrityError:  # the same phone's first login twice at one instant
        user = User.objects.get(phone_hash=blind_index(phone))
    return user


def buyer_login(*, request: HttpRequest, phone: str, code: str) -> User:
    """Check the code, find or make the buyer, log them in and end any other session of theirs."""
    phone = normalize_phone(phone)
    phone_code_verify(phone=phone, purpose=LOGIN_PURPOSE, code=code)
    user = _buyer_for_phone(phone)
    if user.is_staff or Membership.objects.filter(user=user, is_active=True).exists():
        raise Forbidden(_("Staff log in at the staff login."), field="phone", code="staff_account")
    if not user.is_active:
        raise Forbidden(_("This account is disabled."), field="phone")
    previous = user.active_session_key
    login(request, user, backend=BACKEND)  # a new session key: no fixation
    user.active_session_key = request.session.session_key or ""
    if not user.active_session_key:
        request.session.save()
        user.active_session_key = request.session.session_key
    User.objects.filter(pk=user.pk).update(active_session_key=user.active_session_key)
    if previous and previous != user.active_session_key:
        Session.objects.filter(session_key=previous).delete()  # with the database backend; others lapse below
    return user


class SingleSessionMiddleware:
    """Logs out a request whose session is not its user's one active session (after AuthenticationMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.active_session_key and (
                request.session.session_key != user.active_session_key):
            logout(request)
        return self.get_response(request)


def bearer_token(request: HttpRequest) -> str | None:
    """The session key a mini program sends as `Authorization: Bearer …`, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token.isalnum() and len(token) <= 64 else None


class BearerSessionMiddleware(SessionMiddleware):
    """Django's session middleware, also finding the session of a request that has no session cookie but a
    bearer token (a mini program's); such a request is answered without a session cookie."""

    def process_request(self, request):
        token = None if settings.SESSION_COOKIE_NAME in request.COOKIES else bearer_token(request)
        request.session_from_bearer = token is not None
        request.session = self.SessionStore(token or request.COOKIES.get(settings.SESSION_COOKIE_NAME))

    def process_response(self, request, response):
        if getattr(request, "session_from_bearer", False):
            if request.session.modified and not request.session.is_empty():
                request.session.save()
            return response
        return super().process_response(request, response)


class SessionBearer(HttpBearer):
    """API auth for a mini program: the bearer token is the buyer's one active session (already loaded by the
    middlewares, and logged out by SingleSessionMiddleware when it is no longer the active one)."""

    def authenticate(self, request, token):
        user = getattr(request, "user", None)
        if (getattr(request, "session_from_bearer", False) and user is not None and user.is_authenticated
                and request.session.session_key == token):
            return user
        return None
