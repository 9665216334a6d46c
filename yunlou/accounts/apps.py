from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "yunlou.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from yunlou.accounts.devices import login_device_record

        user_logged_in.connect(login_device_record, dispatch_uid="accounts.login_device_record")
