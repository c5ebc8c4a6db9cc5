"""Reminder forms: subscribe from the home page, and a subscriber's preferences."""

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from ..models import Subscription
from .schedule import default_time_zone, valid_time_zones

# Shown beside the button and stored with the subscription, word for word, as the consent.
CONSENT_TEXT = _(
    "We will e-mail you a few reminders a year, in the weeks before 2 November, with the "
    "unresolved cases in your country and the letters you can sign. We use your address for "
    "nothing else, and every reminder has a link to stop them in one click."
)


def fields_only_helper() -> FormHelper:
    """Crispy renders the fields; the templates write the <form>, its CSRF token and buttons."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


def language_choices():
    """Each language in its own words ("Français", "العربية"), whatever the page's language."""
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class LanguageSelect(forms.Select):
    """Each option carries its own `lang`: "Русский" is read out in Russian, not as English."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value:
            option["attrs"]["lang"] = value
        return option


def language_field():
    return forms.ChoiceField(
        label=_("Language of the reminders"),
        choices=language_choices,
        widget=LanguageSelect(attrs={"class": "form-select"}),
    )


def country_field():
    return forms.ChoiceField(
        label=_("Your country"),
        choices=lambda: [("", _("Choose your country")), *countries],
        help_text=_("We tell you about the unresolved cases there."),
        widget=forms.Select(attrs={"class": "form-select", "autocomplete": "country"}),
    )


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    country = country_field()
    language = language_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = fields_only_helper()

    def clean_email(self):
        # EmailField already refuses line breaks; surrounding space is not part of an address.
        return self.cleaned_data["email"].strip()


class PreferencesForm(forms.Form):
    language = language_field()
    country = country_field()
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Reminders arrive on the right day in this time zone."),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={
            "invalid_choice": _(
                "“%(value)s” is not a time zone we know. Choose one from the list, such as "
                "Europe/Paris."
            )
        },
    )

    def __init__(self, *args, subscription: Subscription, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "language": subscription.language,
                "country": str(subscription.country),
                "time_zone": subscription.time_zone,
            },
        )
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        self.fields["time_zone"].choices = [(zone, zone) for zone in sorted(valid_time_zones())]
        self.helper = fields_only_helper()

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"]
        if zone not in valid_time_zones():  # the choices say so too; the rule lives here
            raise ValidationError(self.fields["time_zone"].error_messages["invalid_choice"])
        return zone

    def clean(self):
        cleaned = super().clean()
        country, zone = cleaned.get("country"), cleaned.get("time_zone")
        # A new country with the time zone left as it was: the new country's zone.
        if (
            country
            and zone
            and country != str(self.subscription.country)
            and zone == self.subscription.time_zone
        ):
            cleaned["time_zone"] = default_time_zone(country)
        return cleaned
