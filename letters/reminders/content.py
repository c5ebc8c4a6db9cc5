"""What a reminder says: safe placeholders, per-run caches, and fast rendering of each message.

A reminder text is written in admin with `{days_left}`-style placeholders from a fixed list
(the same rule as campaign letters: a name from the list, replaced by plain text; anything else
between braces is an error the admin sees). The fan-out renders 100,000 messages in one run, so
everything that depends only on the country or the language (the case lists, the open
campaigns, the dates, the admin's texts split at their placeholders) is read once into a
ReminderRunContext; each message fills the admin's text and renders the reminder templates
(templates/emails/reminder_*) with no query, except which campaigns an address has signed,
asked for a whole chunk at once.
"""

import datetime
import html
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_bidi, gettext_lazy
from django.utils.translation import gettext as _
from django_countries import countries

from campaigns.letter_templates import PLACEHOLDER, validate_placeholders
from campaigns.models import Campaign, CampaignTranslation
from cases.figures import totals
from cases.models import Case
from idei.mail import RenderedEmail, absolute_url, render_email

from ..delivery import links
from ..models import Reminder, ReminderText, Signature, Subscription

PLACEHOLDERS = {
    "days_left": gettext_lazy("the number of days left until 2 November"),
    "date": gettext_lazy("the date of 2 November this reminder is for, e.g. 2 November 2026"),
    "country": gettext_lazy("the subscriber's country"),
    "unresolved_cases": gettext_lazy(
        "a short list of unresolved cases in the subscriber's country: names and years"
    ),
    "unresolved_count_country": gettext_lazy(
        "the number of unresolved cases in the subscriber's country"
    ),
    "open_campaigns": gettext_lazy(
        "open campaigns about the subscriber's country that they have not signed: titles and links"
    ),
    "world_unresolved_percent": gettext_lazy(
        "the share of unresolved cases worldwide, in per cent"
    ),
}

# How many cases and campaigns a reminder lists; the country page has the rest.
CASES_LISTED = 5
CAMPAIGNS_LISTED = 5
FALLBACK_LANGUAGE = "en"
# OutgoingMessage.subject holds 300 characters.
SUBJECT_MAX_LENGTH = 300
# Dates in the reader's style; Django's English DATE_FORMAT is American ("Nov. 2, 2026").
DATE_FORMATS = {"en": "j F Y"}

# The placeholders whose content may be added as a section of its own (see Reminder flags).
SECTION_OF_PLACEHOLDER = {
    "unresolved_cases": "include_country_cases",
    "open_campaigns": "include_open_campaigns",
    "world_unresolved_percent": "include_world_share",
}


def validate_reminder_text(text: str) -> None:
    validate_placeholders(text, PLACEHOLDERS, "{days_left}")


class MissingReminderText(LookupError):
    """The reminder has no text in the subscriber's language nor in English."""


# -- Pre-split texts ---------------------------------------------------------------------------


def _split(text: str) -> list[tuple[bool, str]]:
    """Literal pieces and placeholder names, in order: [(is_placeholder, value), ...]."""
    parts, position = [], 0
    for match in PLACEHOLDER.finditer(text):
        if match.start() > position:
            parts.append((False, text[position : match.start()]))
        name = match.group(1)
        # An unknown name (texts are validated on save, but rows may predate a rule) stays
        # as written, like in campaign letters.
        parts.append((True, name) if name in PLACEHOLDERS else (False, match.group(0)))
        position = match.end()
    if position < len(text):
        parts.append((False, text[position:]))
    return parts


