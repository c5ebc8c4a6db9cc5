"""The campaigns a case page or a country page points to, without the cases app importing campaigns.

Case and country pages (templates/cases/) load this library: a dependency from a template to
the campaigns app, not from the cases code (as the campaign page loads letters' sign form).
"""

from django import template

from ..models import Campaign, Target

register = template.Library()


@register.simple_tag
def open_campaigns_about(case):
    """Published campaigns about this case (two queries when read)."""
    return (
        Campaign.objects.published()
        .filter(cases=case)
        .select_related("organisation")
        .prefetch_related("translations")
    )


@register.simple_tag
def open_campaigns_in(country_code):
    """Published campaigns about any published case in this country (two queries when read)."""
    return (
        Campaign.objects.published()
        .filter(cases__country=country_code, cases__is_published=True)
        .distinct()
        .select_related("organisation")
        .prefetch_related("translations")
    )


@register.simple_tag
def officials_written_to_by(campaigns):
    """The officials these campaigns write to (two queries when read)."""
    return Target.objects.filter(campaigns__in=list(campaigns)).distinct() if campaigns else []
