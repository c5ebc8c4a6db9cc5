"""Template tags that put signing on the campaign page without campaigns importing letters.

The campaign page (campaigns.views.campaign_detail) includes
templates/campaigns/includes/sign_placeholder.html, which loads this library: a dependency
from a template to the letters app, not from the campaigns code. `{% sign_panel campaign %}`
renders the form (posting to letters:sign) and the recent signers.
"""

import hashlib
import logging

from django import template
from django.core.cache import cache
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..signing import abuse
from ..views import build_sign_form, panel_context

logger = logging.getLogger(__name__)
register = template.Library()

# The empty form's HTML is the same for every visitor but for its signed timestamp: crispy
# renders it in about 10 ms, two thirds of the campaign page (measured). It is kept this long
# per campaign, language and preselected country, for the page cache's misses; the CSRF token
# sits outside it, in the panel.
FORM_CACHE_SECONDS = 60
STARTED_PLACEHOLDER = "sign-form-started-placeholder"


def _form_cache_key(campaign, form) -> str:
    # created_at tells apart a campaign re-created under the same primary key (a new database).
    parts = [
        campaign.pk,
        campaign.created_at.isoformat() if campaign.created_at else "",
        get_language() or "",
        form.initial.get("country", ""),
        campaign.organisation.name,
        form.letter_body if "letter_text" in form.fields else "",
    ]
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"letters:sign-form:{campaign.pk}:{digest}"


def _render_form(form) -> str:
    return get_template("letters/includes/sign_form_fields.html").render({"form": form})


def empty_form_html(form, campaign) -> str:
    """The crispy form's HTML, from the cache when possible.

    The form's timestamp is left as STARTED_PLACEHOLDER: the campaign page is served through
    idei.page_cache, which puts each visitor's own timestamp there (see letters.apps).
    """
    key = _form_cache_key(campaign, form)
    form.initial["started"] = STARTED_PLACEHOLDER
    try:
        html = cache.get(key)
    except Exception:  # the cache (Redis) is down: render, as without a cache
        logger.warning("signing: form cache unavailable", exc_info=True)
        return mark_safe(_render_form(form))  # noqa: S308 (our own HTML)
    if html is None:
        html = _render_form(form)
        try:
            cache.set(key, html, FORM_CACHE_SECONDS)
        except Exception:
            logger.warning("signing: form cache unavailable", exc_info=True)
    return mark_safe(html)  # noqa: S308 (our own HTML)


def fill_started(request) -> str:
    """A visitor's form timestamp (URL-safe base64 and colons: nothing to escape)."""
    return abuse.form_token()


@register.inclusion_tag("letters/includes/sign_panel.html", takes_context=True)
def sign_panel(context, campaign):
    request = context["request"]
    form = build_sign_form(request, campaign)
    return {
        **panel_context(request, campaign, form),
        "csrf_token": context.get("csrf_token"),
        "form_html": empty_form_html(form, campaign),
    }
