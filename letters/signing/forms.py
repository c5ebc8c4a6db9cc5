"""The public sign form: validate and normalise in clean_*, the crispy FormHelper beside it."""

import functools
import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django_countries import countries

from campaigns.letter_templates import validate_letter_template

from . import abuse, sources

# Control characters (CR, LF, tab, NUL...) and the Unicode line and paragraph separators:
# a name or a city is one line, and a line break must never reach a mail header.
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")
# In a multi-line text, line breaks and tabs are fine; other control characters are not.
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

LETTER_MAX_LENGTH = 10_000
MESSAGE_MAX_LENGTH = 2_000

CONSENT_FIELDS = (
    "consent_share_name",
    "consent_updates",
    "consent_reminders",
    "consent_show_first_name",
)
HONEYPOT = "leave_empty"


class QuickSelect(forms.Select):
    """A <select> whose options are written in Python, escaped by format_html.

    Django renders each option through a template: for the ~250 countries that is 7 ms of every
    campaign page view (measured here), most of the sign form's cost.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) == chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


@functools.lru_cache(maxsize=32)
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    with override(language):
        return (
            ("", str(_("Choose your country"))),
            *((code, str(name)) for code, name in countries),
        )


@functools.cache
def country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in countries)


class CountryField(forms.ChoiceField):
    """A country from the list, checked against a set of codes.

    ChoiceField checks a value by walking its (callable, hence re-normalised) choices: about
    250 countries on every sign POST, a tenth of its time (measured).
    """

    def valid_value(self, value) -> bool:
        return str(value) in country_codes()


def country_choices() -> tuple[tuple[str, str], ...]:
    """The country list in the active language, sorted by name: built once per language.

    django_countries translates and sorts about 250 names on every iteration, which cost about
    2 ms of each sign form (measured); the names do not change while the process runs.
    """
    return _country_choices(get_language() or "en")


def one_line(value: str) -> str:
    if CONTROL.search(value):
        raise ValidationError(
            _("Write this on one line, without line breaks or tabs."), code="control"
        )
    return " ".join(value.split())


def multi_line(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if CONTROL_IN_TEXT.search(value):
        raise ValidationError(_("This text contains characters that cannot be sent."), code="ctrl")
    return value.strip()


def country_from_accept_language(header: str) -> str:
    """The region of the browser's preferred language ("es-MX" gives MX), if it is a country."""
    try:
        preferences = parse_accept_lang_header(header or "")
    except ValueError:
        return ""
    for language, _quality in preferences:
        parts = language.replace("_", "-").split("-")
        for part in parts[1:]:
            if len(part) == 2 and part.upper() in countries:
                return part.upper()
    return ""


