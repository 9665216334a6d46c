"""Photos sized for phones: uploads checked at the door, responsive renditions made once, found cheaply.

Real uploads are 5–15 MB camera photos (iPhone HEIC among them) while a 375 px phone at DPR 2 shows a
cover 750 pixels wide, so every image a showroom page shows gets renditions — a few widths, WebP with a
JPEG (or, for drawings, PNG) fallback — and pages offer them through `srcset`/`sizes`
(`yunlou.core.templatetags.pictures`), letting the phone pick what it shows.

- easy-thumbnails does the resizing, naming, storing and bookkeeping (its Source/Thumbnail tables record
  which renditions exist, with their dimensions). We hand it a source image prepared once per upload:
  HEIC opened through pillow-heif, turned upright by its EXIF orientation, converted to sRGB, stripped of
  every metadata block (EXIF carries GPS), and refused when larger than `MAX_PIXELS`.
- A rendition is made once, after the upload's transaction commits, by the Celery task
  `core.renditions_make` — in a worker when REDIS_URL is set, inline otherwise. The hook is
  easy-thumbnails' own `saved_file` signal, sent for every file field a model save commits; it catches every
  upload path (admin, services, the demo seed) without each one having to remember. Renditions are derived
  files, not business state, so this is not the business side effect STYLE.md keeps out of signals.
- Pages look renditions up in the cache, a list of images (a gallery) in one round trip, and query the
  database only for files the cache does not know (a cold cache), all of a list in one query. A page that
  shows a photo without renditions (not made yet, or unreadable) shows the original.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath

import pillow_heif
from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_save
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps

logger = logging.getLogger(__name__)

pillow_heif.register_heif_opener()  # iPhone photos: .heic/.heif open like any other image

# A 48-megapixel phone photo (8064 × 6048) passes; a decompression bomb, or a 100-megapixel scan, does not.
# Pillow's own guard warns only above 89 MP and refuses above 179 MP, far more than a page ever needs.
MAX_PIXELS = 64_000_000
MAX_UPLOAD_BYTES = 30 * 1024 * 1024

CACHE_PREFIX = "renditions:v2:"
CACHE_SECONDS_FOUND = 24 * 3600
CACHE_SECONDS_MISSING = 60  # renditions not made yet: look again soon


@dataclass(frozen=True)
class RenditionKind:
    """What one kind of image needs: the widths a page may ask for, the formats and their quality."""

    widths: tuple[int, ...]
    formats: tuple[str, ...]  # "webp" first, then the fallback every browser shows
    quality: dict[str, int]
    square: bool = False  # cropped to a square (avatars)


KINDS: dict[str, RenditionKind] = {
    # Covers and gallery photos: 480 for gallery thumbnails, 960 for a phone's full width at DPR 2,
    # 1600 for tablets, desktops and DPR 3 phones.
    "photo": RenditionKind(widths=(480, 960, 1600), formats=("webp", "jpg"), quality={"webp": 75, "jpg": 80}),
    # Floor plans and site plans are line drawings: sharper WebP, PNG (not JPEG) as the fallback.
    "drawing": RenditionKind(widths=(320, 960, 1600), formats=("webp", "png"), quality={"webp": 90, "png": 90}),
    # A <video poster> takes one URL, so one JPEG any browser can show.
    "poster": RenditionKind(widths=(960,), formats=("jpg",), quality={"jpg": 80}),
    "avatar": RenditionKind(widths=(96, 192), formats=("webp", "jpg"), quality={"webp": 80, "jpg": 82},
                            square=True),
}

# Which image fields get renditions: "app_label.ModelName.field" → kind.
FIELD_KINDS: dict[str, str] = {
    "catalogue.Project.cover": "photo",
    "catalogue.Project.site_plan": "drawing",
    "catalogue.ProjectPhoto.image": "photo",
    "catalogue.ProjectVideo.poster": "poster",
    "catalogue.FloorPlan.drawing": "drawing",
    "accounts.User.avatar": "avatar",
}
# Models whose own width/height columns record the upright size of the image (used by the API).
DIMENSION_FIELDS: dict[str, tuple[str, str]] = {"catalogue.ProjectPhoto.image": ("width", "height")}

FORMAT_OF_EXTENSION = {".webp": "webp", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}
MIME_TYPES = {"webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}


class ImageRefused(Exception):
    """An image we will not process: not an image, damaged, or too large."""


@dataclass(frozen=True)
class Rendition:
    name: str  # storage name
    width: int
    height: int
    format: str  # "webp" | "jpeg" | "png"
    url: str  # worked out once and cached with the rest: a page writes about a hundred of them

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]


def field_key(fieldfile: FieldFile) -> str:
    meta = fieldfile.instance._meta
    return f"{meta.app_label}.{meta.object_name}.{fieldfile.field.name}"


def kind_of(fieldfile: FieldFile) -> RenditionKind | None:
    name = FIELD_KINDS.get(field_key(fieldfile))
    return KINDS[name] if name else None


# ---------- at the door: upload validation ----------

def image_check(file, *, decode: bool = False) -> tuple[int, int]:
    """Read the header of an image and return its (width, height); refuse what is not an image or has more
    than MAX_PIXELS pixels, before anything decodes it. With `decode`, a JPEG is then read through at an
    eighth of its size, which finds a truncated upload in milliseconds (Django's check does not)."""
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageRefused("too_many_pixels")
                if decode and image.format == "JPEG":
                    image.draft("RGB", (max(width // 8, 1), max(height // 8, 1)))
                    image.load()
    except ImageRefused:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ImageRefused("too_many_pixels") from error
    except Exception as error:  # Pillow raises many kinds for damaged or foreign files
        raise ImageRefused("invalid_image") from error
    finally:
        if hasattr(file, "seek"):
            file.seek(position)
    return width, height


class UploadedImageField(forms.ImageField):
    """An image upload refused with a message naming the field when it is too big, too many pixels (a
    decompression bomb), damaged or not an image; HEIC is accepted."""

    default_error_messages = {
        "invalid_image": _("%(field)s: this file is not a photo or drawing we can read (JPEG, PNG, WebP or "
                           "HEIC), or it is damaged."),
        "too_many_pixels": _("%(field)s: the image has more pixels than %(side)s × %(side)s; please upload a "
                             "smaller one."),
        "too_large_file": _("%(field)s: the file is larger than %(limit)s MB; please upload a smaller one."),
    }

    def to_python(self, data):
        if data in self.empty_values:
            return None
        params = {"field": self.label or _("Image"), "limit": MAX_UPLOAD_BYTES // (1024 * 1024),
                  "side": math.isqrt(MAX_PIXELS)}
        if (getattr(data, "size", 0) or 0) > MAX_UPLOAD_BYTES:
            raise ValidationError(self.error_messages["too_large_file"], code="too_large_file", params=params)
        try:
            image_check(data, decode=True)
            return super().to_python(data)
        except ImageRefused as refused:
            code = str(refused)
            raise ValidationError(self.error_messages[code], code=code, params=params) from None
        except ValidationError as error:
            raise ValidationError(self.error_messages["invalid_image"], code="invalid_image",
                                  params=params) from error


# ---------- making renditions ----------

def _upright_size(image: Image.Image) -> tuple[int, int, bool]:
    """The size the image has once turned by its EXIF orientation, and whether it turns by 90°."""
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:
        orientation = 1
    turned = orientation in (5, 6, 7, 8)
    width, height = image.size
    return (height, width, True) if turned else (width, height, False)


def _needed_scale(kind: RenditionKind, width: int, height: int) -> float:
    largest = max(kind.widths)
    return largest / min(width, height) if kind.square else largest / width


def source_image(file, kind: RenditionKind) -> Image.Image:
    """Open, check and prepare an image once for all its renditions: upright, sRGB, no metadata at all.

    JPEGs decode at a reduced scale when the largest rendition allows (`draft`), which makes a 12-megapixel
    photo about four times cheaper to read."""
    file.open("rb")
    try:
        data = file.read()
    finally:
        file.close()
    buffer = io.BytesIO(data)
    image_check(buffer)
    try:
        image = Image.open(buffer)
        width, height, turned = _upright_size(image)
        scale = _needed_scale(kind, width, height)
        if image.format == "JPEG" and scale < 1:
            needed = (math.ceil(width * scale), math.ceil(height * scale))
            image.draft("RGB", (needed[1], needed[0]) if turned else needed)
        if getattr(image, "is_animated", False):
            image.seek(0)  # a still of the first frame
        image.load()
    except Exception as error:  # damaged past the header: truncated, corrupt
        raise ImageRefused("invalid_image") from error
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            image = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                              ImageCms.createProfile("sRGB"),
                                              outputMode="RGBA" if image.mode == "RGBA" else "RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            logger.info("ignored an unreadable colour profile in %s", file.name)
    clean = image.copy()
    # Only what drawing needs survives: EXIF (GPS, camera serial), XMP, IPTC and comments are dropped.
    clean.info = {key: value for key, value in image.info.items() if key == "transparency"}
    return clean


def _options(kind: RenditionKind, width: int, fmt: str) -> dict:
    options = {"size": (width, width) if kind.square else (width, 0), "quality": kind.quality[fmt]}
    if kind.square:
        options["crop"] = True
    return options


def _wanted_widths(kind: RenditionKind, source_width: int, source_height: int) -> list[int]:
    """The kind's widths below the source's, plus one at the source's own size when it is smaller than the
    largest (no upscaling; one full-size rendition is enough)."""
    limit = min(source_width, source_height) if kind.square else source_width
    widths = [w for w in kind.widths if w < limit]
    larger = [w for w in kind.widths if w >= limit]
    if larger:
        widths.append(larger[0])
    return widths


def renditions_make(fieldfile: FieldFile, *, kind: RenditionKind | None = None) -> list[Rendition]:
    """Make whatever renditions of `fieldfile` are missing (idempotent: made once) and return all of them.

    The source is decoded once, and only when something is missing. Raises ImageRefused when the file cannot
    or must not be processed."""
    from easy_thumbnails.files import get_thumbnailer

    kind = kind or kind_of(fieldfile)
    if kind is None or not fieldfile:
        return []
    size = upright_size(fieldfile)
    prepared: list[Image.Image] = []

    def prepared_source(source, **options):
        if not prepared:
            prepared.append(source_image(fieldfile, kind))
        return prepared[0].copy()

    thumbnailer = get_thumbnailer(fieldfile)
    thumbnailer.source_generators = [prepared_source]
    for fmt in kind.formats:
        thumbnailer.thumbnail_extension = fmt
        # A transparent image keeps its transparency: PNG instead of JPEG; WebP stays WebP.
        thumbnailer.thumbnail_transparency_extension = "webp" if fmt == "webp" else "png"
        for width in _wanted_widths(kind, *size):
            # Skipped when it exists (and is newer than the source).
            thumbnailer.get_thumbnail(_options(kind, width, fmt), generate=True)
    _record_size(fieldfile, size)
    return renditions_refresh(fieldfile)


def upright_size(fieldfile: FieldFile) -> tuple[int, int]:
    """(width, height) of a stored image as shown, read from its header only."""
    fieldfile.open("rb")
    try:
        image_check(fieldfile)
        with Image.open(fieldfile) as image:
            width, height, _turned = _upright_size(image)
    except ImageRefused:
        raise
    except Exception as error:
        raise ImageRefused("invalid_image") from error
    finally:
        fieldfile.close()
    return width, height


def _record_size(fieldfile: FieldFile, size: tuple[int, int]) -> None:
    fields = DIMENSION_FIELDS.get(field_key(fieldfile))
    instance = fieldfile.instance
    if fields and instance.pk and (getattr(instance, fields[0]), getattr(instance, fields[1])) != size:
        type(instance).objects.filter(pk=instance.pk).update(**dict(zip(fields, size, strict=True)))
        setattr(instance, fields[0], size[0])
        setattr(instance, fields[1], size[1])


def renditions_delete(fieldfile: FieldFile) -> int:
    """Delete the renditions of a file (before the file itself goes)."""
    from easy_thumbnails.files import get_thumbnailer

    deleted = get_thumbnailer(fieldfile).delete_thumbnails()
    cache.delete(_cache_key(fieldfile.name))
    return deleted


# ---------- finding renditions ----------

def _cache_key(name: str) -> str:
    return CACHE_PREFIX + hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()


def _storage_hash(storage) -> str:
    from easy_thumbnails.utils import get_storage_hash

    # easy-thumbnails hashes the class of the storage behind Django's lazy `default_storage`, but reads a
    # lazy object not yet set up as a plain `object`: set it up first, as it always is when a rendition is made.
    if isinstance(storage, LazyObject) and storage._wrapped is empty:
        storage._setup()
    return get_storage_hash(storage)


def _from_database(names: list[str]) -> dict[str, list[Rendition]]:
    """The renditions of many source files in one query, by source name ([] for a file without any)."""
    from django.core.files.storage import default_storage
    from easy_thumbnails.models import Thumbnail
    from easy_thumbnails.storage import thumbnail_default_storage

    rows = (Thumbnail.objects.filter(source__name__in=names, source__storage_hash=_storage_hash(default_storage),
                                     storage_hash=_storage_hash(thumbnail_default_storage),
                                     dimensions__width__isnull=False)
            .order_by("-modified").values_list("source__name", "name", "dimensions__width", "dimensions__height"))
    found: dict[str, dict[tuple[str, int], Rendition]] = {name: {} for name in names}
    for source, name, width, height in rows:
        fmt = FORMAT_OF_EXTENSION.get(PurePosixPath(name).suffix.lower())
        if fmt is not None:
            # Newest first: a rendition remade with other settings replaces the older one of the same width.
            found[source].setdefault((fmt, width), Rendition(name, width, height, fmt,
                                                             thumbnail_default_storage.url(name)))
    return {name: sorted(by_size.values(), key=lambda r: (r.format, r.width)) for name, by_size in found.items()}


def _remember(found: dict[str, list[Rendition]]) -> None:
    for seconds in (CACHE_SECONDS_FOUND, CACHE_SECONDS_MISSING):
        entries = {_cache_key(name): renditions for name, renditions in found.items()
                   if bool(renditions) == (seconds == CACHE_SECONDS_FOUND)}
        if entries:
            cache.set_many(entries, seconds)


def renditions_refresh(fieldfile: FieldFile) -> list[Rendition]:
    found = _from_database([fieldfile.name])
    _remember(found)
    return found[fieldfile.name]


def renditions_of(fieldfile: FieldFile | None) -> list[Rendition]:
    """The renditions made so far of an image (sorted by format, then width); [] when none exist yet."""
    if not fieldfile:
        return []
    return renditions_of_many([fieldfile])[fieldfile.name]


def renditions_of_many(fieldfiles) -> dict[str, list[Rendition]]:
    """The renditions of a list of images (a gallery, the covers of a list), by file name.

    One cache round trip; the files the cache does not know (a cold cache) are then looked up together in one
    query. Pages stay query-free in the steady state: an entry is written when renditions are made, and a
    short-lived "none yet" one when a record with a new image is saved (`_note_new_images`)."""
    names = list(dict.fromkeys(f.name for f in fieldfiles if f))
    if not names:
        return {}
    keys = {_cache_key(name): name for name in names}
    found = {keys[key]: renditions for key, renditions in cache.get_many(list(keys)).items()}
    missing = [name for name in names if name not in found]
    if missing:
        looked_up = _from_database(missing)
        _remember(looked_up)
        found.update(looked_up)
    return found


# ---------- when a file is saved ----------

def renditions_schedule(sender, fieldfile: FieldFile, **kwargs) -> None:
    """easy-thumbnails' `saved_file` receiver: queue the renditions of a newly saved image once the
    transaction commits (a rolled-back upload gets none)."""
    if kind_of(fieldfile) is None:
        return
    from yunlou.core.tasks import renditions_make_task

    meta = fieldfile.instance._meta
    transaction.on_commit(partial(renditions_make_task.delay, meta.label, fieldfile.instance.pk,
                                  fieldfile.field.name, fieldfile.name), robust=True)


def _note_new_images(sender, instance, update_fields=None, **kwargs) -> None:
    """post_save of a model with images: a file the cache does not know yet is recorded as having no renditions
    (for a minute, or until they are made), so the next page showing it needs no query to find that out."""
    meta = instance._meta
    for key, _kind in FIELD_KINDS.items():
        app_label, model, field = key.split(".")
        if (app_label, model) != (meta.app_label, meta.object_name):
            continue
        if update_fields is not None and field not in update_fields:
            continue
        fieldfile = getattr(instance, field)
        if fieldfile:
            cache.add(_cache_key(fieldfile.name), [], CACHE_SECONDS_MISSING)


def connect() -> None:
    from easy_thumbnails.signals import saved_file

    saved_file.connect(renditions_schedule, dispatch_uid="yunlou.core.images.renditions_schedule")
    for model in {key.rsplit(".", 1)[0] for key in FIELD_KINDS}:
        post_save.connect(_note_new_images, sender=model, dispatch_uid=f"yunlou.core.images.note:{model}")
