from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BrokersConfig(AppConfig):
    name = "yunlou.brokers"
    verbose_name = _("Referral network")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from yunlou.core.audit import register_audit_action

        for action, label in (
            ("referral_rules.set", _("Referral rules changed")),
            ("referral.create", _("Customer reported")),
            ("referral.reject", _("Report refused")),
            ("referral.visit", _("Referred visit confirmed")),
            ("referral.expire", _("Report expired")),
            ("referral.advance", _("Report advanced by a deal")),
            ("visit.register", _("Walk-in registered")),
            ("customer.pool_claim", _("Customer claimed from the public pool")),
            ("broker.join", _("Broker signed up")),
            ("broker.status", _("Broker status changed")),
            ("broker.bank", _("Broker bank account changed")),
            ("commission.reverse", _("Commissions reversed by a refund")),
            ("commission.payable", _("Commissions became payable")),
            ("referral.rivals_refused", _("Other reports of a visiting customer refused")),
            ("referral.settle", _("Report settled")),
            ("settlement.recount", _("Settlement batch recounted after a refund")),
            ("commission.loan_disbursed", _("Loan disbursed: commissions payable")),
            ("settlement.approve", _("Settlement batch approved")),
            ("settlement.pay", _("Settlement batch paid")),
        ):
            register_audit_action(action, label)
