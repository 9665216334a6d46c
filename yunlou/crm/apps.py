from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "yunlou.crm"
    label = "crm"
    verbose_name = _("Customers")

    def ready(self):
        from yunlou.core.audit import register_audit_action

        register_audit_action("binding.reassign", _("Customer reassigned"), fields={"consultant": _("Consultant")})
        register_audit_action("customer.phone_reveal", _("Phone number revealed"))
        register_audit_action("customer.phone_reveal_refused", _("Phone number reveal refused"))
        register_audit_action("customer.consultation", _("Consultation received"))
