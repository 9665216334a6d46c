from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yunlou.core.money import format_wan


class ProjectStatus(models.TextChoices):
    UPCOMING = "upcoming", _("Coming soon")
    ON_SALE = "on_sale", _("On sale")
    SOLD_OUT = "sold_out", _("Sold out")


class Project(models.Model):
    """A development on sale (楼盘)."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="projects", verbose_name=_("organization")
    )
    name = models.CharField(_("name"), max_length=60)
    district = models.CharField(_("district"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    price_min = models.BigIntegerField(_("lowest total price (fen)"), null=True, blank=True)
    price_max = models.BigIntegerField(_("highest total price (fen)"), null=True, blank=True)
    average_unit_price = models.BigIntegerField(_("average price per m² (fen)"), null=True, blank=True)
    sales_phone = models.CharField(_("sales office phone"), max_length=30, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ProjectStatus.choices,
                              default=ProjectStatus.UPCOMING)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    cover = models.ImageField(_("cover image"), upload_to="projects/covers/", blank=True)
    highlights = models.JSONField(_("highlights"), default=list, blank=True)
    site_plan = models.ImageField(_("site plan"), upload_to="projects/site_plans/", blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    # Mortgage calculator defaults (房贷计算器): the commercial rate follows the 5-year LPR plus the city's
    # spread in basis points (for first homes often negative); the provident fund rate is set nationally.
    lpr_five_year = models.DecimalField(_("5-year LPR (%)"), max_digits=4, decimal_places=2, default=Decimal("3.50"))
    commercial_spread_bp = models.SmallIntegerField(_("commercial loan spread over LPR (bp)"), default=0)
    provident_fund_rate = models.DecimalField(_("provident fund loan rate (%)"), max_digits=4, decimal_places=2,
                                              default=Decimal("2.85"))
    default_down_payment_percent = models.PositiveSmallIntegerField(
        _("default down payment (%)"), default=30, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="project_name_unique_in_organization"),
            models.CheckConstraint(condition=Q(price_min__gte=0) | Q(price_min__isnull=True),
                                   name="project_price_min_not_negative"),
            models.CheckConstraint(
                condition=Q(price_max__isnull=True) | Q(price_min__isnull=True) | Q(price_max__gte=F("price_min")),
                name="project_price_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def commercial_rate(self) -> Decimal:
        return self.lpr_five_year + Decimal(self.commercial_spread_bp) / 100

    @property
    def price_range_label(self) -> str:
        if self.price_min is None:
            return ""
        if self.price_max is None or self.price_max == self.price_min:
            return format_wan(self.price_min)
        return f"{format_wan(self.price_min)}–{format_wan(self.price_max)}"


class Building(models.Model):
    """楼栋. `number` is what unit codes start with: units of building "3" are 3-1201, 3-1202…"""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("project"))
    number = models.CharField(_("number"), max_length=10)
    name = models.CharField(_("name"), max_length=30, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors above ground"), validators=[MinValueValidator(1)])
    units_per_floor = models.PositiveSmallIntegerField(_("units per floor"), validators=[MinValueValidator(1)])
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    # Where the building stands on the project's site plan, as fractions of the image (0–1).
    site_x = models.FloatField(_("site plan x"), null=True, blank=True,
                               validators=[MinValueValidator(0), MaxValueValidator(1)])
    site_y = models.FloatField(_("site plan y"), null=True, blank=True,
                               validators=[MinValueValidator(0), MaxValueValidator(1)])
    site_width = models.FloatField(_("site plan width"), null=True, blank=True,
                                   validators=[MinValueValidator(0), MaxValueValidator(1)])
    site_height = models.FloatField(_("site plan height"), null=True, blank=True,
                                    validators=[MinValueValidator(0), MaxValueValidator(1)])

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["project", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="building_number_unique_in_project"),
            models.CheckConstraint(condition=Q(floors__gte=1) & Q(units_per_floor__gte=1),
                                   name="building_has_floors_and_positions"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.number}号楼"

    def unit_code(self, floor: int, position: int) -> str:
        return f"{self.number}-{floor:02d}{position:02d}"


class Orientation(models.TextChoices):
    SOUTH = "S", _("South")
    NORTH_SOUTH = "NS", _("North–south through")
    EAST = "E", _("East")
    WEST = "W", _("West")
    SOUTH_EAST = "SE", _("South-east")
    SOUTH_WEST = "SW", _("South-west")
    NORTH = "N", _("North")


class FloorPlan(models.Model):
    """户型: a layout shared by many units."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="floor_plans",
                                verbose_name=_("project"))
    name = models.CharField(_("name"), max_length=30)
    rooms = models.PositiveSmallIntegerField(_("bedrooms"), validators=[MinValueValidator(1)])
    halls = models.PositiveSmallIntegerField(_("living rooms"), default=1)
    bathrooms = models.PositiveSmallIntegerField(_("bathrooms"), default=1)
    gross_area = models.DecimalField(_("gross area (m²)"), max_digits=7, decimal_places=2)
    net_area = models.DecimalField(_("net area (m²)"), max_digits=7, decimal_places=2, null=True, blank=True)
    orientation = models.CharField(_("orientation"), max_length=2, choices=Orientation.choices, blank=True)
    drawing = models.ImageField(_("drawing"), upload_to="projects/floor_plans/", blank=True)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("floor plan")
        verbose_name_plural = _("floor plans")
        ordering = ["project", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="floor_plan_name_unique_in_project"),
            models.CheckConstraint(condition=Q(gross_area__gt=0), name="floor_plan_gross_area_positive"),
            models.CheckConstraint(
                condition=Q(net_area__isnull=True) | (Q(net_area__gt=0) & Q(net_area__lte=F("gross_area"))),
                name="floor_plan_net_area_within_gross",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def layout_label(self) -> str:
        return f"{self.rooms}室{self.halls}厅{self.bathrooms}卫"


class UnitStatus(models.TextChoices):
    NOT_FOR_SALE = "not_for_sale", _("Not for sale")
    AVAILABLE = "available", _("Available")
    HELD = "held", _("Held")
    SUBSCRIBED = "subscribed", _("Subscribed")
    SIGNED = "signed", _("Signed")


# The unit lifecycle (DESIGN): subscribed/signed return to available only through a recorded refund.
UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    UnitStatus.NOT_FOR_SALE: frozenset({UnitStatus.AVAILABLE}),
    UnitStatus.AVAILABLE: frozenset({UnitStatus.HELD, UnitStatus.NOT_FOR_SALE}),
    UnitStatus.HELD: frozenset({UnitStatus.AVAILABLE, UnitStatus.SUBSCRIBED}),
    UnitStatus.SUBSCRIBED: frozenset({UnitStatus.SIGNED, UnitStatus.AVAILABLE}),
    UnitStatus.SIGNED: frozenset({UnitStatus.AVAILABLE}),
}

