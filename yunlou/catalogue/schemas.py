from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from yunlou.catalogue.models import UnitStatus
from yunlou.core.parsing import MAX_ID

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


class PhotoOut(Schema):
    id: int
    url: str
    caption: str
    category: str
    width: int | None
    height: int | None


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


class ProjectDetailOut(ProjectOut):
    description: str
    highlights: list[str]
    site_plan: str | None
    photos: list[PhotoOut]
    videos: list[VideoOut]
    panorama_scenes: list[PanoramaSceneOut]
    mortgage: MortgageDefaultsOut


class BuildingOut(Schema):
    id: int
    project_id: int
    number: str
    name: str
    floors: int
    units_per_floor: int
    site_x: float | None = Field(description="position on the site plan, fraction of its width")
    site_y: float | None
    site_width: float | None
    site_height: float | None

    @staticmethod
    def resolve_name(building) -> str:
        return str(building)


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
    floor: int
    position: int
    floor_plan_id: int | None
    floor_plan_name: str | None
    area: Decimal
    list_price: int = Field(description="total list price, fen")
    unit_price: int = Field(description="price per m², fen")
    status: UnitStatusValue
    status_label: str

    @staticmethod
    def resolve_floor_plan_name(unit) -> str | None:
        return unit.floor_plan.name if unit.floor_plan else None

    @staticmethod
    def resolve_status_label(unit) -> str:
        return str(UnitStatus(unit.status).label)


class UnitQuery(Schema):
    project_id: int | None = Field(None, ge=1, le=MAX_ID)
    building_id: int | None = Field(None, ge=1, le=MAX_ID)
    floor_plan_id: int | None = Field(None, ge=1, le=MAX_ID)
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
    cells: list[GridCellOut | None]


class StatusCountOut(Schema):
    status: UnitStatusValue
    label: str
    count: int
    share: float


class GridOut(Schema):
    building: BuildingOut
    project_id: int
    positions: list[int]
    rows: list[GridRowOut]
    counts: list[StatusCountOut]
    total_units: int
    on_sale_units: int
    sold_units: int
    sell_through: float
    sold_area: Decimal
    sold_amount: int = Field(description="fen")
    available_amount: int = Field(description="fen")


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
