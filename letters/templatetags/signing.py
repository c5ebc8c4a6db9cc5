"""Template tags that put signing on the campaign page without campaigns importing letters.

The campaign page (campaigns.views.campaign_detail) includes
templates/campaigns/includes/sign_placeholder.html, which loads this library: a dependency
from a template to the letters app, not from the campaigns code. `{% sign_panel campaign %}`
renders the form (posting to letters:sign) and the recent signers; `{% confirmed_count %}`
reads the live count from the shards.
"""

from django import template

from .. import counts
from ..views import build_sign_form, panel_context

register = template.Library()


@register.inclusion_tag("letters/includes/sign_panel.html", takes_context=True)
def sign_panel(context, campaign):
    request = context["request"]
    form = build_sign_form(request, campaign)
    return {**panel_context(request, campaign, form), "csrf_token": context.get("csrf_token")}


@register.simple_tag
def confirmed_count(campaign) -> int:
    return counts.confirmed_count(campaign)