def _html_literal(text: str) -> str:
    """Escaped text with blank lines as paragraph breaks and single line breaks as <br>."""
    text = html.escape(text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = [paragraph.replace("\n", "<br>\n") for paragraph in text.split("\n\n")]
    return "</p>\n<p>".join(paragraphs)


@dataclass(frozen=True)
class CompiledText:
    language: str
    subject: list[tuple[bool, str]]
    body_text: list[tuple[bool, str]]
    body_html: list[tuple[bool, str]]
    used: frozenset[str]

    @classmethod
    def compile(cls, text: ReminderText) -> "CompiledText":
        body = text.body.replace("\r\n", "\n").replace("\r", "\n").strip()
        parts = _split(body)
        return cls(
            language=text.language,
            subject=_split(" ".join(text.subject.split())),
            body_text=parts,
            body_html=[
                (is_name, value if is_name else _html_literal(value)) for is_name, value in parts
            ],
            used=frozenset(value for is_name, value in parts if is_name)
            | frozenset(value for is_name, value in _split(text.subject) if is_name),
        )


def _join(parts, values: dict[str, str]) -> str:
    return "".join(values[value] if is_name else value for is_name, value in parts)


# -- What one run knows ------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseLine:
    name: str
    year: int | None

    def text(self) -> str:
        return f"{self.name} ({self.year})" if self.year else self.name


@dataclass(frozen=True)
class CampaignLine:
    id: int
    title: str
    url: str
    language: str = ""  # what `title` is written in
    # (language, title) of the title in other languages (campaigns' CampaignTranslation)
    titles: tuple[tuple[str, str], ...] = ()

    def in_language(self, language: str) -> "CampaignLine":
        """The line with the title in `language` when the campaign has it, else as it is."""
        for code, title in self.titles:
            if code == language:
                return CampaignLine(self.id, title, self.url, code)
        return self


@dataclass
class Phrases:
    """What a placeholder says when it has nothing to list, in one language, translated once."""

    bidi: bool
    no_cases: str
    no_campaigns: str


def _phrases(language: str) -> Phrases:
    with translation.override(language):
        return Phrases(
            bidi=get_language_bidi(),
            no_cases=_("Our database records no unresolved case in %(country)s."),
            no_campaigns=_("No open campaign about %(country)s at the moment."),
        )


def _dated(day: datetime.date, language: str) -> str:
    with translation.override(language):
        return date_format(day, DATE_FORMATS.get(language, "DATE_FORMAT"))


def _url_maker(name: str):
    """A fast token → absolute URL function for one named URL (reverse once per run)."""
    sentinel = "TOKEN0SENTINEL"
    url = absolute_url(reverse(name, args=[sentinel]))
    head, tail = url.split(sentinel)
    return lambda token: f"{head}{token}{tail}"


@dataclass
class ReminderRunContext:
    """Everything a fan-out run shares between messages; build it once per run with build()."""

    now: datetime.datetime
    texts: dict[tuple[int, str], CompiledText]
    unresolved_cases: dict[str, list[CaseLine]]
    unresolved_counts: dict[str, int]
    open_campaigns: dict[str, list[CampaignLine]]
    world_unresolved_percent: int
    open_campaign_ids: frozenset[int]
    _phrases: dict[str, Phrases] = field(default_factory=dict)
    _country_names: dict[tuple[str, str], str] = field(default_factory=dict)
    _dates: dict[tuple[object, str], str] = field(default_factory=dict)
    _country_urls: dict[str, str] = field(default_factory=dict)
    _unsubscribe_url = None
    _all_streams_url = None
    _preferences_url = None

    @classmethod
    def build(cls, reminders=None, now: datetime.datetime | None = None) -> "ReminderRunContext":
        """Read texts, cases and campaigns once: seven queries, whatever the number of messages."""
        now = now or timezone.now()
        reminders = Reminder.objects.all() if reminders is None else reminders
        texts = {
            (text.reminder_id, text.language): CompiledText.compile(text)
            for text in ReminderText.objects.filter(reminder__in=reminders)
        }
        unresolved = Case.objects.published().unresolved()
        # The most recent cases of each country, in one query.
        ranked = (
            unresolved.annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("country")],
                    order_by=[F("year").desc(nulls_last=True), F("full_name").asc()],
                )
            )
            .filter(rank__lte=CASES_LISTED)
            .values_list("country", "full_name", "year")
            .order_by("country", "rank")
        )
        cases_by_country: dict[str, list[CaseLine]] = defaultdict(list)
        for country, name, year in ranked:
            cases_by_country[country].append(CaseLine(name, year))
        counts = {
            row["country"]: row["n"]
            for row in unresolved.order_by().values("country").annotate(n=Count("id"))
        }
        campaigns = {
            campaign.pk: campaign
            for campaign in Campaign.objects.published()
            .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
            .only("pk", "title", "slug", "language", "created_at")
            .order_by("-created_at", "pk")
        }
        titles: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for campaign_id, code, title in CampaignTranslation.objects.filter(
            campaign_id__in=list(campaigns)
        ).values_list("campaign_id", "language", "title"):
            titles[campaign_id].append((code, title))
        campaigns_by_country: dict[str, list[CampaignLine]] = defaultdict(list)
        links = (
            Campaign.cases.through.objects.filter(
                campaign_id__in=list(campaigns), case__is_published=True
            )
            .values_list("case__country", "campaign_id")
            .distinct()
        )
        countries_of: dict[int, set[str]] = defaultdict(set)
        for country, campaign_id in links:
            countries_of[campaign_id].add(country)
        for campaign_id, campaign in campaigns.items():  # newest first
            line = CampaignLine(
                campaign_id,
                campaign.title,
                absolute_url(campaign.get_absolute_url()),
                campaign.language,
                tuple(titles[campaign_id]),
            )
            for country in countries_of[campaign_id]:
                campaigns_by_country[country].append(line)
        return cls(
            now=now,
            texts=texts,
            unresolved_cases=dict(cases_by_country),
            unresolved_counts=counts,
            open_campaigns=dict(campaigns_by_country),
            world_unresolved_percent=totals(Case.objects.published())["unresolved_percent"],
            open_campaign_ids=frozenset(campaigns),
        )

    # Per language and per country values, computed on first use and kept for the run.

    def phrases(self, language: str) -> Phrases:
        if language not in self._phrases:
            self._phrases[language] = _phrases(language)
        return self._phrases[language]

    def bidi(self, language: str) -> bool:
        return self.phrases(language).bidi

    def country_name(self, code: str, language: str) -> str:
        key = (code, language)
        if key not in self._country_names:
            with translation.override(language):
                self._country_names[key] = str(countries.name(code)) or code
        return self._country_names[key]

    def date(self, day: datetime.date, language: str) -> str:
        key = (day, language)
        if key not in self._dates:
            self._dates[key] = _dated(day, language)
        return self._dates[key]

    def country_url(self, code: str) -> str:
        if code not in self._country_urls:
            self._country_urls[code] = absolute_url(reverse("cases:country", args=[code.lower()]))
        return self._country_urls[code]

    def unsubscribe_url(self, token: str) -> str:
        if self._unsubscribe_url is None:
            self._unsubscribe_url = _url_maker("letters:reminders:unsubscribe")
        return self._unsubscribe_url(token)

    def preferences_url(self, token: str) -> str:
        if self._preferences_url is None:
            self._preferences_url = _url_maker("letters:reminders:preferences")
        return self._preferences_url(token)

    def all_streams_url(self, subscription_id: int) -> str:
        """The page of every e-mail we send to the subscriber's address (all streams)."""
        if self._all_streams_url is None:
            self._all_streams_url = _url_maker("letters:preferences")
        return self._all_streams_url(links.preferences_token(subscription_id=subscription_id))

    def text_for(self, reminder: Reminder, language: str) -> CompiledText:
        """The text in this language, else in English (a reminder is never skipped for it)."""
        text = self.texts.get((reminder.pk, language)) or self.texts.get(
            (reminder.pk, FALLBACK_LANGUAGE)
        )
        if text is None:
            raise MissingReminderText(f"reminder {reminder.pk} has no {language} or en text")
        return text

    def signed_campaign_ids_for(self, email_keys) -> dict[str, set[int]]:
        """Which open campaigns each address has signed: one query per chunk (none if none)."""
        if not self.open_campaign_ids:
            return {}
        return signed_campaign_ids_for(email_keys, campaign_ids=self.open_campaign_ids)


