from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "yunlou.catalogue"
    label = "catalogue"
    verbose_name = _("Catalogue")

    def ready(self):
        from yunlou.catalogue.models import UnitStatus
        from yunlou.core.audit import register_audit_action

        register_audit_action("unit.status_change", _("Unit status changed"), fields={"status": _("Status")},
                              values={"status": dict(UnitStatus.choices)})
        register_audit_action("price_list.import", _("Price list imported"), fields={
            "file": _("File"), "created": _("Units created"), "updated": _("Units repriced"),
            "unchanged": _("Units unchanged")})
        register_audit_action("building.generate_units", _("Units generated"), fields={"units": _("Units")})
        register_audit_action("price_list.export", _("Price list exported"), fields={"building": _("Building")})
        register_audit_action("price_list.upload", _("Price list uploaded for preview"))
        register_audit_action("price_list.confirm", _("Price list confirmed"), fields={
            "version": _("Version"), "floor_plans": _("Floor plans created")})
        register_audit_action("price_list.discard", _("Price list preview discarded"))
        register_audit_action("presale_permit.record", _("Presale permit recorded"), fields={
            "number": _("Permit number"), "issued_on": _("Date of issue"), "authority": _("Issued by"),
            "buildings": _("Buildings covered"), "price_list_version": _("Price list filed with it")})
