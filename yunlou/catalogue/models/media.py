"""Photos, videos and VR tours of a project."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yunlou.catalogue.models.projects import Project
from yunlou.catalogue.models.units import FloorPlan


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
