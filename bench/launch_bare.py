"""Settings and URLs of bench/launch.py's server: the app's own settings and URLs, plus the bare claim.

`POST /bench/claim/<unit id>/` does only what decides a stampede — one conditional UPDATE of the unit through a
cursor — behind exactly the same middleware as the real selection (session, authentication, one-session check,
CSRF), so that `bare_rps` is the ceiling the real endpoint is compared with. The bench points it at units of its
own that are in no launch.

This one module is both the settings (`DJANGO_SETTINGS_MODULE=bench.launch_bare`) and the URLconf it names.
"""

from yunlou.settings import *  # noqa: F403

ROOT_URLCONF = "bench.launch_bare"


def claim(request, unit_id: int):
    from django.db import connection
    from django.http import HttpResponse

    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalogue_unit SET status = 'held' WHERE id = %s AND status = 'available'", [unit_id])
        taken = cursor.rowcount == 1
    return HttpResponse(b"held" if taken else b"taken", status=200 if taken else 409, content_type="text/plain")


def _urlpatterns():
    from django.urls import include, path

    return [path("bench/claim/<int:unit_id>/", claim), path("", include("yunlou.urls"))]


def __getattr__(name: str):
    # The URL patterns are built when Django's resolver first asks, not while the settings load.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)
