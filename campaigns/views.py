"""Public pages: the home page, the list of campaigns and a campaign's page.

Every page runs a fixed number of queries whatever the number of campaigns, cases or signatures:
the count shown is Campaign.signature_count, kept by the letters app, never a COUNT here.
"""

from urllib.parse import quote, urlencode

from django import forms
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_countries import countries

from cases.figures import published_totals
from cases.models import Case
from cases.observance import days_until_observance, next_observance
from idei import page_cache
from idei.collation import sort_key

from .access import campaigns_for
from .letter_templates import Signer, compose_letter, message_label, position_in
from .models import Campaign, CampaignStatusChange, Target, language_name
from .share_card import card_version, share_card

CAMPAIGNS_PER_PAGE = 12
FINISHED = [Campaign.Status.CLOSED, Campaign.Status.DELIVERED]


@require_safe
def home(request):
    figures = published_totals()
    today = timezone.localdate()
    context = {
        "case_count": figures["killed"],
        "unresolved_percent": figures["unresolved_percent"],
        "open_campaign_count": Campaign.objects.published().count(),
        "campaigns": Campaign.objects.published()
        .select_related("organisation")
        .prefetch_related("translations")[:3],
        "next_day": next_observance(today),
        "days_left": days_until_observance(today),
    }
    return render(request, "campaigns/home.html", context)


# -- The list ----------------------------------------------------------------------------------


class CampaignFilterForm(forms.Form):
    """`country` (ISO code of a case or an official) and `case` (a case's slug)."""

    country = forms.ChoiceField(
        label=gettext_lazy("Country"),
        required=False,
        help_text=gettext_lazy("Of a case or of an official addressed."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    case = forms.ChoiceField(
        label=gettext_lazy("Case"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, country_choices=(), case_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("All countries")), *country_choices]
        self.fields["case"].choices = [("", _("All cases")), *case_choices]


def in_country(campaigns, code: str):
    """Campaigns about a case in the country, or addressing an official of it (no duplicates)."""
    case_links = Campaign.cases.through.objects.filter(case__country=code)
    target_links = Campaign.targets.through.objects.filter(target__country=code)
    return campaigns.filter(
        Q(pk__in=case_links.values("campaign_id")) | Q(pk__in=target_links.values("campaign_id"))
    )


def about_case(campaigns, slug: str):
    links = Campaign.cases.through.objects.filter(case__slug=slug, case__is_published=True)
    return campaigns.filter(pk__in=links.values("campaign_id"))


def filter_choices():
    """Countries and cases that public campaigns are about (three queries)."""
    public = Campaign.objects.public()
    codes = set(
        Case.objects.published()
        .filter(campaigns__in=public)
        .order_by()
        .values_list("country", flat=True)
        .distinct()
    ) | set(
        Target.objects.filter(campaigns__in=public)
        .order_by()
        .values_list("country", flat=True)
        .distinct()
    )
    names = {code: str(countries.name(code)) for code in codes}
    country_choices = sorted(
        ((code, name) for code, name in names.items() if name),
        key=lambda choice: sort_key(choice[1]),
    )
    cases = (
        Case.objects.published()
        .filter(campaigns__in=public)
        .distinct()
        .order_by("full_name", "slug")
        .values_list("slug", "full_name", "country")
    )
    case_choices = [(slug, f"{name} ({names.get(code, code)})") for slug, name, code in cases]
    return country_choices, case_choices


def for_list(campaigns):
    """What a campaign card shows, in a fixed number of queries."""
    return (
        campaigns.select_related("organisation")
        .defer("body", "thank_you_text")
        .prefetch_related(
            Prefetch(
                "cases",
                queryset=Case.objects.published().only("full_name", "slug", "country"),
                to_attr="public_cases",
            ),
            "translations",
            Prefetch(
                "history",
                queryset=CampaignStatusChange.objects.filter(to_status__in=FINISHED).only(
                    "campaign_id", "to_status", "changed_at"
                ),
                to_attr="finish_changes",
            ),
        )
        .order_by("-created_at", "-pk")
    )


@require_safe
def campaign_list(request):
    country_choices, case_choices = filter_choices()
    data = None
    if request.GET:
        data = request.GET.copy()
        data["country"] = data.get("country", "").strip().upper()
    form = CampaignFilterForm(data, country_choices=country_choices, case_choices=case_choices)
    campaigns = Campaign.objects.public()
    if form.is_bound and form.is_valid():
        if form.cleaned_data["country"]:
            campaigns = in_country(campaigns, form.cleaned_data["country"])
        if form.cleaned_data["case"]:
            campaigns = about_case(campaigns, form.cleaned_data["case"])
    open_page = Paginator(
        for_list(campaigns.filter(status=Campaign.Status.PUBLISHED)), CAMPAIGNS_PER_PAGE
    ).get_page(request.GET.get("page"))
    finished_page = Paginator(
        for_list(campaigns.filter(status__in=FINISHED)), CAMPAIGNS_PER_PAGE
    ).get_page(request.GET.get("past_page"))
    for campaign in [*open_page, *finished_page]:
        campaign.case_countries = sorted(
            {str(case.country.name) for case in campaign.public_cases}, key=sort_key
        )
    for campaign in finished_page:
        campaign.outcome = outcome(campaign, campaign.finish_changes)
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "form": form,
            "open_page": open_page,
            "finished_page": finished_page,
            "filtering": form.is_bound and any(request.GET.get(k) for k in ("country", "case")),
        },
    )


