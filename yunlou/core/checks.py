"""`manage.py check --deploy` refuses the demo's defaults: a deployment must bring its own keys and address."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def demo_defaults_check(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    if settings.SECRET_KEY == settings.DEMO_SECRET_KEY:
        errors.append(Error("SECRET_KEY is the demo key.", hint="Set the SECRET_KEY environment variable.",
                            id="yunlou.E001"))
    if settings.FIELD_ENCRYPTION_KEY == settings.DEMO_FIELD_ENCRYPTION_KEY:
        errors.append(Error("FIELD_ENCRYPTION_KEY is the demo key: phone and ID numbers would be readable.",
                            hint="Set FIELD_ENCRYPTION_KEY (a Fernet key) in the environment.", id="yunlou.E002"))
    public = urlsplit(settings.PUBLIC_BASE_URL)
    if public.scheme != "https" or public.hostname in {None, "localhost", "127.0.0.1", "::1"}:
        errors.append(Error(f"PUBLIC_BASE_URL is {settings.PUBLIC_BASE_URL!r}: share links and QR codes would "
                            "point there.", hint="Set PUBLIC_BASE_URL to the site's public https:// address.",
                            id="yunlou.E004"))
    if settings.SERVE_MEDIA:
        errors.append(Error("SERVE_MEDIA is on: uploaded files would be served by Django.",
                            hint="Set SERVE_MEDIA=0 and serve media from storage or the web server.",
                            id="yunlou.E003"))
    return errors
