"""Floor plans and units: what is for sale, its price (一房一价) and its place in the sales lifecycle."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yunlou.catalogue.models.projects import Building, Project


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
    """The one vocabulary of unit status: the staff grid, the buyer's pages and the API use these labels
    (可售、已锁定、已认购、已签约、不可售) and the colours of `STATUS_COLOURS`, with every colour in each legend."""

    AVAILABLE = "available", _("Available")
    HELD = "held", _("Held")
    SUBSCRIBED = "subscribed", _("Subscribed")
    SIGNED = "signed", _("Signed")
    NOT_FOR_SALE = "not_for_sale", _("Not for sale")


# DESIGN: available green, held yellow, subscribed orange, signed red, not for sale grey — never colour alone.
# The same values as the --<status> custom properties of app.css (a test keeps the two in step).
STATUS_COLOURS: dict[str, str] = {
    UnitStatus.AVAILABLE: "#1f8a4c",
    UnitStatus.HELD: "#f5c518",
    UnitStatus.SUBSCRIBED: "#f39c3d",
    UnitStatus.SIGNED: "#c0392b",
    UnitStatus.NOT_FOR_SALE: "#cfd3d8",
}


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
    entrance = models.PositiveSmallIntegerField(_("entrance"), default=1, validators=[MinValueValidator(1)])
    floor = models.SmallIntegerField(_("floor"))
    position = models.PositiveSmallIntegerField(_("position"), validators=[MinValueValidator(1)])
    code = models.CharField(_("unit"), max_length=20)
    floor_plan = models.ForeignKey(FloorPlan, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="units", verbose_name=_("floor plan"))
    area = models.DecimalField(_("gross area (m²)"), max_digits=7, decimal_places=2)
    # 套内面积 as the price list states it; the floor plan's when the list does not.
    net_area = models.DecimalField(_("net area (m²)"), max_digits=7, decimal_places=2, null=True, blank=True)
    list_price = models.BigIntegerField(_("list price (fen)"))
    unit_price = models.BigIntegerField(_("price per m² (fen)"))
    status = models.CharField(_("status"), max_length=20, choices=UnitStatus.choices,
                              default=UnitStatus.NOT_FOR_SALE, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    note = models.CharField(_("remarks"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building", "entrance", "-floor", "position"]
        constraints = [
            models.UniqueConstraint(fields=["building", "code"], name="unit_code_unique_in_building"),
            models.UniqueConstraint(fields=["building", "entrance", "floor", "position"],
                                    name="unit_place_unique_in_building"),
            models.CheckConstraint(condition=Q(list_price__gte=0), name="unit_list_price_not_negative"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="unit_unit_price_not_negative"),
            models.CheckConstraint(condition=Q(area__gt=0), name="unit_area_positive"),
            models.CheckConstraint(
                condition=Q(net_area__isnull=True) | (Q(net_area__gt=0) & Q(net_area__lte=F("area"))),
                name="unit_net_area_within_gross",
            ),
            models.CheckConstraint(condition=Q(entrance__gte=1), name="unit_entrance_positive"),
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

    @property
    def net_area_shown(self) -> Decimal | None:
        """套内面积: the unit's own figure, else its floor plan's."""
        if self.net_area is not None:
            return self.net_area
        return self.floor_plan.net_area if self.floor_plan_id else None

    @staticmethod
    def price_per_sqm(list_price: int, area: Decimal) -> int:
        return int((Decimal(list_price) / area).quantize(Decimal("1")))
