from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LaunchConfig(AppConfig):
    name = "yunlou.launch"
    label = "launch"
    verbose_name = _("Online launch")

    def ready(self):
        from yunlou.core.audit import register_audit_action

        register_audit_action("order.hold", _("Unit held in a launch"))
        register_audit_action("order.hold_expire", _("Hold expired"))
        register_audit_action("launch.create", _("Launch set up"), fields={"units": _("Units offered"),
                                                                          "reserved": _("Units reserved")})
        register_audit_action("launch.list_freeze", _("Eligible list frozen"),
                              fields={"list_digest": _("List SHA-256"), "seed_commitment": _("Seed SHA-256")})
        register_audit_action("launch.draw", _("Lottery drawn"), fields={"public_value": _("Public value")})
        register_audit_action("launch.order_import", _("Lottery result imported"), fields={"places": _("Places")})
        register_audit_action("launch.rehearsal_clear", _("Rehearsal cleared"), fields={"orders": _("Orders")})
        register_audit_action("pledge.create", _("Pledge recorded"))
        register_audit_action("pledge.import", _("Pledge list imported"), fields={"pledges": _("Pledges")})
        register_audit_action("pledge.refund", _("Pledge refunded"))
        register_audit_action("order.subscribe", _("Unit subscribed"))
        register_audit_action("order.sign", _("Contract signed"), fields={"contract": _("Contract number"),
                                                                         "sha256": _("SHA-256")})
        register_audit_action("order.refund", _("Order refunded"))
        register_audit_action("order.cancel", _("Hold cancelled by the buyer"))
        register_audit_action("contract.download", _("Contract downloaded"))
        register_audit_action("launch.orders_export", _("Launch orders exported"),
                              fields={"orders": _("Orders"), "filters": _("Filters")})

        from yunlou.launch.services.orders import order_deposit_received, pledge_payment_received
        from yunlou.payments.handlers import payment_handlers

        payment_handlers.register("order", order_deposit_received)
        payment_handlers.register("pledge", pledge_payment_received)
