from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "yunlou.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from yunlou.core.audit import register_audit_action
        from yunlou.payments.models import PaymentChannel

        fields = {"amount_fen": _("Amount (fen)"), "channel": _("Channel"), "reference": _("Reference"),
                  "voucher": _("Voucher"), "reason": _("Reason"), "out_refund_no": _("Refund number")}
        values = {"channel": dict(PaymentChannel.choices)}
        register_audit_action("payment.record_counter", _("Counter payment recorded"), fields=fields, values=values)
        register_audit_action("payment.refund", _("Refund requested"), fields=fields, values=values)
