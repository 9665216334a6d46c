from django.conf import settings
from django.urls import reverse


def public_url(path: str) -> str:
    """The address buyers use for a page of this site: links and QR codes that leave the building (WeChat
    shares, posters) are written with the configured public base URL, never with whatever host the
    consultant's own request happened to use (127.0.0.1, an internal name)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + "/" + path.lstrip("/")


def url_template(viewname: str, *args) -> str:
    """A URL with a `{}` where its last (integer id) argument goes, for writing hundreds of links in a loop
    with one reverse(): `url_template("showroom:unit", project.pk).format(unit.pk)`."""
    return reverse(viewname, args=[*args, 0]).replace("/0/", "/{}/")
