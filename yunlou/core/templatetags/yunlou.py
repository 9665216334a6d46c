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


@register.filter
def yuan_whole(fen) -> str:
    """Prices per m² and other figures read in whole yuan: ¥33,422."""
    return format_yuan(fen, whole=True)


@register.filter
def css_percent(fraction) -> str:
    """0.3125 → "31.25%" for inline positions (a float filter would print a locale's decimal comma)."""
    try:
        return f"{float(fraction) * 100:.2f}%"
    except (TypeError, ValueError):
        return "0%"
