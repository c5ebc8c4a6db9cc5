"""Coordinator forms: validate and normalise in clean_*, with the crispy FormHelper beside each."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cases.models import Case

from .letter_templates import PLACEHOLDERS
from .models import (
    Campaign,
    CampaignTranslation,
    Invitation,
    LetterTemplate,
    Membership,
    Organisation,
    Target,
)
from .services import check_invitable, check_partner_invitable

# A tag (<b>, </p>, <img src=x onerror=...>), a comment or a doctype. Markdown autolinks such as
# <https://example.org> do not match: a colon cannot follow a tag name.
HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9-]*(\s[^>]*)?/?\s*>|<![-\[a-zA-Z]|<\?")

# Words the dashboard's own URLs use after /dashboard/campaigns/.
RESERVED_SLUGS = {"new"}

IMAGE_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
CAMPAIGN_IMAGE_MAX_BYTES = 5 * 1024 * 1024
LOGO_MAX_BYTES = 1024 * 1024
# An origin for CSP frame-ancestors: http(s), a host name (or *.domain), an optional port.
ORIGIN = re.compile(
    r"https?://(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(:[0-9]{1,5})?/?",
    re.IGNORECASE,
)
MAX_EMBED_ORIGINS = 50
IMAGE_MAX_PIXELS = 40_000_000

# What may change once a campaign is public. The letter, its cases and officials, the address
# and how it is delivered are what people signed, so they stay as published; texts may be
# corrected and the goal and closing date adjusted. After closing, only the texts that report
# the outcome may change.
EDITABLE_WHEN = {
    Campaign.Status.PUBLISHED: {
        "embed_origins",
        "language",
        "title",
        "summary",
        "body",
        "image",
        "image_credit",
        "goal",
        "closes_at",
        "thank_you_text",
        "share_text",
    },
    Campaign.Status.CLOSED: {"title", "summary", "body", "image", "image_credit", "language"},
    Campaign.Status.DELIVERED: {"title", "summary", "body", "image", "image_credit", "language"},
}


def reject_html(value):
    """Plain-text fields refuse markup instead of storing it and escaping it later."""
    if value and HTML_TAG.search(value):
        raise ValidationError(
            _("HTML tags such as <b> or <script> are not allowed here: write plain text."),
            code="html",
        )


def reject_html_in_markdown(value):
    if value and HTML_TAG.search(value):
        raise ValidationError(
            _(
                "HTML tags are not allowed: use Markdown instead, for example **bold**, "
                "*italic* or [a link](https://example.org)."
            ),
            code="html",
        )


def validate_image(upload, max_bytes: int):
    """A new upload must be a JPEG, PNG or WebP image of reasonable size; SVG can carry scripts."""
    if not isinstance(upload, UploadedFile):
        return upload  # unchanged, or cleared
    if upload.size > max_bytes:
        raise ValidationError(
            _("The image is %(size)s; the largest allowed is %(max)s."),
            params={"size": filesizeformat(upload.size), "max": filesizeformat(max_bytes)},
            code="too_large",
        )
    image = getattr(upload, "image", None)
    if image is None or image.format not in IMAGE_FORMATS:
        raise ValidationError(
            _("Upload a JPEG, PNG or WebP image."),
            code="image_type",
        )
    width, height = image.size
    if width * height > IMAGE_MAX_PIXELS:
        raise ValidationError(_("The image has too many pixels; make it smaller."), code="pixels")
    return upload


class PlainTextMixin:
    """Adds reject_html to the listed fields (and the Markdown variant to `markdown_fields`)."""

    plain_text_fields: tuple[str, ...] = ()
    markdown_fields: tuple[str, ...] = ()

    def add_text_validators(self):
        for name in self.plain_text_fields:
            if name in self.fields:
                self.fields[name].validators.append(reject_html)
        for name in self.markdown_fields:
            if name in self.fields:
                self.fields[name].validators.append(reject_html_in_markdown)


def https_urls(field, **kwargs):
    """Model form fields, with a bare "example.org" read as https:// (Django 6's default)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