def outcome(campaign, changes) -> dict:
    """When a finished campaign closed and was delivered, from its recorded status changes."""
    dates = {change.to_status: change.changed_at for change in changes}
    return {
        "closed_at": dates.get(Campaign.Status.CLOSED),
        "delivered_at": dates.get(Campaign.Status.DELIVERED),
    }


# -- A campaign's page -------------------------------------------------------------------------


def letter_for_reader(letters: list, language: str):
    """The letter in the reader's language, else English, else the first one written."""
    by_language = {letter.language: letter for letter in letters if letter.body.strip()}
    for code in (language, language.split("-")[0], "en"):
        if code in by_language:
            return by_language[code]
    return next(iter(by_language.values()), None)


def preview_signers(reader_language: str) -> dict[str, Signer]:
    """The signer a preview shows before anyone signs: with the name shared or not."""
    unknown = {
        "name": _("[your name]"),
        "city": _("[your city]"),
        "country_label": _("[your country]"),
        "language": reader_language,
    }
    return {
        "anonymous": Signer(**unknown, shares_name=False),
        "named": Signer(**unknown, shares_name=True),
    }


def placeholder_target(language: str) -> Target:
    """Stands for the officials of a campaign that names none yet (never saved)."""
    return Target(
        name=_("[the official's name]"),
        position=_("[the official's position]"),
        institution=_("[the official's institution]"),
        language=language,
    )


def letters_shown(templates: dict, targets, cases, signers: dict, reader_language: str) -> list:
    """Each official's letter exactly as compose_letter sends it, one variant per signer state.

    `signers`: {variant name: Signer}, the first variant shown, the others hidden until a
    first-party script (static/js/sign.js) swaps them as the consent box is ticked. When the
    official reads another language than the reader, the letter in the reader's language is
    shown beside it.
    """
    shown = []
    for target in targets or [placeholder_target(reader_language)]:
        variants = []
        for number, (name, signer) in enumerate(signers.items()):
            sent = compose_letter(templates, target, cases, signer)
            if sent is None:
                continue
            translated = None
            if sent.language != reader_language and reader_language in templates:
                translated = compose_letter(
                    templates, target, cases, signer, language=reader_language
                )
            variants.append(
                {"name": name, "hidden": number > 0, "sent": sent, "translation": translated}
            )
        if variants:
            language = variants[0]["sent"].language
            shown.append(
                {
                    "target": target,
                    "position": position_in(target, get_language()),
                    "language": language,
                    "language_name": language_name(language),
                    "reader_language_name": language_name(reader_language),
                    "message_label": message_label(language),
                    "variants": variants,
                }
            )
    return shown


