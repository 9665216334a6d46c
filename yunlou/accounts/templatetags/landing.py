from django import template

from yunlou.accounts.landing import landing_url as landing_url_for
from yunlou.accounts.staff import request_staff

register = template.Library()


@register.simple_tag(takes_context=True)
def landing_url(context) -> str:
    """`{% landing_url as back %}`: the caller's landing page (the showroom home without a staff identity)."""
    request = context.get("request")
    return landing_url_for(request_staff(request) if request is not None else None)