def form_helper(*layout) -> FormHelper:
    """Crispy renders fields only: templates write the <form>, its CSRF token and buttons."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if layout:
        helper.layout = Layout(*layout)
    return helper


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# -- Accounts ----------------------------------------------------------------------------------


class SignInForm(auth_forms.AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper()
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        # Django sets the field's max_length after it is built, without its validator: a long
        # name would reach authenticate() (and the lockout records) instead of being refused.
        self.fields["username"].validators.append(
            MaxLengthValidator(self.fields["username"].max_length)
        )


class PasswordResetForm(auth_forms.PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper()


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper()


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper()


class TwoFactorCodeForm(forms.Form):
    """A six-digit code from the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_(
            "The six digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper()

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split()).replace("-", "")
        if not code.isalnum() or len(code) > 16:
            raise ValidationError(
                _("Type the six digits from your app, or a recovery code."), code="format"
            )
        return code


class NewAccountForm(auth_forms.UserCreationForm):
    """Someone invited who has no account yet chooses a user name and a password."""

    class Meta(auth_forms.UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)

    def __init__(self, *args, email="", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.instance.email = email  # the password similarity check compares against it
        self.helper = form_helper()

    def save(self, commit=True):
        user = super().save(commit=False)
        user.email = self.email
        if commit:
            user.save()
        return user


# -- Organisations -----------------------------------------------------------------------------


class OrganisationForm(PlainTextMixin, forms.ModelForm):
    plain_text_fields = ("name",)

    class Meta:
        model = Organisation
        formfield_callback = https_urls
        fields = ["name", "country", "website", "contact_email", "logo", "require_two_factor"]
        help_texts = {
            "logo": _("JPEG, PNG or WebP, at most 1 MB."),
            "contact_email": _("Shown to signers who want to reach your organisation."),
        }
        widgets = {
            "logo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_text_validators()
        self.helper = form_helper()

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_logo(self):
        return validate_image(self.cleaned_data.get("logo"), LOGO_MAX_BYTES)


def invited_address(email: str) -> str:
    """An invited address as stored: trimmed, its domain in lower case (the local part as typed)."""
    email = email.strip()
    local, _at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "role"]
        help_texts = {
            "email": _("We send a link to this address. It works once, for seven days."),
            "role": _(
                "Owners manage members and settings; coordinators create and run campaigns; "
                "viewers read everything but change nothing."
            ),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.helper = form_helper()

    def clean_email(self):
        email = invited_address(self.cleaned_data["email"])
        # The same check runs again under the organisation's lock in services.invite.
        check_invitable(self.organisation, email)
        return email


class PartnerInvitationForm(forms.Form):
    """The lead's owner invites someone of another organisation to carry the campaign."""

    email = forms.EmailField(
        label=_("E-mail address of someone at the partner organisation"),
        max_length=254,
        help_text=_(
            "We send a link to this address. It works once, for seven days. They accept for an "
            "organisation they own, or create one."
        ),
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.helper = form_helper()

    def clean_email(self):
        email = invited_address(self.cleaned_data["email"])
        # The same check runs again under the organisation's lock in services.invite_partner.
        check_partner_invitable(self.campaign, email)
        return email


NEW_ORGANISATION = "new"


class PartnerAcceptForm(PlainTextMixin, forms.Form):
    """Which organisation becomes the partner: one the person owns, or a new one."""

    plain_text_fields = ("new_name",)

    organisation = forms.ChoiceField(label=_("Accept for"), widget=forms.RadioSelect)
    new_name = forms.CharField(
        label=_("Name of the new organisation"),
        max_length=200,
        required=False,
        help_text=_("Only if you create a new organisation: you become its owner."),
    )

    def __init__(self, *args, user, invitation, **kwargs):
        super().__init__(*args, **kwargs)
        owned = []
        if user.is_authenticated:
            owned = (
                Organisation.objects.filter(memberships__user=user, memberships__role="owner")
                .exclude(pk=invitation.organisation_id)
                .order_by("name")
            )
        self.owned = {str(o.pk): o for o in owned}
        self.fields["organisation"].choices = [
            *((pk, o.name) for pk, o in self.owned.items()),
            (NEW_ORGANISATION, _("A new organisation")),
        ]
        self.fields["organisation"].initial = next(iter(self.owned), NEW_ORGANISATION)
        self.add_text_validators()
        self.helper = form_helper()

    def clean(self):
        cleaned = super().clean()
        name = " ".join(cleaned.get("new_name", "").split())
        cleaned["new_name"] = name
        if cleaned.get("organisation") == NEW_ORGANISATION and not name:
            self.add_error("new_name", _("Write the name of the new organisation."))
        return cleaned

    @property
    def chosen(self) -> Organisation | None:
        return self.owned.get(self.cleaned_data["organisation"])


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


# -- Targets -----------------------------------------------------------------------------------


class TargetForm(PlainTextMixin, forms.ModelForm):
    plain_text_fields = (
        "name",
        "position",
        "institution",
        "postal_address",
        "postal_code",
        "city",
        "country_area",
    )

    class Meta:
        model = Target
        formfield_callback = https_urls
        fields = [
            "created_by_organisation",
            "name",
            "position",
            "institution",
            "country",
            "email",
            "postal_address",
            "postal_code",
            "city",
            "country_area",
            "language",
            "source_url",
            "last_verified",
            "is_shared",
        ]
        labels = {"created_by_organisation": _("Organisation")}
        help_texts = {
            "created_by_organisation": _("Only this organisation can change the official later."),
            "email": _("Where letters are sent by e-mail."),
            "postal_address": _(
                "Street and number, and any line before them. The address is printed as the "
                "official's country writes addresses."
            ),
            "language": _("The letter in this language is sent to the official when it exists."),
            "source_url": _("Where you found the name and address (a government page)."),
            "last_verified": _("When you last checked that the person still holds the post."),
            "is_shared": _("Other organisations can address this official in their campaigns."),
        }
        widgets = {
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "last_verified": DateInput(),
        }

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The position as a letter in each language names it ("Fiscal Especial" in Spanish).
        translations = self.instance.position_translations or {}
        for code, name in settings.LANGUAGES:
            self.fields[f"position_{code}"] = forms.CharField(
                label=_("Position in %(language)s") % {"language": _(name)},
                required=False,
                max_length=200,
                initial=translations.get(code, ""),
                help_text=_("Leave empty to use the position above."),
                validators=[reject_html],
                widget=forms.TextInput(
                    attrs={
                        "lang": code,
                        "dir": "rtl" if code in settings.LANGUAGES_BIDI else "auto",
                    }
                ),
            )
        self.add_text_validators()
        if self.instance.pk:
            del self.fields["created_by_organisation"]
        else:
            field = self.fields["created_by_organisation"]
            field.queryset = organisations
            field.required = True
            field.empty_label = None
        self.helper = form_helper()

    def clean_last_verified(self):
        value = self.cleaned_data.get("last_verified")
        if value and value > timezone.localdate():
            raise ValidationError(_("This date is in the future."), code="future")
        return value

    def save(self, commit=True):
        target = super().save(commit=False)
        target.position_translations = {
            code: " ".join(self.cleaned_data.get(f"position_{code}", "").split())
            for code, _name in settings.LANGUAGES
            if self.cleaned_data.get(f"position_{code}", "").strip()
        }
        if commit:
            target.save()
        return target


class TargetSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, position or institution"), required=False, max_length=100)
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("All countries")), *countries]

    def filter(self, targets):
        """`targets` narrowed to what was searched for (all of them while nothing was)."""
        if not self.is_valid():
            return targets
        if query := self.cleaned_data["q"]:
            targets = targets.filter(
                Q(name__icontains=query)
                | Q(position__icontains=query)
                | Q(institution__icontains=query)
            )
        if self.cleaned_data["country"]:
            targets = targets.filter(country=self.cleaned_data["country"])
        return targets


# -- Campaigns ---------------------------------------------------------------------------------


class CampaignForm(PlainTextMixin, forms.ModelForm):
    plain_text_fields = ("title", "summary", "image_credit", "thank_you_text", "share_text")
    markdown_fields = ("body",)

    def clean_language(self):
        return self.cleaned_data.get("language") or self.instance.language or settings.LANGUAGE_CODE

    class Meta:
        model = Campaign
        fields = [
            "organisation",
            "language",
            "title",
            "slug",
            "summary",
            "body",
            "image",
            "image_credit",
            "goal",
            "opens_at",
            "closes_at",
            "delivery_mode",
            "signers_may_edit",
            "thank_you_text",
            "share_text",
            "embed_origins",
        ]
        labels = {"slug": _("Address"), "body": _("What happened and what you ask")}
        help_texts = {
            # Crispy renders help text as HTML: no angle brackets here.
            "slug": _(
                "The last part of the campaign's web address: lower-case letters, digits and "
                "hyphens. Leave it empty to make one from the title."
            ),
            "summary": _("One or two sentences, shown in lists and when the link is shared."),
            "image": _(
                "JPEG, PNG or WebP, at most 5 MB. Use an image you may publish, and credit it."
            ),
            "image_credit": _("Who made the image, and its licence."),
            "goal": _("How many confirmed signatures you aim for."),
            "opens_at": _("Leave empty to open when you publish."),
            "closes_at": _("Leave empty to close by hand."),
            "signers_may_edit": _("Signers can change the wording before they sign."),
            "thank_you_text": _("Shown to signers once they have confirmed."),
            "share_text": _("Suggested text for sharing the campaign; at most 280 characters."),
            "language": _(
                "The language of the title, summary and story: pages say so to readers of "
                "another language, and the share image uses it."
            ),
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 12}),
            "thank_you_text": forms.Textarea(attrs={"rows": 3}),
            "share_text": forms.Textarea(attrs={"rows": 2}),
            "embed_origins": forms.Textarea(attrs={"rows": 3}),
            "image": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
            "opens_at": DateTimeLocalInput(),
            "closes_at": DateTimeLocalInput(),
        }

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Not required: a form that leaves it out keeps the campaign's (or the site's) language.
        self.fields["language"].required = False
        self.add_text_validators()
        # Optional in the form: left out, a campaign keeps its language (a new one: English).
        self.fields["language"].required = False
        if self.is_bound and "language" not in self.data:
            self.fields["language"].disabled = True
        if self.instance.pk:
            del self.fields["organisation"]
        else:
            field = self.fields["organisation"]
            field.queryset = organisations
            field.empty_label = None
            field.help_text = _("The organisation that runs the campaign.")
        self.fields["slug"].required = False
        # One clear message from clean_goal instead of two overlapping minimum checks.
        goal = self.fields["goal"]
        goal.validators = [MaxValueValidator(100_000_000)]
        goal.widget.attrs["min"] = 1
        zone = timezone.get_current_timezone_name()
        for name in ("opens_at", "closes_at"):
            self.fields[name].help_text = f"{self.fields[name].help_text} " + str(
                _("Time zone: %(zone)s.") % {"zone": zone}
            )
        self.set_up_delivery_mode()
        self.locked = self.lock_fields()
        self.helper = form_helper(
            Fieldset(
                _("What people read"),
                *(
                    name
                    for name in ("organisation", "title", "slug", "summary", "body")
                    if name in self.fields
                ),
                "image",
                "image_credit",
            ),
            Fieldset(
                _("Signing"),
                "goal",
                "opens_at",
                "closes_at",
                "delivery_mode",
                "signers_may_edit",
            ),
            Fieldset(_("After signing"), "thank_you_text", "share_text"),
        )

    def set_up_delivery_mode(self):
        """A new campaign's delivery follows its goal unless chosen: digests when it is big."""
        field = self.fields["delivery_mode"]
        threshold = settings.CAMPAIGN_DIGEST_FROM_GOAL
        field.help_text = _(
            "How the letters reach the officials. Letters sent one by one go out at most "
            "%(hourly)s an hour to each institution's mail server, so that a spike of "
            "signatures does not look like an attack on it; a daily digest is one message per "
            "official a day. A campaign aiming for %(threshold)s signatures or more gets the "
            "digest unless you choose otherwise."
        ) % {
            "hourly": formats.number_format(
                settings.OUTBOX_DOMAIN_HOURLY_LIMIT, force_grouping=True
            ),
            "threshold": formats.number_format(threshold, force_grouping=True),
        }
        if self.instance.pk:
            return
        field.required = False
        field.choices = [("", _("Chosen by the goal")), *Campaign.DeliveryMode.choices]
        self.initial.setdefault("delivery_mode", "")

    def clean_delivery_mode(self):
        return self.cleaned_data.get("delivery_mode") or ""

    def lock_fields(self) -> list[str]:
        """Disable what may no longer change (Django then ignores submitted values for it)."""
        editable = EDITABLE_WHEN.get(self.instance.status)
        if not self.instance.pk or editable is None:
            return []
        locked = []
        for name, field in self.fields.items():
            if name not in editable:
                field.disabled = True
                field.help_text = _("Locked: it cannot change once the campaign is published.")
                locked.append(name)
        return locked

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean_embed_origins(self):
        """One origin per line (scheme, host, optional port), as CSP frame-ancestors reads it."""
        origins = []
        for line in self.cleaned_data.get("embed_origins", "").splitlines():
            line = line.strip()
            if not line:
                continue
            if not ORIGIN.fullmatch(line):
                raise ValidationError(
                    _("%(line)s is not a website address such as https://www.example.org."),
                    params={"line": line[:100]},
                    code="origin",
                )
            origins.append(line.lower().rstrip("/"))
        if len(origins) > MAX_EMBED_ORIGINS:
            raise ValidationError(
                _("List at most %(max)d websites."), params={"max": MAX_EMBED_ORIGINS}
            )
        return "\n".join(dict.fromkeys(origins))

    def clean_slug(self):
        if self.fields["slug"].disabled:
            return self.instance.slug
        slug = self.cleaned_data.get("slug", "").strip().lower()
        others = Campaign.objects.exclude(pk=self.instance.pk)
        if not slug:
            title = self.cleaned_data.get("title", "")
            base = slugify(title)[:90].strip("-") or "campaign"
            slug, n = base, 2
            while slug in RESERVED_SLUGS or others.filter(slug=slug).exists():
                slug, n = f"{base}-{n}", n + 1
            return slug
        if slug in RESERVED_SLUGS:
            raise ValidationError(
                _("The address “%(slug)s” is reserved. Choose a different one."),
                params={"slug": slug},
                code="reserved_slug",
            )
        if others.filter(slug=slug).exists():
            raise ValidationError(
                _(
                    "Another campaign already uses the address /campaigns/%(slug)s/. "
                    "Choose a different one."
                ),
                params={"slug": slug},
                code="duplicate_slug",
            )
        return slug

    def clean_goal(self):
        goal = self.cleaned_data.get("goal")
        if goal is not None and goal < 1:
            raise ValidationError(
                _("The goal must be at least one signature."), code="goal_too_small"
            )
        return goal

    def clean_image(self):
        return validate_image(self.cleaned_data.get("image"), CAMPAIGN_IMAGE_MAX_BYTES)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("delivery_mode") and "delivery_mode" in self.fields:
            if self.instance.pk:
                cleaned["delivery_mode"] = self.instance.delivery_mode
            else:
                cleaned["delivery_mode"] = Campaign.default_delivery_mode(cleaned.get("goal"))
            # Also when the field was left out of the POST altogether (the model's default
            # would apply then).
            self.instance.delivery_mode = cleaned["delivery_mode"]
        return cleaned


