"""The reminder form on the home page, without the campaigns app importing letters.

templates/campaigns/home.html includes templates/letters/includes/reminder_form.html, which
loads this library: a dependency from a template to the letters app, not from campaigns' code.
"""

from django import template
from django.utils.translation import get_language

from ..reminders.forms import CONSENT_TEXT, SubscribeForm

register = template.Library()


@register.simple_tag(takes_context=True)
def reminder_subscribe_form(context):
    """A blank subscribe form in the page's language; also puts the consent text in context."""
    context["consent_text"] = CONSENT_TEXT
    return SubscribeForm(initial={"language": get_language() or "en"}, auto_id="reminder_%s")
