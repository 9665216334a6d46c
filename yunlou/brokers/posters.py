"""拓客辅助: a project's promotion materials (posters, copy, tutorials) and the personal poster a broker or a
consultant posts in WeChat Moments — the project's image, its name, the person's name and a QR code of the
person's own share link (the showroom project page with `?s=<their ShareCode>`, which binds the visitor).

Who may do what, per project:
- the channel team (MANAGE_BROKERS, covering the project) uploads and lists the materials;
- a broker (an active Broker of the project's organisation) or a consultant (USE_WORKBENCH, covering the
  project) lists them and makes posters, of a published project only (the link must open);
- anyone else is told the project does not exist (404), whatever the project's organisation.

Uploaded images are checked at the door by `core.images.UploadedImageField` (bytes, pixels, readable) and then
stored re-encoded: upright, sRGB, no metadata (EXIF carries GPS), at most POSTER_IMAGE_MAX pixels a side, so a
poster decodes a small image, never a 48-megapixel original.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageOps

from yunlou.accounts.permissions import MANAGE_BROKERS, USE_WORKBENCH
from yunlou.accounts.staff import Staff, staff_for
from yunlou.brokers.models import Broker, BrokerStatus, MaterialKind, PromoMaterial
from yunlou.catalogue.models import Project
from yunlou.core.audit import audit_record
from yunlou.core.errors import Forbidden, NotFound, ValidationFailed
from yunlou.core.fonts import cjk_font
from yunlou.core.images import ImageRefused, image_check
from yunlou.core.urls import public_url
from yunlou.showroom.services import share_code_for

POSTER_SIZE = (750, 1334)  # WeChat Moments: a phone screen at DPR 2
PICTURE_HEIGHT = 820
QR_SIDE = 250
POSTER_IMAGE_MAX = 1600  # stored materials: enough for a 750-wide poster and a phone's full screen
INK = (29, 36, 48)
MUTED = (110, 118, 130)
ACCENT = (196, 60, 44)
PAPER = (255, 255, 255)
BLOCK = (38, 84, 124)  # the picture when there is none


@dataclass(frozen=True)
class PromoAccess:
    """The caller's footing on a project's materials."""

    project: Project
    staff: Staff | None
    broker: Broker | None
    can_manage: bool  # the channel team: upload
    can_share: bool  # a broker or consultant: posters

    @property
    def person_name(self) -> str:
        if self.broker is not None:
            return self.broker.real_name
        user = self.staff.user if self.staff else None
        return (user.display_name or user.get_username()) if user else ""

    @property
    def user(self):
        return self.broker.user if self.broker is not None else self.staff.user


def promo_access(*, user, project_id: int) -> PromoAccess:
    """What `user` may do with the project's materials; NotFound when nothing (another organisation's
    project looks the same as no project)."""
    project = Project.objects.filter(pk=project_id).select_related("organization").first()
    if project is None or not user.is_authenticated:
        raise NotFound(_("No such project."), field="project_id")
    staff = staff_for(user)
    if staff is not None and not staff.covers(project):
        staff = None
    can_manage = staff is not None and staff.can(MANAGE_BROKERS)
    broker = (Broker.objects.filter(user=user, organization_id=project.organization_id,
                                    status=BrokerStatus.ACTIVE).select_related("user").first())
    consultant = staff is not None and staff.can(USE_WORKBENCH)
    can_share = project.is_published and (broker is not None or consultant)
    if not (can_manage or can_share):
        raise NotFound(_("No such project."), field="project_id")
    return PromoAccess(project=project, staff=staff, broker=broker if not consultant else None,
                       can_manage=can_manage, can_share=can_share)


def material_list(*, access: PromoAccess) -> QuerySet[PromoMaterial]:
    return PromoMaterial.objects.filter(project=access.project)


def _stored_image(upload) -> ContentFile:
    """The upload decoded once and written back clean: upright, RGB, no metadata, bounded in size."""
    try:
        image_check(upload, decode=True)
        with Image.open(upload) as opened:
            if getattr(opened, "is_animated", False):
                opened.seek(0)
            image = ImageOps.exif_transpose(opened)
            image.load()
    except ImageRefused:
        raise
    except Exception as error:  # damaged past the header
        raise ImageRefused("invalid_image") from error
    image.thumbnail((POSTER_IMAGE_MAX, POSTER_IMAGE_MAX * 2))
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    buffer = io.BytesIO()
    if has_alpha:
        image.convert("RGBA").save(buffer, "PNG", optimize=True)
        extension = "png"
    else:
        image.convert("RGB").save(buffer, "JPEG", quality=85, optimize=True)
        extension = "jpg"
    return ContentFile(buffer.getvalue(), name=f"material.{extension}")


def material_create(*, access: PromoAccess, kind: str, title: str, body: str = "", image=None,
                    request=None) -> PromoMaterial:
    """Add a poster (an image), a piece of copy (text) or a tutorial (title and text) to the project."""
    if not access.can_manage:
        raise Forbidden(_("Only the channel team uploads promotion materials."))
    if kind not in MaterialKind.values:
        raise ValidationFailed(_("Choose one of the offered values."), field="kind")
    if kind == MaterialKind.POSTER and image is None:
        raise ValidationFailed(_("A poster needs an image."), field="image")
    if kind != MaterialKind.POSTER and not body:
        raise ValidationFailed(_("Write the text."), field="body")
    stored = None
    if image is not None:
        try:
            stored = _stored_image(image)
        except ImageRefused:
            raise ValidationFailed(_("%(field)s: this file is not a photo or drawing we can read (JPEG, PNG, WebP "
                                     "or HEIC), or it is damaged.") % {"field": _("Image")}, field="image",
                                   code="invalid_image") from None
    material = PromoMaterial(project=access.project, kind=kind, title=title, body=body)
    with transaction.atomic():
        if stored is not None:
            material.image.save(stored.name, stored, save=False)
        material.save()
        audit_record(action="promo_material.create", target=material, actor=access.staff.user,
                     project=access.project, changes={"kind": kind, "title": title}, request=request)
    return material


# ---------- the personal poster ----------

def share_link(*, access: PromoAccess) -> str:
    """The person's own link to the project's showroom page: whoever opens it is theirs (锁客 / referral)."""
    code = share_code_for(owner=access.user, project=access.project).code
    return public_url(f"{reverse('showroom:project', args=[access.project.pk])}?s={code}")


def _picture(fieldfile) -> Image.Image | None:
    """The stored image decoded small enough for the poster, or None when there is none or it is unreadable."""
    if not fieldfile:
        return None
    try:
        fieldfile.open("rb")
        try:
            data = io.BytesIO(fieldfile.read())
        finally:
            fieldfile.close()
        image_check(data)
        image = Image.open(data)
        if image.format == "JPEG":
            image.draft("RGB", (POSTER_SIZE[0], PICTURE_HEIGHT))
        image = ImageOps.exif_transpose(image)
        return image.convert("RGB")
    except (ImageRefused, OSError, ValueError):
        return None


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    """`text` cut to `width` pixels, with an ellipsis when cut."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _lines(draw: ImageDraw.ImageDraw, text: str, font, width: int, most: int) -> list[str]:
    """Chinese wraps anywhere: fill each line to `width`, at most `most` lines, the last one ellipsed."""
    lines, line = [], ""
    for character in text:
        if draw.textlength(line + character, font=font) > width and line:
            lines.append(line)
            line = character
        else:
            line += character
    if line:
        lines.append(line)
    if len(lines) > most:
        lines = [*lines[:most - 1], _fit(draw, "".join(lines[most - 1:]), font, width)]
    return lines


