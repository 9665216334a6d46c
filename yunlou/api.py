"""The JSON API under /api/v1/: what a WeChat mini program or app calls.

Domain errors become 4xx answers carrying a code, a message and the field at fault.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.renderers import JSONRenderer

from yunlou.catalogue.api import router as catalogue_router
from yunlou.core.errors import DomainError
from yunlou.showroom.api import router as showroom_router


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 as is: Chinese names stay readable and 30–50 % shorter than as \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ChineseJSONRenderer(),
    title="Yunlou 云楼 API",
    version="1.0.0",
    description="在线售楼处接口。Money is in integer fen (分); areas in m²; times in ISO 8601 with offset.",
    urls_namespace="api-v1",
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    details = [
        {"field": ".".join(str(part) for part in error.get("loc", ()) if part not in {"body", "query", "path"}),
         "message": error.get("msg", "")}
        for error in exc.errors
    ]
    message = _("Invalid input.")
    if details:
        message = _("Invalid input: %(fields)s.") % {"fields": ", ".join(d["field"] for d in details if d["field"])}
    return api.create_response(request, {"code": "invalid", "message": message, "details": details}, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return api.create_response(request, {"code": "unauthenticated", "message": _("Please log in.")}, status=401)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "message": _("Not found.")}, status=404)


api.add_router("/", catalogue_router)
api.add_router("/", showroom_router)
