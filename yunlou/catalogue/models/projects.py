"""Projects, their buildings, presale permits and news: what a buyer reads about a development."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yunlou.core.money import format_wan


class ProjectStatus(models.TextChoices):
    UPCOMING = "upcoming", _("Coming soon")
    ON_SALE = "on_sale", _("On sale")
    SOLD_OUT = "sold_out", _("Sold out")


class Decoration(models.TextChoices):
    """装修标准 as listings state it."""

    ROUGH = "rough", _("Unfinished (shell)")
    SIMPLE = "simple", _("Basic finish")
    FURNISHED = "furnished", _("Fully finished")
    LUXURY = "luxury", _("Luxury finish")


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
    # The facts buyers compare projects by (what 贝壳 and 安居客 list on every project page).
    developer = models.CharField(_("developer"), max_length=100, blank=True,
                                 help_text=_("The project company as registered; the organisation's name if empty."))
    property_company = models.CharField(_("property management company"), max_length=100, blank=True)
    property_fee = models.DecimalField(
        _("property fee (yuan per m² a month)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    plot_ratio = models.DecimalField(_("plot ratio"), max_digits=4, decimal_places=2, null=True, blank=True,
                                     validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(20)])
    green_ratio = models.DecimalField(_("green ratio (%)"), max_digits=4, decimal_places=1, null=True, blank=True,
                                      validators=[MinValueValidator(0), MaxValueValidator(100)])
    parking_ratio = models.CharField(_("parking ratio"), max_length=20, blank=True,
                                     help_text=_("Households to parking spaces, such as 1:1.2."))
    property_right_years = models.PositiveSmallIntegerField(
        _("property-right years"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(70)],
    )
    decoration = models.CharField(_("decoration standard"), max_length=20, choices=Decoration.choices, blank=True)
    opening_date = models.DateField(_("opening date"), null=True, blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
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
    # The city's minimum down payment for a first home (首付比例下限); the calculator warns below it.
    minimum_down_payment_percent = models.PositiveSmallIntegerField(
        _("minimum down payment (%)"), default=15, validators=[MinValueValidator(0), MaxValueValidator(100)]
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
            models.CheckConstraint(condition=Q(property_fee__isnull=True) | Q(property_fee__gte=0),
                                   name="project_property_fee_not_negative"),
            models.CheckConstraint(condition=Q(plot_ratio__isnull=True) | Q(plot_ratio__gt=0),
                                   name="project_plot_ratio_positive"),
            models.CheckConstraint(
                condition=Q(green_ratio__isnull=True) | (Q(green_ratio__gte=0) & Q(green_ratio__lte=100)),
                name="project_green_ratio_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=Q(minimum_down_payment_percent__lte=100) & Q(default_down_payment_percent__lte=100),
                name="project_down_payments_are_percentages",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def developer_name(self) -> str:
        return self.developer or self.organization.name

    @property
    def commercial_rate(self) -> Decimal:
        return self.lpr_five_year + Decimal(self.commercial_spread_bp) / 100

    @property
    def price_range_label(self) -> str:
        if self.price_min is None:
            return ""
        if self.price_max is None or self.price_max == self.price_min:
            return format_wan(self.price_min)
        low, high = format_wan(self.price_min), format_wan(self.price_max)
        if low[-1] == high[-1]:  # the same unit once: 286.0–500.0万
            return f"{low[:-1]}–{high}"
        return f"{low}–{high}"


class NewsCategory(models.TextChoices):
    LAUNCH = "launch", _("Launch")
    RELEASE = "release", _("New release")
    PERMIT = "permit", _("Permit")
    CONSTRUCTION = "construction", _("Construction progress")
    PROMOTION = "promotion", _("Offer")
    OTHER = "other", _("News")


class ProjectNews(models.Model):
    """楼盘动态: dated news of a project, newest first."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="news", verbose_name=_("project"))
    category = models.CharField(_("category"), max_length=20, choices=NewsCategory.choices,
                                default=NewsCategory.OTHER)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), blank=True)
    published_at = models.DateTimeField(_("published"))
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("project news")
        verbose_name_plural = _("project news")
        ordering = ["project", "-published_at", "-id"]
        indexes = [models.Index(fields=["project", "-published_at"])]

    def __str__(self) -> str:
        return self.title


class PresalePermit(models.Model):
    """预售许可证: the permit that lets a building's units be sold, with the price list filed with it.

    One permit may cover several buildings (each building points to its permit). A building without a
    permit shows 「待取证」 to buyers instead of prices, and its units cannot be put on sale.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="presale_permits",
                                verbose_name=_("project"))
    number = models.CharField(_("permit number"), max_length=60)
    issued_on = models.DateField(_("date of issue"))
    authority = models.CharField(_("issued by"), max_length=60)
    price_list_version = models.ForeignKey(
        "catalogue.PriceListVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="permits",
        verbose_name=_("filed price list"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("presale permit")
        verbose_name_plural = _("presale permits")
        ordering = ["project", "issued_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="presale_permit_number_unique_in_project"),
        ]

    def __str__(self) -> str:
        return self.number


class Building(models.Model):
    """楼栋. `number` is what unit codes start with: units of building "3" are 3-1201, 3-1202…

    A building may have several entrances (单元), each a stairwell with its own units on every floor; the
    units of building 5, entrance 2 are 5-2-1201, 5-2-1202… (written 5幢2单元1201 in price lists).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("project"))
    number = models.CharField(_("number"), max_length=10)
    name = models.CharField(_("name"), max_length=30, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors above ground"), validators=[MinValueValidator(1)])
    units_per_floor = models.PositiveSmallIntegerField(_("units per floor"), validators=[MinValueValidator(1)],
                                                       help_text=_("In each entrance."))
    entrances = models.PositiveSmallIntegerField(_("entrances"), default=1,
                                                 validators=[MinValueValidator(1), MaxValueValidator(20)])
    presale_permit = models.ForeignKey(PresalePermit, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="buildings", verbose_name=_("presale permit"))
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
            models.CheckConstraint(condition=Q(floors__gte=1) & Q(units_per_floor__gte=1) & Q(entrances__gte=1),
                                   name="building_has_floors_and_positions"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.number}号楼"

    def unit_code(self, floor: int, position: int, entrance: int = 1) -> str:
        if self.entrances > 1:
            return f"{self.number}-{entrance}-{floor:02d}{position:02d}"
        return f"{self.number}-{floor:02d}{position:02d}"

    @property
    def has_permit(self) -> bool:
        return self.presale_permit_id is not None
