"""Coordinators' forms for responses: a moderation decision, and a response by other ways."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.forms import form_helper

from ..models import Response, ResponseDecision
from . import content

MAX_SCAN_BYTES = 10 * 1024 * 1024
MAX_SUMMARY = 10_000
MAX_PUBLIC_TEXT = 100_000
Decision = ResponseDecision.Decision


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (Decision.PUBLISH, _("Publish: the text below appears on the public pages")),
            (Decision.PRIVATE, _("Keep private: an answer, but not shown to the public")),
            (Decision.NOT_ANSWER, _("Not an answer (an acknowledgement, spam, a mistake)")),
        ],
    )
    public_text = forms.CharField(
        label=_("Text to publish"),
        required=False,
        max_length=MAX_PUBLIC_TEXT,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "All of the answer or an excerpt. The quoted letter below the answer is left out; "
            "remove any personal data (names of signers, private addresses) before publishing."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper()

    def clean_public_text(self):
        text = self.cleaned_data["public_text"].replace("\x00", "").strip()
        return "\n".join(line.rstrip() for line in text.splitlines())

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == Decision.PUBLISH and not cleaned.get("public_text"):
            self.add_error("public_text", _("Give the text to publish."))
        return cleaned


class DateInput(forms.DateInput):
    input_type = "date"


class RecordResponseForm(forms.Form):
    """A response received by post, phone, meeting or public statement."""

    target = forms.ModelChoiceField(label=_("Official"), queryset=None, empty_label=None)
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[c for c in Response.Channel.choices if c[0] != Response.Channel.EMAIL],
    )
    received_on = forms.DateField(label=_("Date received"), widget=DateInput)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=MAX_SUMMARY,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What the official said or wrote, in a few sentences."),
    )
    scan = forms.FileField(
        label=_("Scan or photo (optional)"),
        required=False,
        help_text=_("A PDF, JPEG, PNG or WebP file of at most 10 MB. Photos lose their metadata."),
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = campaign.targets.order_by("name")
        self.helper = form_helper()
        self.cleaned_scan = None

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        if day < datetime.date(2000, 1, 1):
            raise ValidationError(_("The date is too far in the past."))
        return day

    def clean_summary(self):
        text = self.cleaned_data["summary"].replace("\x00", "").strip()
        if not text:
            raise ValidationError(_("Write what the official said."))
        return text

    def clean_scan(self):
        upload = self.cleaned_data.get("scan")
        if not isinstance(upload, UploadedFile):
            return None
        if upload.size > MAX_SCAN_BYTES:
            raise ValidationError(
                _("The file is %(size)s; the largest allowed is %(max)s."),
                params={
                    "size": filesizeformat(upload.size),
                    "max": filesizeformat(MAX_SCAN_BYTES),
                },
            )
        data = upload.read(MAX_SCAN_BYTES + 1)
        try:
            clean, content_type, extension = content.clean_scan(data)
        except content.UnsupportedFile as error:
            raise ValidationError(_("Upload a PDF, JPEG, PNG or WebP file.")) from error
        self.cleaned_scan = (f"scan.{extension}", clean, content_type)
        return upload