def share_links(campaign, page_url: str) -> list[dict]:
    """Plain links with the share text: no third-party script or request until someone clicks.

    Each carries its channel as `?source=` (letters/signing/sources.py): the dashboard counts
    signatures per channel, and nothing else about the visitor.
    """
    shown = campaign.shown
    title = shown.title
    # The share text is written in the main language: a reader of a translation shares its title.
    text = (campaign.share_text if shown.language == campaign.language else "") or title

    def url(channel: str) -> str:
        assert channel in Campaign.SHARE_CHANNELS  # the codes letters.signing.sources accepts
        return f"{page_url}?source={channel}"

    return [
        {
            "name": _("E-mail"),
            "url": "mailto:?"
            + urlencode({"subject": title, "body": f"{text} {url('email')}"}, quote_via=quote),
        },
        {
            "name": "WhatsApp",
            "url": "https://wa.me/?" + urlencode({"text": f"{text} {url('whatsapp')}"}),
        },
        {
            "name": "Telegram",
            "url": "https://t.me/share/url?" + urlencode({"url": url("telegram"), "text": text}),
        },
        {
            "name": "X",
            "url": "https://x.com/intent/post?" + urlencode({"text": text, "url": url("x")}),
        },
    ]


def card_url(request, campaign) -> str:
    """The share card in the language of the page's title (the main one needs no `lang`)."""
    language = campaign.shown.language
    url = request.build_absolute_uri(reverse("campaigns:share_card", args=[campaign.slug]))
    url += f"?v={card_version(campaign, language)}"
    if language != campaign.language:
        url += f"&lang={language}"
    return url


@require_safe
def share_card_image(request, slug):
    """The campaign's share image (Open Graph, Twitter): drawn once per count step, cached."""
    campaign = get_object_or_404(
        Campaign.objects.public().select_related("organisation").prefetch_related("translations"),
        slug=slug,
    )
    # ?lang= names the language of the page that points to it (any other: the main texts).
    language = request.GET.get("lang", "")
    if language not in campaign.text_languages:
        language = campaign.language
    response = HttpResponse(share_card(campaign, language), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def campaign_detail(request, slug):
    """A campaign's page, served from the page cache to anonymous visitors (idei.page_cache)."""
    return page_cache.serve(
        request, f"campaign:{slug}", lambda: render_campaign_detail(request, slug)
    )


def viewable_campaigns(request):
    """Public campaigns, and for a signed-in member also their organisations' drafts: a
    coordinator previews a draft's public page at its own address before publishing (such a
    request carries a session, so it is never served from nor kept in the page cache)."""
    campaigns = Campaign.objects.public()
    if request.user.is_authenticated:
        campaigns = campaigns | campaigns_for(request.user).filter(status=Campaign.Status.DRAFT)
    return campaigns


def render_campaign_detail(request, slug):
    campaign = get_object_or_404(
        viewable_campaigns(request).select_related("organisation").prefetch_related("translations"),
        slug=slug,
    )
    cases = list(campaign.letter_cases().for_cards())
    targets = list(campaign.targets.order_by("country", "name"))
    templates = {template.language: template for template in campaign.letter_templates.all()}
    reader_language = get_language() or "en"
    for target in targets:
        target.shown_position = position_in(target, reader_language)
    history = list(campaign.history.all())
    partners = [p.organisation for p in campaign.partnerships.select_related("organisation")]
    page_url = request.build_absolute_uri(campaign.get_absolute_url())
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "text": campaign.shown,
            # Written in the main language: shared and described only with the main texts.
            "share_text": campaign.share_text
            if campaign.shown.language == campaign.language
            else "",
            "cases": cases,
            "targets": targets,
            "letters_shown": letters_shown(
                templates, targets, cases, preview_signers(reader_language), reader_language
            ),
            "history": history,
            "outcome": outcome(campaign, history),
            "partners": partners,
            "is_finished": campaign.status in FINISHED,
            "page_url": page_url,
            "image_url": request.build_absolute_uri(campaign.image.url) if campaign.image else "",
            "card_url": card_url(request, campaign),
            "share_links": share_links(campaign, page_url),
            "csrf_token": page_cache.CSRF_HOLE,
        },
    )
