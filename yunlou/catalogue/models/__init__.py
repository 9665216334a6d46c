"""The catalogue's data, by subject: projects and buildings, floor plans and units, media, price lists."""

from yunlou.catalogue.models.media import (
    PanoramaHotspot,
    PanoramaScene,
    PhotoCategory,
    ProjectPhoto,
    ProjectVideo,
)
from yunlou.catalogue.models.price_lists import (
    PriceListDraft,
    PriceListDraftStatus,
    PriceListVersion,
    UnitPriceChange,
)
from yunlou.catalogue.models.projects import (
    Building,
    Decoration,
    NewsCategory,
    PresalePermit,
    Project,
    ProjectNews,
    ProjectStatus,
)
from yunlou.catalogue.models.units import (
    MANUAL_UNIT_TRANSITIONS,
    ON_SALE_STATUSES,
    SOLD_STATUSES,
    STATUS_COLOURS,
    UNIT_TRANSITIONS,
    FloorPlan,
    Orientation,
    Unit,
    UnitStatus,
)

__all__ = [
    "MANUAL_UNIT_TRANSITIONS",
    "ON_SALE_STATUSES",
    "SOLD_STATUSES",
    "STATUS_COLOURS",
    "UNIT_TRANSITIONS",
    "Building",
    "Decoration",
    "FloorPlan",
    "NewsCategory",
    "Orientation",
    "PanoramaHotspot",
    "PanoramaScene",
    "PhotoCategory",
    "PresalePermit",
    "PriceListDraft",
    "PriceListDraftStatus",
    "PriceListVersion",
    "Project",
    "ProjectNews",
    "ProjectPhoto",
    "ProjectStatus",
    "ProjectVideo",
    "Unit",
    "UnitPriceChange",
    "UnitStatus",
]
