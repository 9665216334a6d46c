import time

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from yunlou.accounts.permissions import VIEW_AUDIT_LOG
from yunlou.accounts.staff import staff_required
from yunlou.core.audit import ACTION_LABELS
from yunlou.core.observability import REQUEST_ID_HEADER, current_request_id
from yunlou.core.selectors import audit_log_list


def _database_state() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure here means "down"; the reason goes into the answer
        return {"status": "down", "vendor": connection.vendor, "error": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _redis_state() -> dict:
    if not settings.REDIS_URL:
        return {"status": "not_configured"}
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "ok"}


def server_error(request):
    """The 500 page, with the request's id so that a user's report leads to the logged traceback. Renders from
    a self-contained template: nothing here may need the database or the request's other layers."""
    from django.http import HttpResponseServerError
    from django.template import loader

    request_id = getattr(request, "request_id", "") or current_request_id()
    html = loader.get_template("500.html").render({"request_id": request_id})
    response = HttpResponseServerError(html)
    response[REQUEST_ID_HEADER] = request_id
    return response


@never_cache
@require_GET
def healthz(request):
    database = _database_state()
    redis_state = _redis_state()
    healthy = database["status"] == "ok" and redis_state["status"] != "down"
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "database": database, "redis": redis_state},
        status=200 if healthy else 503,
    )


@staff_required(VIEW_AUDIT_LOG)
def audit_log(request):
    entries = audit_log_list(staff=request.staff, action=request.GET.get("action", "")[:64])
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    actions = sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda item: item[1])
    return render(request, "core/audit_log.html",
                  {"page": page, "action": request.GET.get("action", ""), "actions": actions})
