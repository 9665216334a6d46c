from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.defaults import page_not_found, permission_denied

from yunlou.core.errors import Forbidden, NotFound


class ChineseFirstLocaleMiddleware:
    """Chinese unless the visitor chose another language with the switcher (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, which puts an English UI in
    front of a buyer whose phone happens to be set to English; the product speaks Chinese first.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class DomainErrorMiddleware:
    """Pages answer a domain NotFound with the 404 page and Forbidden with the 403 page, so views need not
    translate them one by one. (The JSON API maps every domain error itself, with the field named.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            return page_not_found(request, Http404(exception.message))
        if isinstance(exception, Forbidden):
            return permission_denied(request, PermissionDenied(exception.message))
        return None


class PrivateNoStoreMiddleware:
    """`Cache-Control: no-store` on every answer that may carry customer data, so that no browser cache,
    proxy or shared phone keeps a copy: whatever a logged-in user is shown (workbench, back office, exports,
    the API with a session) and the answers to forms posted by anyone (a consultation carries a phone).
    A view that set its own Cache-Control keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        private = request.method not in ("GET", "HEAD") or (user is not None and user.is_authenticated)
        if private and "Cache-Control" not in response:
            patch_cache_control(response, no_store=True, private=True)
        return response