class LetterForm(PlainTextMixin, forms.ModelForm):
    """The letter in one language; both parts empty means no letter in that language."""

    plain_text_fields = ("subject", "body")

    class Meta:
        model = LetterTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args, language_name="", locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_text_validators()
        self.language_name = language_name
        for field in self.fields.values():
            field.required = False
            field.disabled = locked
        self.fields["subject"].label = _("Subject (%(language)s)") % {"language": language_name}
        self.fields["body"].label = _("Letter (%(language)s)") % {"language": language_name}
        # Written in its own language and direction: an Arabic letter is edited right to left.
        code = self.instance.language
        direction = "rtl" if code in settings.LANGUAGES_BIDI else "ltr"
        for name in ("subject", "body"):
            self.fields[name].widget.attrs.update(lang=code, dir=direction)
        self.helper = form_helper(Fieldset(language_name, "subject", "body"))

    def clean(self):
        cleaned = super().clean()
        subject, body = cleaned.get("subject", ""), cleaned.get("body", "")
        if subject and not body and "body" not in self.errors:
            self.add_error("body", _("Write the letter, or also empty the subject."))
        if body and not subject and "subject" not in self.errors:
            self.add_error("subject", _("Write a subject, or also empty the letter."))
        return cleaned

    @property
    def is_empty(self) -> bool:
        return not (self.cleaned_data.get("subject") or self.cleaned_data.get("body"))