class SignForm(forms.Form):
    """Name, address, country, optional city and message, the letter, four separate consents.

    `campaign` sets the letter field (editable only where the campaign allows it) and the
    organisation named in the consent to updates. Two hidden fields serve abuse.py: a signed
    timestamp (time on page) and a honeypot that people never see or reach.
    """

    name = forms.CharField(
        label=_("Your name"), max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send you a link to confirm. Your address is never shown."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    country = CountryField(
        label=_("Your country"), widget=QuickSelect(attrs={"autocomplete": "country"})
    )
    city = forms.CharField(
        label=_("Your city (optional)"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    message = forms.CharField(
        label=_("A personal message to the officials (optional)"),
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    letter_text = forms.CharField(
        label=_("Your letter"),
        max_length=LETTER_MAX_LENGTH,
        help_text=_(
            "You may change the words. Names in braces, such as {target_name}, are filled in "
            "for each official."
        ),
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    consent_share_name = forms.BooleanField(
        label=_("Share my name with the officials who receive the letter."), required=False
    )
    consent_updates = forms.BooleanField(required=False)
    consent_reminders = forms.BooleanField(
        label=_("Remind me by e-mail before 2 November."), required=False
    )
    consent_show_first_name = forms.BooleanField(
        label=_("Show my first name and country on this page, among the people who signed."),
        required=False,
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)
    # Where the signer came from, signed by the page (sources.py); read by the view, not here.
    source = forms.CharField(widget=forms.HiddenInput, required=False)
    leave_empty = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(
        self,
        *args,
        campaign,
        visitor: str,
        letter_body: str = "",
        default_country: str = "",
        source: sources.SignatureSource | None = None,
        **kw,
    ):
        super().__init__(*args, **kw)
        self.campaign = campaign
        self.visitor = visitor  # abuse.visitor_key: whom the form's token is bound to
        self.letter_body = letter_body.replace("\r\n", "\n").strip()
        # A callable: the list is read only when the select is rendered or validated.
        self.fields["country"].choices = country_choices
        if default_country and not self.is_bound:
            self.initial.setdefault("country", default_country)
        self.fields["consent_updates"].label = _(
            "Keep me informed by e-mail about this campaign and the work of %(organisation)s."
        ) % {"organisation": campaign.organisation.name}
        if campaign.signers_may_edit and self.letter_body:
            self.initial.setdefault("letter_text", self.letter_body)
        else:
            del self.fields["letter_text"]
        self.source = source or sources.SignatureSource()
        if self.source.partner_id:
            # Only the partner the signer came through, never all of them: a consent of its own.
            self.fields["consent_partner"] = forms.BooleanField(
                label=_("Keep me informed by e-mail about the work of %(partner)s.")
                % {"partner": self.source.partner_name},
                required=False,
            )
        if not self.is_bound:
            self.initial["started"] = abuse.form_token(visitor)
            self.initial["source"] = sources.sign_value(campaign, self.source)

    @functools.cached_property
    def helper(self) -> FormHelper:
        """crispy's layout, built only when the form is shown (not for a valid POST)."""
        return self.build_helper()

    def build_helper(self) -> FormHelper:
        helper = FormHelper(self)
        helper.form_tag = False  # the template writes the <form> with the button and notice
        helper.disable_csrf = True
        fields = [
            Field("name"),
            Field("email"),
            Field("country"),
            Field("city"),
        ]
        if "letter_text" in self.fields:
            fields.append(Field("letter_text"))
        fields.append(Field("message"))
        helper.layout = Layout(
            *fields,
            Fieldset(
                _("Your choices (all optional)"),
                *[Field(name) for name in self.consent_fields],
                css_class="sign-consents",
            ),
            # Reached by no person: hidden from sight, from screen readers and from Tab.
            Div(Field(HONEYPOT), css_class="sign-trap", aria_hidden="true"),
            Field("started"),
            Field("source"),
        )
        return helper

    # -- Validation and normalisation ----------------------------------------------------

    def clean_name(self):
        name = one_line(self.cleaned_data["name"])
        if not name:
            raise ValidationError(_("Write your name."), code="required")
        return name

    def clean_city(self):
        return one_line(self.cleaned_data.get("city", ""))

    def clean_message(self):
        return multi_line(self.cleaned_data.get("message", ""))

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        local, _at, domain = email.rpartition("@")
        email = f"{local}@{domain.lower()}"
        if abuse.blocked_domain(email):
            raise ValidationError(
                _("Addresses at %(domain)s cannot be used to sign. Please use another address."),
                params={"domain": domain.lower()},
                code="blocked_domain",
            )
        return email

    def clean_letter_text(self):
        text = multi_line(self.cleaned_data.get("letter_text", ""))
        if not text:
            raise ValidationError(_("The letter cannot be empty."), code="required")
        # Placeholders reach nothing but a fixed list of plain strings; anything else in
        # braces is refused with the name of the unknown placeholder.
        validate_letter_template(text)
        if text == self.letter_body:
            return ""  # unchanged: the campaign's letter, as published
        return text

    def clean_country(self):
        country = self.cleaned_data["country"]
        if country not in country_codes():
            raise ValidationError(_("Choose a country from the list."), code="country")
        return country

    @property
    def is_bot(self) -> bool:
        """The honeypot is filled: a person never sees it."""
        return bool(self.data.get(HONEYPOT, "").strip())

    def checked_token(self) -> abuse.CheckedFormToken:
        return abuse.check_form_token(self.data.get("started", ""), self.visitor)

    def refresh_token(self) -> None:
        """Show the form again with a new timestamp (and the person's input kept)."""
        data = self.data.copy()
        data["started"] = abuse.form_token(self.visitor)
        self.data = data

    @property
    def consent_fields(self) -> tuple[str, ...]:
        """The consents this form offers: the four, and the partner's when there is one."""
        extra = ("consent_partner",) if "consent_partner" in self.fields else ()
        return (*CONSENT_FIELDS, *extra)

    def consent_record(self, *, language: str, page: str) -> dict:
        """Proof of consent: the exact words shown, in the language shown, what was ticked."""
        return {
            "form": "sign",
            "page": page,
            "language": language,
            "at": timezone.now().isoformat(),
            "texts": {name: str(self.fields[name].label) for name in self.consent_fields},
            "given": {name: bool(self.cleaned_data.get(name)) for name in self.consent_fields},
        }
