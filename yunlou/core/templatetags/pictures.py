"""`<picture>` markup for uploaded images, so that a phone downloads the rendition it shows.

    {% load pictures %}
    {% picture project.cover sizes="(min-width: 720px) 720px, 100vw" alt=project.name class="hero-img" %}

writes a WebP `<source>` and a JPEG (or PNG) `<img>`, both with `srcset` and `sizes`, from the renditions
made so far (`yunlou.core.images`); until there are any, a plain `<img>` of the original. `deferred=True`
writes `data-src`/`data-srcset` instead, for images that load only when opened (the gallery viewer).
Other keyword arguments become attributes of the `<img>` (None or False leave them out). The markup is
built here rather than in an included template: a project page writes about twenty of these.

In a loop, name the list: `{% for photo in photos %}{% picture photo.image batch=photos ... %}` looks up
the renditions of the whole list at once (one cache round trip, at most one query), once per template, so a
page's lookups do not grow with its photos.
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from yunlou.core.images import Rendition, renditions_of, renditions_of_many

register = template.Library()

DEFAULT_WIDTH = 960  # the `src` of browsers that ignore srcset: a phone's full width at DPR 2


def _attributes(attributes: dict) -> str:
    parts = []
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(f" {name}")
        else:
            parts.append(f' {name}="{conditional_escape(value)}"')
    return "".join(parts)


def _srcset(renditions: list[Rendition]) -> str:
    return ", ".join(f"{r.url} {r.width}w" for r in renditions)


def _default(renditions: list[Rendition]) -> Rendition:
    wide_enough = [r for r in renditions if r.width >= DEFAULT_WIDTH]
    return wide_enough[0] if wide_enough else renditions[-1]


def _renditions(context, fieldfile, batch) -> list[Rendition]:
    if batch is None:
        return renditions_of(fieldfile)
    field = fieldfile.field.name
    looked_up = context.render_context.setdefault("renditions", {})
    key = (id(batch), field)
    if key not in looked_up:
        looked_up[key] = renditions_of_many([getattr(item, field) for item in batch])
    return looked_up[key].get(fieldfile.name, [])


@register.simple_tag(takes_context=True)
def picture(context, fieldfile, *, sizes: str, alt: str = "", deferred: bool = False, batch=None,
            **attributes) -> SafeString:
    if not fieldfile:
        return mark_safe("")
    renditions = _renditions(context, fieldfile, batch)
    modern = [r for r in renditions if r.format == "webp"]
    fallback = [r for r in renditions if r.format != "webp"]
    src_name, srcset_name = ("data-src", "data-srcset") if deferred else ("src", "srcset")
    img = {src_name: _default(fallback).url if fallback else fieldfile.url}
    if fallback:
        img[srcset_name] = _srcset(fallback)
        img["sizes"] = sizes
    img["alt"] = alt
    img.update(attributes)
    img_tag = f"<img{_attributes(img)}>"
    if not modern:
        return mark_safe(img_tag)
    source = {"type": "image/webp", srcset_name: _srcset(modern), "sizes": sizes}
    return mark_safe(f"<picture><source{_attributes(source)}>{img_tag}</picture>")


@register.simple_tag(takes_context=True)
def rendition_url(context, fieldfile, width: int = DEFAULT_WIDTH, image_format: str = "jpeg", *,
                  batch=None) -> str:
    """The URL of one rendition — the narrowest at least `width` wide in `image_format` — or of the original
    while there is none: for attributes that take a single URL, such as `<video poster>`."""
    if not fieldfile:
        return ""
    matching = [r for r in _renditions(context, fieldfile, batch) if r.format == image_format]
    if not matching:
        return fieldfile.url
    wide_enough = [r for r in matching if r.width >= width]
    return (wide_enough[0] if wide_enough else matching[-1]).url
