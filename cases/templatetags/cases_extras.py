"""Small template helpers for the case pages."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`mapping|get_item:key`: a dict lookup with a variable key (status labels, counts)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def web_url(value):
    """The URL if it is http(s), else "": a `javascript:` source never becomes a link."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else ""
