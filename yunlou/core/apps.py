from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yunlou.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from yunlou.core import checks  # noqa: F401 — registers the deployment checks
        from yunlou.core.images import connect as images_connect

        images_connect()  # renditions of uploaded photos; importing it registers the HEIC opener with Pillow
