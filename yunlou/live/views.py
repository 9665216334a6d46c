"""The polling fallback: a launch's unit statuses for pages whose event stream failed (or the demo, with no
Redis). Public like the stream — statuses are no secret, and units are named by id, never by token.

It is asked every few seconds by every such page, so "nothing changed" costs one Redis GET and no query, and the
full answer is built once per version and shared through the cache.
"""

import json

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yunlou.core.errors import NotFound
from yunlou.launch.models import Launch
from yunlou.live.publish import launch_version
from yunlou.live.selectors import launch_unit_statuses

STATE_CACHE_SECONDS = 30


def launch_events_url(launch_id: int) -> str:
    """Where a page opens its event stream: this host's /live/…/events (the proxy sends it to the ASGI process),
    or LIVE_EVENTS_ORIGIN's when the event server runs on an origin of its own (the demo's port 8001)."""
    origin = getattr(settings, "LIVE_EVENTS_ORIGIN", "").rstrip("/")
    return origin + reverse("live:launch_events", args=[launch_id])


def _no_cache(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def launch_state(request, launch_id: int):
    """{version, units: {unit id: status}}; 204 when `since` is still the launch's version."""
    rehearsal = request.GET.get("rehearsal") == "1"
    since = request.GET.get("since", "")
    # The version is read before the statuses: a change in between shows in the statuses and, as a newer
    # version, makes the next poll fetch them again — never the other way round.
    version = launch_version(launch_id)
    if since.isdigit() and len(since) < 16 and int(since) == version:
        return _no_cache(HttpResponse(status=204))
    key = f"live:state:{launch_id}:{int(rehearsal)}:{version}"
    body = cache.get(key) if version >= 0 else None
    if body is None:
        units = launch_unit_statuses(launch_id=launch_id, rehearsal=rehearsal)
        if not units and not Launch.objects.filter(pk=launch_id).exists():
            raise NotFound(_("No such launch."))
        body = json.dumps({"version": version, "units": units}, separators=(",", ":"))
        if version >= 0:
            cache.set(key, body, STATE_CACHE_SECONDS)
    return _no_cache(HttpResponse(body, content_type="application/json"))


def launch_events_unavailable(request, launch_id: int):
    """What Django answers when /live/…/events reaches it instead of the event server (no proxy rule, or the
    ASGI process is not running): a 404, so that EventSource gives up and the page polls — the address is simply
    not one Django serves, and nothing here is failing."""
    return _no_cache(HttpResponse("Live events are served by the event server.", status=404,
                                  content_type="text/plain"))
