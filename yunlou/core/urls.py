from django.urls import reverse


def url_template(viewname: str, *args) -> str:
    """A URL with a `{}` where its last (integer id) argument goes, for writing hundreds of links in a loop
    with one reverse(): `url_template("showroom:unit", project.pk).format(unit.pk)`."""
    return reverse(viewname, args=[*args, 0]).replace("/0/", "/{}/")
