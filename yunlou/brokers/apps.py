from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BrokersConfig(AppConfig):
    name = "yunlou.brokers"
    verbose_name = _("Referral network")
    default_auto_field = "django.db.models.BigAutoField"
