"""Template tags that put signing on the campaign page without campaigns importing letters.

The campaign page (campaigns.views.campaign_detail) includes
templates/campaigns/includes/sign_placeholder.html, which loads this library: a dependency
from a template to the letters app, not from the campaigns code. `{% sign_panel campaign %}`
renders the form (posting to letters:sign) and the recent signers.
"""

from django import template

from ..signing import abuse
from ..views import build_sign_form, panel_context

register = template.Library()

# The campaign page is served through idei.page_cache, which puts each visitor's own form
# timestamp where this placeholder is (see letters.apps): the page is rendered once for all.
STARTED_PLACEHOLDER = "sign-form-started-placeholder"


def fill_started(request) -> str:
    """A visitor's form timestamp, bound to their CSRF secret (URL-safe base64 and colons:
    nothing to escape)."""
    return abuse.form_token(abuse.visitor_key(request))


@register.inclusion_tag("letters/includes/sign_panel.html", takes_context=True)
def sign_panel(context, campaign):
    request = context["request"]
    form = build_sign_form(request, campaign)
    form.initial["started"] = STARTED_PLACEHOLDER
    return {**panel_context(request, campaign, form), "csrf_token": context.get("csrf_token")}