def _qr(link: str, side: int) -> Image.Image:
    qr = segno.make(link, error="m")
    scale = max(1, side // qr.symbol_size(border=2)[0])
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=scale, border=2, dark="#1d2430")
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def poster_draw(*, picture: Image.Image | None, project_name: str, person_name: str, link: str,
                organization_name: str = "") -> bytes:
    """The poster as PNG bytes: picture on top, the project's name, the person's name and their QR below."""
    width, height = POSTER_SIZE
    poster = Image.new("RGB", POSTER_SIZE, PAPER)
    if picture is not None:
        poster.paste(ImageOps.fit(picture, (width, PICTURE_HEIGHT), Image.Resampling.LANCZOS), (0, 0))
    else:
        block = Image.linear_gradient("L").resize((width, PICTURE_HEIGHT))
        poster.paste(Image.composite(Image.new("RGB", block.size, (22, 52, 80)), Image.new("RGB", block.size, BLOCK),
                                     block), (0, 0))
    draw = ImageDraw.Draw(poster)
    margin = 48
    title_font = cjk_font(60, bold=True)
    y = PICTURE_HEIGHT + 40
    for line in _lines(draw, project_name, title_font, width - 2 * margin, 2):
        draw.text((margin, y), line, font=title_font, fill=INK)
        y += 78
    draw.rectangle((margin, y + 6, margin + 72, y + 12), fill=ACCENT)

    qr = _qr(link, QR_SIDE).resize((QR_SIDE, QR_SIDE), Image.Resampling.NEAREST)
    qr_x, qr_y = width - margin - QR_SIDE, height - margin - QR_SIDE
    poster.paste(qr, (qr_x, qr_y))
    text_width = qr_x - margin - 24
    name_font, label_font = cjk_font(44, bold=True), cjk_font(28)
    draw.text((margin, qr_y + 14), _fit(draw, person_name, name_font, text_width), font=name_font, fill=INK)
    draw.text((margin, qr_y + 80), _fit(draw, _("recommends it to you"), label_font, text_width),
              font=label_font, fill=MUTED)
    draw.text((margin, qr_y + 128), _fit(draw, _("Press and hold the QR code"), label_font, text_width),
              font=label_font, fill=ACCENT)
    draw.text((margin, qr_y + 168), _fit(draw, _("to see the project"), label_font, text_width),
              font=label_font, fill=ACCENT)
    if organization_name:
        draw.text((margin, height - margin - 4), _fit(draw, organization_name, cjk_font(22), text_width),
                  font=cjk_font(22), fill=MUTED, anchor="ls")
    buffer = io.BytesIO()
    poster.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def poster_make(*, access: PromoAccess, material_id: int | None = None) -> bytes:
    """The caller's personal poster of the project, as PNG: the chosen poster material's image, else the
    project's cover, else a plain block."""
    if not access.can_share:
        raise NotFound(_("No such project."), field="project_id")
    picture = None
    if material_id is not None:
        material = material_list(access=access).filter(pk=material_id, kind=MaterialKind.POSTER).first()
        if material is None:
            raise NotFound(_("No such poster."), field="material")
        picture = _picture(material.image)
    if picture is None:
        picture = _picture(access.project.cover)
    return poster_draw(picture=picture, project_name=access.project.name, person_name=access.person_name,
                       link=share_link(access=access), organization_name=access.project.organization.name)
