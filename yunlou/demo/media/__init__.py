"""Procedurally generated demo media: floor plans, renderings, 360° panoramas, video.

Everything is drawn by code from a seed so the demo data set is reproducible and needs
no downloads or bundled binary assets. Pure functions returning encoded bytes; no Django.
"""

from .panorama import PANORAMA_KINDS, door_direction, panorama_scene
from .photos import project_photo
from .plans import floor_plan_drawing
from .portraits import person_portrait
from .site import site_plan
from .video import promo_video, video_poster

__all__ = [
    "PANORAMA_KINDS",
    "door_direction",
    "floor_plan_drawing",
    "panorama_scene",
    "person_portrait",
    "project_photo",
    "promo_video",
    "site_plan",
    "video_poster",
]
