"""Every write to the catalogue. Subjects live in their own modules; import them from here."""

from yunlou.catalogue.services.price_list import ImportResult, price_list_export, price_list_import
from yunlou.catalogue.services.projects import project_refresh_price_range
from yunlou.catalogue.services.units import building_generate_units, unit_status_change, unit_transition

__all__ = [
    "ImportResult",
    "building_generate_units",
    "price_list_export",
    "price_list_import",
    "project_refresh_price_range",
    "unit_status_change",
    "unit_transition",
]
