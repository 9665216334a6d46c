from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from yunlou.catalogue.models import (
    Building,
    FloorPlan,
    PanoramaHotspot,
    PanoramaScene,
    PresalePermit,
    PriceListVersion,
    Project,
    ProjectNews,
    ProjectPhoto,
    ProjectVideo,
    Unit,
    UnitPriceChange,
)
from yunlou.core.admin_scope import OrganizationScopedAdmin, OrganizationScopedInline, ReadOnlyScopedAdmin
from yunlou.core.images import UploadedImageField

# Image uploads are checked before anything decodes them: too large, too many pixels (a decompression bomb),
# damaged or not an image is a form error naming the field, never a 500. HEIC photos are accepted.
IMAGE_UPLOADS = {models.ImageField: {"form_class": UploadedImageField}}

# Each admin and inline names the way from its model to the organisation (yunlou.core.admin_scope): an
# organisation admin sees, edits and picks only their own organisation's records.
PROJECT_ORGANIZATION = "project__organization"


class BuildingInline(OrganizationScopedInline, admin.TabularInline):
    model = Building
    organization_path = PROJECT_ORGANIZATION
    extra = 0


class PhotoInline(OrganizationScopedInline, admin.TabularInline):
    model = ProjectPhoto
    organization_path = PROJECT_ORGANIZATION
    extra = 0
    formfield_overrides = IMAGE_UPLOADS


class VideoInline(OrganizationScopedInline, admin.TabularInline):
    model = ProjectVideo
    organization_path = PROJECT_ORGANIZATION
    extra = 0
    formfield_overrides = IMAGE_UPLOADS


@admin.register(Project)
class ProjectAdmin(OrganizationScopedAdmin):
    organization_path = "organization"
    list_display = ["name", "organization", "district", "status", "is_published"]
    list_filter = ["organization", "status", "is_published"]
    search_fields = ["name", "district"]
    inlines = [BuildingInline, PhotoInline, VideoInline]
    formfield_overrides = IMAGE_UPLOADS


@admin.register(FloorPlan)
class FloorPlanAdmin(OrganizationScopedAdmin):
    organization_path = PROJECT_ORGANIZATION
    list_display = ["name", "project", "rooms", "halls", "bathrooms", "gross_area", "orientation"]
    list_filter = ["project"]
    formfield_overrides = IMAGE_UPLOADS


@admin.register(Unit)
class UnitAdmin(OrganizationScopedAdmin):
    organization_path = "building__project__organization"
    list_display = ["code", "building", "floor", "position", "floor_plan", "area", "list_price", "status"]
    list_filter = ["building__project", "building", "status"]
    search_fields = ["code"]
    list_select_related = ["building", "floor_plan"]
    # Status moves through services (grid, orders) so that every change is audited.
    readonly_fields = ["status", "status_changed_at"]


class HotspotInline(OrganizationScopedInline, admin.TabularInline):
    model = PanoramaHotspot
    organization_path = "scene__project__organization"
    fk_name = "scene"
    extra = 0


@admin.register(PanoramaScene)
class PanoramaSceneAdmin(OrganizationScopedAdmin):
    organization_path = PROJECT_ORGANIZATION
    list_display = ["title", "project", "key", "is_entry"]
    list_filter = ["project"]
    formfield_overrides = IMAGE_UPLOADS
    inlines = [HotspotInline]


class PermitBuildingInline(OrganizationScopedInline, admin.TabularInline):
    model = Building
    organization_path = PROJECT_ORGANIZATION
    organization_admin_permissions = ("view",)
    fk_name = "presale_permit"
    fields = ["number", "name", "floors", "entrances", "units_per_floor"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("buildings covered")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PresalePermit)
class PresalePermitAdmin(OrganizationScopedAdmin):
    """Recorded through the staff page (audited); corrected here when a number or date was mistyped."""

    organization_path = PROJECT_ORGANIZATION
    list_display = ["number", "project", "issued_on", "authority", "price_list_version"]
    list_filter = ["project__organization", "project"]
    search_fields = ["number", "project__name"]
    list_select_related = ["project", "price_list_version"]
    raw_id_fields = ["price_list_version"]
    inlines = [PermitBuildingInline]


class UnitPriceChangeInline(OrganizationScopedInline, admin.TabularInline):
    model = UnitPriceChange
    organization_path = "version__project__organization"
    organization_admin_permissions = ("view",)
    fields = ["unit", "old_list_price", "new_list_price", "old_unit_price", "new_unit_price", "old_area", "new_area"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit")


@admin.register(PriceListVersion)
class PriceListVersionAdmin(ReadOnlyScopedAdmin):
    """Price-list versions are history: made only by confirming a price list, never edited."""

    organization_path = PROJECT_ORGANIZATION
    list_display = ["__str__", "created_at", "created_by", "file_name", "created_units", "changed_units",
                    "unchanged_units"]
    list_filter = ["project__organization", "project"]
    list_select_related = ["project", "created_by"]
    search_fields = ["project__name", "file_name", "file_sha256"]
    inlines = [UnitPriceChangeInline]


@admin.register(ProjectNews)
class ProjectNewsAdmin(OrganizationScopedAdmin):
    organization_path = PROJECT_ORGANIZATION
    list_display = ["title", "project", "category", "published_at", "is_published"]
    list_filter = ["project__organization", "project", "category", "is_published"]
    search_fields = ["title", "body"]
    list_select_related = ["project"]
    date_hierarchy = "published_at"
