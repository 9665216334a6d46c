"""The JSON API under /api/v1/: what a WeChat mini program or app calls.

Every error it answers — a domain error, a parameter that does not validate, an unknown address, a method
the address does not take, a body that is not JSON, a missing login, a rate limit, and an unexpected failure —
has one JSON shape, `ErrorOut`: a code for programs, a message for people, the field at fault and, when there
are several problems, all of them. The OpenAPI document declares that shape on every operation, for every
status the operation can answer (`declare_errors`).
"""

import functools
from http import HTTPStatus

from django.core import signals
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, re_path
from django.utils.log import log_response
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from yunlou.brokers.api import router as brokers_router
from yunlou.catalogue.api import router as catalogue_router
from yunlou.core.errors import DomainError
from yunlou.core.schemas import ErrorOut
from yunlou.launch.api import router as launch_router
from yunlou.showroom.api import router as showroom_router

ERROR_CODES = {400: "malformed_body", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type", 422: "invalid",
               429: "rate_limited", 500: "server_error"}


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 as is: Chinese names stay readable and 30–50 % shorter than as \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


class YunlouAPI(NinjaAPI):
    def _get_urls(self):
        # Answers that ninja or Django make outside the exception handlers (405 for a method an address does not
        # take; 404 for an address under /api/v1/ that is none of ours) get the error shape too.
        urls = [URLPattern(p.pattern, _json_errors(p.callback), p.default_args, p.name)
                if isinstance(p, URLPattern) else p for p in super()._get_urls()]
        return [*urls, re_path(r"^.*$", _json_errors(unknown_address), name="unknown")]

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        return declare_errors(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))


api = YunlouAPI(
    renderer=ChineseJSONRenderer(),
    title="Yunlou 云楼 API",
    version="1.0.0",
    description="在线售楼处接口。Money is in integer fen (分); areas in m²; times in ISO 8601 with offset. "
                "Every error answers in one shape, `ErrorOut`: `code`, `message`, and `field` and `details` "
                "when they apply.",
    urls_namespace="api-v1",
)


def error_response(request: HttpRequest, status: int, message: str, *, code: str | None = None,
                   field: str | None = None, details: list | None = None) -> HttpResponse:
    body = {"code": code or ERROR_CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_")),
            "message": str(message)}
    if field:
        body["field"] = field
    if details is not None:
        body["details"] = details
    return api.create_response(request, body, status=status)


def _json_errors(view):
    @functools.wraps(view)
    def view_with_json_errors(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            answer = error_response(request, 405, _("This address does not take %(method)s; it takes %(allowed)s.")
                                    % {"method": request.method, "allowed": allowed})
            answer["Allow"] = allowed
            return answer
        return error_response(request, response.status_code, HTTPStatus(response.status_code).phrase)

    return view_with_json_errors


def unknown_address(request):
    return error_response(request, 404, _("There is no such address in this API."))


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    details = []
    for error in exc.errors:
        source, *location = error.get("loc", ()) or ("body",)
        if source == "body" and location and location[0] in {"body", "data", "payload"}:
            location = location[1:]  # the operation's own name for its body is no field of the caller's
        details.append({"field": ".".join(str(part) for part in location) or source, "message": error.get("msg", "")})
    fields = list(dict.fromkeys(d["field"] for d in details))
    message = _("Invalid input: %(fields)s.") % {"fields": ", ".join(fields)} if fields else _("Invalid input.")
    return error_response(request, 422, message, field=fields[0] if fields else None, details=details)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return error_response(request, 401, _("Please log in."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """ninja's own refusals: a body that is not JSON (400), a failed CSRF check (403), throttling (429)."""
    status = exc.status_code
    if status == 400:
        return error_response(request, 400, _("The request body is not valid JSON."), field="body")
    if status == 403:
        return error_response(request, 403, _("You may not do this. If you are logged in, send the CSRF token."))
    if status == 429:
        return error_response(request, 429, _("Too many requests. Please wait a moment and try again."))
    return error_response(request, status, str(exc))


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(request, 404, _("Not found."))


@api.exception_handler(Exception)
def server_error(request, exc):
    """What Django does with an unhandled error — the signal error reporters listen to, the traceback on the
    `django.request` logger, with the request id — then the error shape instead of the HTML page."""
    signals.got_request_exception.send(sender=None, request=request)
    request_id = getattr(request, "request_id", "")
    response = error_response(request, 500, _(
        "Something went wrong on our side. Please try again; if it keeps happening, quote request %(id)s."
    ) % {"id": request_id} if request_id else _("Something went wrong on our side. Please try again."))
    log_response("Internal Server Error: %s", request.path, response=response, request=request, exception=exc)
    return response


ERROR_RESPONSES = {
    400: "The request body is not valid JSON.",
    401: "Not logged in.",
    403: "Logged in, but not allowed this (or the CSRF token is missing).",
    404: "No such object, or not one this caller may see.",
    415: "The body was not sent as application/json.",
    422: "A parameter or body field is invalid: `field` names the first, `details` lists them all.",
    429: "Too many requests; try again later.",
    500: "An unexpected error; quote the X-Request-Id response header when reporting it.",
}


def declare_errors(schema: dict) -> dict:
    """Every operation's document lists the errors it can answer, each in the one shape: 422 wherever there is
    a parameter or a body, 404 wherever an id is in the path, 400 and 415 for a body, 401 and 403 behind a login,
    500 everywhere. Statuses an operation declares itself keep their own description."""
    reference = {"$ref": "#/components/schemas/ErrorOut"}
    schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options"}:
                continue
            parameters = operation.get("parameters", [])
            statuses = {500}
            if parameters or "requestBody" in operation:
                statuses.add(422)
            if any(p.get("in") == "path" for p in parameters):
                statuses.add(404)
            if "requestBody" in operation:
                statuses |= {400, 415}
            if operation.get("security"):
                statuses |= {401, 403}
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses.setdefault(str(status), {
                    "description": ERROR_RESPONSES[status],
                    "content": {"application/json": {"schema": reference}},
                })
    return schema


api.add_router("/", catalogue_router)
api.add_router("/", showroom_router)
api.add_router("/", launch_router)
api.add_router("/brokers/", brokers_router)
