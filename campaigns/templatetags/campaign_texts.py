"""A campaign's texts in the reader's language, marked with the language they are written in.

`{{ campaign|shown_title }}` is the title in the active language when the coordinator wrote it
(else the main title), as `<span lang="…" dir="auto">`: inside a sentence of another language
or direction ("Your letter: «…»" in Arabic around a Latin title), the browser then keeps each
text's punctuation on its side. `{{ text|in_language:code }}` marks any user-written text so.
Plain-text e-mails use `campaign.shown.title`.
"""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def in_language(text, language):
    """User-written text marked with its language and an automatic direction."""
    return format_html('<span lang="{}" dir="auto">{}</span>', language or "", text)


@register.filter
def shown_title(campaign):
    """The campaign's title as the active language's reader is shown it, marked with its lang."""
    shown = campaign.shown
    return in_language(shown.title, shown.language)
