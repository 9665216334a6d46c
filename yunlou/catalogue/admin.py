from django.contrib import admin

from yunlou.catalogue.models import (
    Building,
    FloorPlan,
    PanoramaHotspot,
    PanoramaScene,
    Project,
    ProjectPhoto,
    ProjectVideo,
    Unit,
)


class BuildingInline(admin.TabularInline):
    model = Building
    extra = 0


class PhotoInline(admin.TabularInline):
    model = ProjectPhoto
    extra = 0


class VideoInline(admin.TabularInline):
    model = ProjectVideo
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "district", "status", "is_published"]
    list_filter = ["organization", "status", "is_published"]
    search_fields = ["name", "district"]
    inlines = [BuildingInline, PhotoInline, VideoInline]


@admin.register(FloorPlan)
class FloorPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "rooms", "halls", "bathrooms", "gross_area", "orientation"]
    list_filter = ["project"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "building", "floor", "position", "floor_plan", "area", "list_price", "status"]
    list_filter = ["building__project", "building", "status"]
    search_fields = ["code"]
    list_select_related = ["building", "floor_plan"]
    # Status moves through services (grid, orders) so that every change is audited.
    readonly_fields = ["status", "status_changed_at"]


class HotspotInline(admin.TabularInline):
    model = PanoramaHotspot
    fk_name = "scene"
    extra = 0


@admin.register(PanoramaScene)
class PanoramaSceneAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "key", "is_entry"]
    list_filter = ["project"]
    inlines = [HotspotInline]
