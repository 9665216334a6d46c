from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from yunlou.catalogue.models import UnitStatus
from yunlou.core.images import renditions_of
from yunlou.core.parsing import MAX_ID
from yunlou.core.schemas import Id

# The statuses as a Literal, so the OpenAPI document lists them and a wrong one is a 422 naming the field.
UnitStatusValue = Literal[tuple(UnitStatus.values)]


def media_url(request, file) -> str | None:
    return request.build_absolute_uri(file.url) if file else None


class ProjectOut(Schema):
    id: int
    name: str
    district: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    price_min: int | None = Field(description="lowest total price, fen")
    price_max: int | None = Field(description="highest total price, fen")
    price_range_label: str
    average_unit_price: int | None = Field(description="average price per m², fen")
    sales_phone: str
    status: str
    status_label: str
    tags: list[str]
    cover: str | None

    @staticmethod
    def from_project(request, project) -> dict:
        return {
            **{name: getattr(project, name) for name in (
                "id", "name", "district", "address", "latitude", "longitude", "price_min", "price_max",
                "price_range_label", "average_unit_price", "sales_phone", "status", "tags")},
            "status_label": project.get_status_display(),
            "cover": media_url(request, project.cover),
        }


class RenditionOut(Schema):
    width: int = Field(description="pixels")
    height: int = Field(description="pixels")
    format: Literal["webp", "jpeg", "png"]
    url: str


def renditions_out(request, file, found: dict | None = None) -> list[dict]:
    """The responsive renditions made so far of an image (`yunlou.core.images`); [] until they exist.
    `found` is what `renditions_of_many` looked up for a whole list at once."""
    renditions = renditions_of(file) if found is None else found.get(file.name, []) if file else []
    return [{"width": r.width, "height": r.height, "format": r.format, "url": request.build_absolute_uri(r.url)}
            for r in renditions]


class PhotoOut(Schema):
    id: int
    url: str = Field(description="the original upload")
    caption: str
    category: str
    width: int | None
    height: int | None
    renditions: list[RenditionOut] = Field(
        description="smaller copies to choose from by width (WebP, and JPEG for clients without WebP)")


class VideoOut(Schema):
    id: int
    title: str
    url: str
    poster: str | None
    duration_seconds: int | None


class HotspotOut(Schema):
    yaw: float
    pitch: float
    text: str
    target_scene: str = Field(description="key of the scene the hotspot leads to")


class PanoramaSceneOut(Schema):
    key: str
    title: str
    url: str = Field(description="equirectangular image")
    initial_yaw: float
    initial_pitch: float
    is_entry: bool
    hotspots: list[HotspotOut]


class MortgageDefaultsOut(Schema):
    lpr_five_year: Decimal
    commercial_rate: Decimal
    provident_fund_rate: Decimal
    default_down_payment_percent: int


class PresalePermitOut(Schema):
    number: str = Field(description="预售许可证号")
    issued_on: date
    authority: str
    building_ids: list[int]


class ProjectFactsOut(Schema):
    developer: str
    property_company: str
    property_fee: Decimal | None = Field(description="yuan per m² a month")
    plot_ratio: Decimal | None
    green_ratio: Decimal | None = Field(description="percent")
    parking_ratio: str
    property_right_years: int | None
    decoration: str
    decoration_label: str
    opening_date: date | None
    delivery_date: date | None
    minimum_down_payment_percent: int
    presale_permits: list[PresalePermitOut]

    @staticmethod
    def from_project(project, permits) -> dict:
        return {
            **{name: getattr(project, name) for name in (
                "property_company", "property_fee", "plot_ratio", "green_ratio", "parking_ratio",
                "property_right_years", "decoration", "opening_date", "delivery_date",
                "minimum_down_payment_percent")},
            "developer": project.developer_name,
            "decoration_label": project.get_decoration_display(),
            "presale_permits": [{"number": p.number, "issued_on": p.issued_on, "authority": p.authority,
                                 "building_ids": [b.pk for b in p.building_list]} for p in permits],
        }


class NewsOut(Schema):
    id: int
    category: str
    category_label: str
    title: str
    body: str
    published_at: datetime

    @staticmethod
    def resolve_category_label(news) -> str:
        return news.get_category_display()