# What a manager may do by hand on the sales control grid (销控): take units off sale and put them
# back. Holds, subscriptions, signings and refunds happen only through orders.
MANUAL_UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    UnitStatus.NOT_FOR_SALE: frozenset({UnitStatus.AVAILABLE}),
    UnitStatus.AVAILABLE: frozenset({UnitStatus.NOT_FOR_SALE}),
}

SOLD_STATUSES = frozenset({UnitStatus.SUBSCRIBED, UnitStatus.SIGNED})
ON_SALE_STATUSES = frozenset({UnitStatus.AVAILABLE, UnitStatus.HELD, UnitStatus.SUBSCRIBED, UnitStatus.SIGNED})


class Unit(models.Model):
    """房源: one sellable apartment with its own list price (一房一价)."""

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="units", verbose_name=_("building"))
    floor = models.SmallIntegerField(_("floor"))
    position = models.PositiveSmallIntegerField(_("position"), validators=[MinValueValidator(1)])
    code = models.CharField(_("unit"), max_length=20)
    floor_plan = models.ForeignKey(FloorPlan, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="units", verbose_name=_("floor plan"))
    area = models.DecimalField(_("gross area (m²)"), max_digits=7, decimal_places=2)
    list_price = models.BigIntegerField(_("list price (fen)"))
    unit_price = models.BigIntegerField(_("price per m² (fen)"))
    status = models.CharField(_("status"), max_length=20, choices=UnitStatus.choices,
                              default=UnitStatus.NOT_FOR_SALE, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building", "-floor", "position"]
        constraints = [
            models.UniqueConstraint(fields=["building", "code"], name="unit_code_unique_in_building"),
            models.UniqueConstraint(fields=["building", "floor", "position"], name="unit_place_unique_in_building"),
            models.CheckConstraint(condition=Q(list_price__gte=0), name="unit_list_price_not_negative"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="unit_unit_price_not_negative"),
            models.CheckConstraint(condition=Q(area__gt=0), name="unit_area_positive"),
            models.CheckConstraint(condition=Q(status__in=UnitStatus.values), name="unit_status_known"),
        ]
        indexes = [models.Index(fields=["building", "status"])]

    def __str__(self) -> str:
        return self.code

    def clean(self):
        # A floor plan is a project's: a unit cannot take one from another project (the admin and
        # imports both pass through here or through services that check the same).
        if self.floor_plan_id and self.building_id and self.floor_plan.project_id != self.building.project_id:
            raise ValidationError({"floor_plan": _("The floor plan belongs to another project.")})

    @staticmethod
    def price_per_sqm(list_price: int, area: Decimal) -> int:
        return int((Decimal(list_price) / area).quantize(Decimal("1")))


class PhotoCategory(models.TextChoices):
    RENDERING = "rendering", _("Rendering")
    SITE = "site", _("Real photo")
    SHOW_FLAT = "show_flat", _("Show flat")
    AMENITY = "amenity", _("Neighbourhood")


class ProjectPhoto(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="photos", verbose_name=_("project"))
    image = models.ImageField(_("image"), upload_to="projects/photos/")
    caption = models.CharField(_("caption"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=PhotoCategory.choices,
                                default=PhotoCategory.RENDERING)
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["project", "sort_order", "id"]

    def __str__(self) -> str:
        return self.caption or self.image.name


class ProjectVideo(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="videos", verbose_name=_("project"))
    title = models.CharField(_("title"), max_length=100)
    file = models.FileField(_("video file (MP4)"), upload_to="projects/videos/")
    poster = models.ImageField(_("poster"), upload_to="projects/videos/", blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("video")
        verbose_name_plural = _("videos")
        ordering = ["project", "sort_order", "id"]

    def __str__(self) -> str:
        return self.title


class PanoramaScene(models.Model):
    """One equirectangular 360° image of a VR tour; hotspots link scenes into the tour."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="panorama_scenes",
                                verbose_name=_("project"))
    floor_plan = models.ForeignKey(FloorPlan, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="panorama_scenes", verbose_name=_("floor plan"))
    key = models.SlugField(_("key"), max_length=40)
    title = models.CharField(_("title"), max_length=50)
    image = models.ImageField(_("equirectangular image"), upload_to="projects/panoramas/")
    initial_yaw = models.FloatField(_("initial yaw"), default=0)
    initial_pitch = models.FloatField(_("initial pitch"), default=0)
    is_entry = models.BooleanField(_("first scene of the tour"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("panorama scene")
        verbose_name_plural = _("panorama scenes")
        ordering = ["project", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="panorama_key_unique_in_project"),
            models.UniqueConstraint(fields=["project"], condition=Q(is_entry=True),
                                    name="one_entry_scene_per_project"),
        ]

    def __str__(self) -> str:
        return self.title


class PanoramaHotspot(models.Model):
    scene = models.ForeignKey(PanoramaScene, on_delete=models.CASCADE, related_name="hotspots",
                              verbose_name=_("scene"))
    target_scene = models.ForeignKey(PanoramaScene, on_delete=models.CASCADE, related_name="incoming_hotspots",
                                     verbose_name=_("leads to"))
    yaw = models.FloatField(_("yaw"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    pitch = models.FloatField(_("pitch"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    text = models.CharField(_("label"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("hotspot")
        verbose_name_plural = _("hotspots")
        constraints = [
            models.CheckConstraint(condition=~Q(scene=F("target_scene")), name="hotspot_leads_elsewhere"),
        ]

    def __str__(self) -> str:
        return self.text or str(self.target_scene)

    def clean(self):
        if self.scene_id and self.target_scene_id and self.scene.project_id != self.target_scene.project_id:
            raise ValidationError({"target_scene": _("A hotspot leads to a scene of the same project.")})