class CampaignTextForm(PlainTextMixin, forms.ModelForm):
    """The campaign's title, summary and story in one other language; all empty: none in it.

    Validated like the main texts (lengths, no HTML, the story in Markdown); a title goes with a
    summary, and a story needs both.
    """

    plain_text_fields = ("title", "summary")
    markdown_fields = ("body",)

    class Meta:
        model = CampaignTranslation
        fields = ["title", "summary", "body"]
        labels = {"body": _("What happened and what you ask")}
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args, language_name="", **kwargs):
        super().__init__(*args, **kwargs)
        self.add_text_validators()
        self.language_name = language_name
        for field in self.fields.values():
            field.required = False
        code = self.instance.language
        self.fields["title"].label = _("Title (%(language)s)") % {"language": language_name}
        self.fields["summary"].label = _("Summary (%(language)s)") % {"language": language_name}
        self.fields["body"].label = _("What happened and what you ask (%(language)s)") % {
            "language": language_name
        }
        # Written in its own language and direction: Arabic is edited right to left.
        direction = "rtl" if code in settings.LANGUAGES_BIDI else "ltr"
        for name in ("title", "summary", "body"):
            self.fields[name].widget.attrs.update(lang=code, dir=direction)
        self.helper = form_helper("title", "summary", "body")

    @property
    def submitted(self) -> bool:
        """Whether the POST carried this language's fields (a form without them keeps it)."""
        return self.is_bound and any(self.add_prefix(name) in self.data for name in self.fields)

    def clean_title(self):
        return " ".join(self.cleaned_data.get("title", "").split())

    def clean(self):
        cleaned = super().clean()
        title, summary = cleaned.get("title", ""), cleaned.get("summary", "")
        body = cleaned.get("body", "")
        if (summary or body) and not title and "title" not in self.errors:
            self.add_error("title", _("Write the title in this language, or empty its texts."))
        if (title or body) and not summary and "summary" not in self.errors:
            self.add_error("summary", _("Write the summary in this language, or empty its texts."))
        return cleaned

    @property
    def is_empty(self) -> bool:
        data = self.cleaned_data
        return not (data.get("title") or data.get("summary") or data.get("body"))


def placeholder_help():
    return [("{" + name + "}", description) for name, description in PLACEHOLDERS.items()]


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or place"), required=False, max_length=100)
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("All countries")), *countries]


class CaseChoiceForm(forms.Form):
    """The full set of cases linked to a campaign, as ticked on the page (rendered by hand)."""

    cases = forms.ModelMultipleChoiceField(
        queryset=Case.objects.published(), required=False, label=_("Cases")
    )


class TargetChoiceForm(forms.Form):
    targets = forms.ModelMultipleChoiceField(
        queryset=Target.objects.none(), required=False, label=_("Officials")
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].queryset = targets
