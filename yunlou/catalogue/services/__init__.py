"""Every write to the catalogue. Subjects live in their own modules; import them from here."""

from yunlou.catalogue.services.permits import presale_permit_record
from yunlou.catalogue.services.price_list import (
    price_list_confirm,
    price_list_discard,
    price_list_export,
    price_list_upload,
)
from yunlou.catalogue.services.projects import project_refresh_price_range
from yunlou.catalogue.services.units import building_generate_units, unit_status_change, unit_transition

__all__ = [
    "building_generate_units",
    "presale_permit_record",
    "price_list_confirm",
    "price_list_discard",
    "price_list_export",
    "price_list_upload",
    "project_refresh_price_range",
    "unit_status_change",
    "unit_transition",
]
