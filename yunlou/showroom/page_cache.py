"""The project page for a crowd: a shared link goes viral in a WeChat group and thousands open it at once.

The page is the same for every anonymous visitor but for three things: the consultant card (whose it is
depends on the visit: binding or rotation), the CSRF token of its forms, and the language switch's way back.
So the page is rendered once per project, language and save of the project (its `updated_at`), kept in
the shared cache for at most PAGE_SECONDS, and completed per request by replacing the placeholders; the
visit itself (binding, rotation) is still decided on every request. Cards are rendered once per
consultant and language.
Measured by `bench/crowd.py` (gunicorn, PostgreSQL, Redis): without this the page did about 1/20 of a bare
endpoint's requests per second.

Staff are never served a shared page: a consultant sees their own card and their share bar.
"""

import os
import re
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from yunlou.accounts.models import User
from yunlou.core.cache import local_copies

# Long enough to absorb a burst, short enough that availability counts on the page stay current
# (the unit lists and unit status that buyers act on are live fragments, never cached).
PAGE_SECONDS = 15
CARD_SECONDS = 60
CSRF_PLACEHOLDER = "yl-csrf-7f3a9c"
CARD_PLACEHOLDER = mark_safe("<!--yl:consultant-card-->")
BEACON_PLACEHOLDER = mark_safe("<!--yl:visit-beacon-->")
_CSRF_BYTES, _CARD_BYTES, _BEACON_BYTES = (CSRF_PLACEHOLDER.encode(), CARD_PLACEHOLDER.encode(),
                                           BEACON_PLACEHOLDER.encode())


def visit_beacon(visit) -> SafeString:
    """The page's beacon for a first view through a link: the browser's request for it, with the cookies the
    page just set, binds the visitor (showroom.visit). Other visits need none."""
    if not getattr(visit, "awaits_beacon", False):
        return mark_safe("")
    url = reverse("showroom:visit_beacon", args=[visit.project.pk])
    return mark_safe(f'<img src="{url}" alt="" width="1" height="1" hidden data-testid="visit-beacon">')


def consultant_card(consultant_id: int | None) -> SafeString:
    """The consultant card's HTML, rendered once a minute per consultant and language."""
    if consultant_id is None:
        return mark_safe("")
    key = f"showroom:card:{consultant_id}:{translation.get_language()}"
    html = cache.get(key)
    if html is None:
        consultant = User.objects.filter(pk=consultant_id).first()
        html = render_to_string("showroom/_consultant_card.html", {"consultant": consultant}) if consultant else ""
        cache.set(key, html, CARD_SECONDS)
    return mark_safe(html)


_CSRF_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def csrf_token(request) -> str:
    """The same masked token as Django's `get_token` (a fresh random mask, the cookie's secret shifted by it),
    with the mask drawn from one `os.urandom` call instead of 32 `secrets.choice` calls: 0.18 ms → 0.02 ms,
    a fifth of this page's cost under a crowd. CsrfViewMiddleware checks it like any other token."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH or not set(secret) <= _CSRF_INDEX.keys():
        return get_token(request)
    # Unlike get_token, the visitor's cookie (a year long) is not sent again just to renew it: the other pages
    # renew it, and a Set-Cookie on every view of the crowd's page is work for nothing.
    count = len(CSRF_ALLOWED_CHARS)
    mask: list[int] = []
    while len(mask) < CSRF_SECRET_LENGTH:  # uniform: bytes past the last whole multiple of 62 are drawn again
        mask.extend(byte % count for byte in os.urandom(48) if byte < 256 - 256 % count)
    mask = mask[:CSRF_SECRET_LENGTH]
    cipher = "".join(CSRF_ALLOWED_CHARS[(_CSRF_INDEX[char] + shift) % count]
                     for char, shift in zip(secret, mask, strict=True))
    return "".join(CSRF_ALLOWED_CHARS[shift] for shift in mask) + cipher


def page_cache_key(name: str, language: str) -> str:
    return f"showroom:page:{name}:{language}"


# Each worker keeps the renderings it used in the last few seconds too, so that a page view under a crowd
# does not fetch 25 KB from Redis each time. Derived data only: any process can render it again.
_renderings_here = local_copies(seconds=5, max_entries=64)


def shared_page_forget(name: str) -> None:
    """Make the next visitor get a fresh rendering of the page (for a change that must show at once; other
    workers' own copies run out within seconds)."""
    keys = [page_cache_key(name, language) for language, _label in settings.LANGUAGES]
    cache.delete_many(keys)
    for key in keys:
        _renderings_here.forget(key)


def project_page_forget(project_id: int) -> None:
    """The project page shows a change at once: its shared rendering and the cached project are dropped."""
    from yunlou.showroom.selectors import showroom_project_forget

    shared_page_forget(f"project:{project_id}")
    showroom_project_forget(project_id=project_id)


def shared_page(request, *, name: str, version: str, template: str, context: Callable[[], dict],
                consultant_id: int | None, consultants: Callable[[], list[User]], beacon: str = "") -> bytes:
    """The page for this visitor, UTF-8: the shared rendering of page `name` (made now from `context()` if
    missing or of another `version`, such as an older save of the project), completed with the visitor's card
    and CSRF token. The rendering carries the cards of all the project's `consultants`, so that one lookup
    brings everything a visitor's page needs; it is kept encoded, so that no view of it encodes 25 KB again."""
    key = page_cache_key(name, translation.get_language())
    found = _renderings_here.get(key, lambda: cache.get(key))
    if found is not None and found[0] == version:
        _version, html, cards = found
    else:
        html = render_to_string(template, {
            **context(), "csrf_token": CSRF_PLACEHOLDER, "consultant_card": CARD_PLACEHOLDER,
            "visit_beacon": BEACON_PLACEHOLDER, "language_next": request.path,
        }, request=request).encode()
        # Kept cut at the placeholders: joining the pieces costs a tenth of searching 25 KB twice per view.
        html = re.split(b"(" + b"|".join(map(re.escape, (_CSRF_BYTES, _CARD_BYTES, _BEACON_BYTES))) + b")", html)
        cards = {user.pk: render_to_string("showroom/_consultant_card.html", {"consultant": user}).encode()
                 for user in consultants()}
        cache.set(key, (version, html, cards), PAGE_SECONDS)
        _renderings_here.put(key, (version, html, cards))
    card = cards.get(consultant_id) if consultant_id is not None else b""
    if card is None:  # a consultant who holds the visitor but has left the project's team
        card = consultant_card(consultant_id).encode()
    visitor_parts = {_CSRF_BYTES: csrf_token(request).encode(), _CARD_BYTES: card, _BEACON_BYTES: beacon.encode()}
    return b"".join(visitor_parts.get(piece, piece) for piece in html)