def signed_campaign_ids_for(email_keys, campaign_ids=None) -> dict[str, set[int]]:
    """email_key → ids of the campaigns that address signed (one query for the whole chunk)."""
    signatures = Signature.objects.filter(email_key__in=list(email_keys))
    if campaign_ids is not None:
        signatures = signatures.filter(campaign_id__in=list(campaign_ids))
    signed: dict[str, set[int]] = defaultdict(set)
    for email_key, campaign_id in signatures.values_list("email_key", "campaign_id"):
        signed[email_key].add(campaign_id)
    return dict(signed)


# -- One message -------------------------------------------------------------------------------


def _clean_line(value: str) -> str:
    """One line of plain text: no CR/LF or other control characters from stored data."""
    return " ".join(value.split())


def reminder_headers(subscription: Subscription, shared: ReminderRunContext | None = None) -> dict:
    """RFC 8058 one-click unsubscribe headers, with an absolute URL from SITE_URL."""
    url = (
        shared.unsubscribe_url(subscription.unsubscribe_token)
        if shared is not None
        else absolute_url(
            reverse("letters:reminders:unsubscribe", args=[subscription.unsubscribe_token])
        )
    )
    return {
        "List-Unsubscribe": f"<{_clean_line(url)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _consent_day(subscription: Subscription) -> datetime.date:
    at = (subscription.consent_record or {}).get("at")
    if isinstance(at, str) and len(at) >= 10:
        try:
            return datetime.date.fromisoformat(at[:10])
        except ValueError:
            pass
    return (subscription.confirmed_at or subscription.created_at).date()


def render_reminder(
    subscription: Subscription,
    reminder: Reminder,
    *,
    observance_year: int,
    shared: ReminderRunContext,
    signed_campaign_ids: set[int] | None = None,
    year_on=(),
) -> RenderedEmail:
    """One reminder for one subscriber: subject, text and HTML, in their language.

    `signed_campaign_ids` are the campaigns this address signed, from
    shared.signed_campaign_ids_for(chunk); when None and the reminder lists campaigns, one
    query asks for this address alone.
    """
    compiled = shared.text_for(reminder, subscription.language)
    language = compiled.language  # the subscriber's, or English when it has no text in theirs
    phrases = shared.phrases(language)
    code = str(subscription.country)
    country = shared.country_name(code, language)
    observance = datetime.date(observance_year, 11, 2)

    cases = shared.unresolved_cases.get(code, [])
    case_texts = [case.text() for case in cases]
    campaigns = shared.open_campaigns.get(code, [])
    if campaigns:
        if signed_campaign_ids is None:
            signed_campaign_ids = shared.signed_campaign_ids_for([subscription.email_key]).get(
                subscription.email_key, set()
            )
        campaigns = [line for line in campaigns if line.id not in signed_campaign_ids]
    campaigns = [line.in_language(language) for line in campaigns[:CAMPAIGNS_LISTED]]
    no_cases = phrases.no_cases % {"country": country}
    no_campaigns = phrases.no_campaigns % {"country": country}

    percent = str(shared.world_unresolved_percent)
    text_values = {
        "days_left": str(reminder.days_before),
        "date": shared.date(observance, language),
        "country": country,
        "unresolved_count_country": str(shared.unresolved_counts.get(code, 0)),
        "world_unresolved_percent": percent,
        "unresolved_cases": "\n".join(f"- {line}" for line in case_texts) or no_cases,
        "open_campaigns": "\n".join(f"- {line.title}\n  {line.url}" for line in campaigns)
        or no_campaigns,
    }
    html_values = {name: conditional_escape(value) for name, value in text_values.items()}
    html_values["unresolved_cases"] = format_html_join(
        mark_safe("<br>"), "{}", ((line,) for line in case_texts)
    ) or conditional_escape(no_cases)
    html_values["open_campaigns"] = format_html_join(
        mark_safe("<br>"),
        '<a href="{}" lang="{}" dir="auto">{}</a>',
        ((line.url, line.language, line.title) for line in campaigns),
    ) or conditional_escape(no_campaigns)
    subject_values = {name: _clean_line(value) for name, value in text_values.items()}
    subject_values["unresolved_cases"] = ", ".join(_clean_line(line) for line in case_texts)
    subject_values["open_campaigns"] = ", ".join(_clean_line(line.title) for line in campaigns)

    # The sections the reminder includes, unless the body already placed that content.
    def wanted(name: str) -> bool:
        return getattr(reminder, SECTION_OF_PLACEHOLDER[name]) and name not in compiled.used

    subject = _clean_line(_join(compiled.subject, subject_values))
    if len(subject) > SUBJECT_MAX_LENGTH:  # a long list in the subject must not fail the batch
        subject = subject[: SUBJECT_MAX_LENGTH - 1].rstrip() + "…"
    token = subscription.unsubscribe_token
    context = {
        "subject": subject,
        "language": language,
        "bidi": shared.bidi(language),
        # The admin's text with its placeholders filled: escaped here, piece by piece.
        "intro": _join(compiled.body_text, text_values),
        "intro_html": mark_safe(_join(compiled.body_html, html_values)),  # noqa: S308
        "country": country,
        "country_url": shared.country_url(code),
        "cases": case_texts,
        "campaigns": campaigns,
        "percent": percent,
        "show_cases": wanted("unresolved_cases"),
        "show_campaigns": wanted("open_campaigns") and bool(campaigns),
        "show_world_share": wanted("world_unresolved_percent"),
        # "One year on": the cases an earlier signer signed for (responses/yearly.py).
        "year_on": [
            {
                "item": item,
                "signed_on": shared.date(timezone.localdate(item.signed_at), language),
                "case_url": absolute_url(item.case.get_absolute_url()),
                "campaign_url": absolute_url(item.this_year.get_absolute_url())
                if item.this_year
                else "",
            }
            for item in year_on
        ],
        "consent_date": shared.date(_consent_day(subscription), language),
        "preferences_url": shared.preferences_url(token),
        "unsubscribe_url": shared.unsubscribe_url(token),
        "all_streams_url": shared.all_streams_url(subscription.pk),
    }
    rendered = render_email("reminder", context, language=language)
    # The subject is the admin's, already cut to fit: the template only carries it.
    return RenderedEmail(subject=subject, text=rendered.text, html=rendered.html)