class ProjectDetailOut(ProjectOut):
    description: str
    highlights: list[str]
    site_plan: str | None
    cover_renditions: list[RenditionOut] = Field(description="smaller copies of the cover to choose from by width")
    photos: list[PhotoOut]
    videos: list[VideoOut]
    panorama_scenes: list[PanoramaSceneOut]
    mortgage: MortgageDefaultsOut
    facts: ProjectFactsOut


class BuildingOut(Schema):
    id: int
    project_id: int
    number: str
    name: str
    floors: int
    units_per_floor: int = Field(description="in each entrance")
    entrances: int = Field(description="单元: stairwells, each with its own units on every floor")
    presale_permit: str | None = Field(description="预售许可证号; null: 待取证, no prices published")
    site_x: float | None = Field(description="position on the site plan, fraction of its width")
    site_y: float | None
    site_width: float | None
    site_height: float | None

    @staticmethod
    def resolve_name(building) -> str:
        return str(building)

    @staticmethod
    def resolve_presale_permit(building) -> str | None:
        return building.presale_permit.number if building.presale_permit_id else None


class FloorPlanOut(Schema):
    id: int
    project_id: int
    name: str
    rooms: int
    halls: int
    bathrooms: int
    layout_label: str
    gross_area: Decimal
    net_area: Decimal | None
    orientation: str
    drawing: str | None
    available_count: int = Field(description="units of this plan available now")

    @staticmethod
    def resolve_drawing(plan, context) -> str | None:
        return media_url(context["request"], plan.drawing)


class UnitOut(Schema):
    id: int
    building_id: int
    code: str
    entrance: int
    floor: int
    position: int
    floor_plan_id: int | None
    floor_plan_name: str | None
    area: Decimal
    net_area: Decimal | None = Field(description="套内面积, m²")
    list_price: int = Field(description="total list price, fen")
    unit_price: int = Field(description="price per m², fen")
    status: UnitStatusValue
    status_label: str = Field(description="可售、已锁定、已认购、已签约 or 不可售: the words every page uses")

    @staticmethod
    def resolve_net_area(unit) -> Decimal | None:
        return unit.net_area_shown

    @staticmethod
    def resolve_floor_plan_name(unit) -> str | None:
        return unit.floor_plan.name if unit.floor_plan else None

    @staticmethod
    def resolve_status_label(unit) -> str:
        return str(UnitStatus(unit.status).label)


class UnitQuery(Schema):
    project_id: Id | None = None
    building_id: Id | None = None
    floor_plan_id: Id | None = None
    status: UnitStatusValue | None = None
    price_min: int | None = Field(None, ge=0, le=MAX_ID, description="fen")
    price_max: int | None = Field(None, ge=0, le=MAX_ID, description="fen")
    area_min: Decimal | None = Field(None, ge=0, max_digits=7, decimal_places=2)
    area_max: Decimal | None = Field(None, ge=0, max_digits=7, decimal_places=2)


class GridCellOut(BaseModel):
    # A plain pydantic model: ninja's Schema wraps every object in a getter, which for the 320 cells
    # of a tower costs more than the rest of the request.
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    entrance: int
    position: int
    floor_plan_id: int | None
    floor_plan_name: str | None
    area: Decimal
    list_price: int
    unit_price: int
    status: UnitStatusValue
    is_match: bool


class GridRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    floor: int
    cells: list[GridCellOut | None] = Field(description="one per column of `columns`; null where no unit is")


class GridColumnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    entrance: int
    position: int


class StatusCountOut(Schema):
    status: UnitStatusValue
    label: str = Field(description="可售、已锁定、已认购、已签约 or 不可售")
    colour: str = Field(description="the colour the grids and legends use, #rrggbb")
    count: int
    share: float


class GridOut(Schema):
    building: BuildingOut
    project_id: int
    floors: int = Field(description="floors above ground, every one a row from the top down")
    entrances: list[int] = Field(description="单元, whose columns follow one another")
    positions: list[int] = Field(description="positions on a floor, in each entrance")
    columns: list[GridColumnOut]
    rows: list[GridRowOut]
    counts: list[StatusCountOut]
    total_units: int
    released_units: int = Field(description="已推售: every unit but those not for sale")
    sold_units: int
    sell_through: float = Field(description="去化率: sold ÷ released")
    sold_area: Decimal
    sold_amount: int | None = Field(description="fen; null for roles that may not see sales figures")
    available_amount: int | None = Field(description="可售货值, fen; null for roles that may not see sales figures")
