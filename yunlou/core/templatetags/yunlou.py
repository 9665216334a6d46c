from django import template

from yunlou.core.money import format_wan, format_yuan

register = template.Library()


@register.filter
def percent(value, digits: int = 1) -> str:
    """0.4567 → 45.7%"""
    try:
        return f"{float(value) * 100:.{int(digits)}f}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def wan(fen) -> str:
    return format_wan(fen)


@register.filter
def yuan(fen) -> str:
    return format_yuan(fen)
