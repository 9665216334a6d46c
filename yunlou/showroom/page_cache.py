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

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from yunlou.accounts.models import User

# Long enough to absorb a burst, short enough that availability counts on the page stay current
# (the unit lists and unit status that buyers act on are live fragments, never cached).
PAGE_SECONDS = 15
CARD_SECONDS = 60
CSRF_PLACEHOLDER = "yl-csrf-7f3a9c"
CARD_PLACEHOLDER = mark_safe("<!--yl:consultant-card-->")


def consultant_card(consultant: User | None) -> SafeString:
    """The consultant card's HTML, rendered once a minute per consultant and language."""
    if consultant is None:
        return mark_safe("")
    key = f"showroom:card:{consultant.pk}:{translation.get_language()}"
    html = cache.get(key)
    if html is None:
        html = render_to_string("showroom/_consultant_card.html", {"consultant": consultant})
        cache.set(key, html, CARD_SECONDS)
    return mark_safe(html)


def _page_key(name: str, language: str) -> str:
    return f"showroom:page:{name}:{language}"


def shared_page_forget(name: str) -> None:
    """Make the next visitor get a fresh rendering of the page (for a change that must show at once)."""
    cache.delete_many([_page_key(name, language) for language, _label in settings.LANGUAGES])


def shared_page(request, *, name: str, version: str, template: str, context: Callable[[], dict],
                consultant: User | None) -> str:
    """The page for this visitor: the shared rendering of page `name` (made now from `context()` if missing or
    of another `version`, such as an older save of the project), completed with the visitor's card and CSRF
    token."""
    key = _page_key(name, translation.get_language())
    cached = cache.get(key)
    if cached is not None and cached[0] == version:
        html = cached[1]
    else:
        html = render_to_string(template, {
            **context(), "csrf_token": CSRF_PLACEHOLDER, "consultant_card": CARD_PLACEHOLDER,
            "language_next": request.path,
        }, request=request)
        cache.set(key, (version, html), PAGE_SECONDS)
    return html.replace(CSRF_PLACEHOLDER, get_token(request)).replace(CARD_PLACEHOLDER, consultant_card(consultant))
