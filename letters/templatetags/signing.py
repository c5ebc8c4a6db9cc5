"""Template tags that put signing on the campaign page without campaigns importing letters.

The campaign page (campaigns.views.campaign_detail) includes
templates/campaigns/includes/sign_placeholder.html, which loads this library: a dependency
from a template to the letters app, not from the campaigns code. `{% sign_panel campaign %}`
renders the form (posting to letters:sign) and the recent signers.
"""

from django import template

from ..signing import abuse
from ..views import (
    SIGNED_COOKIE_KEPT,
    build_sign_form,
    panel_context,
    pending_email,
    signature_from_cookie,
)

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
    panel = {**panel_context(request, campaign, form), "csrf_token": context.get("csrf_token")}
    # A visitor with one of their own cookies is never served from the page cache (letters.apps):
    # they see that they signed, or where their confirmation link went, instead of the form.
    panel["signed"] = signature_from_cookie(request, campaign, max_age=SIGNED_COOKIE_KEPT)
    if panel["signed"] is None:
        panel["pending_email"] = pending_email(request, campaign)
    return panel
