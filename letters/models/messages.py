"""The kinds of e-mail the letters app puts in the outbox (idei.outbox)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Confirmation request")
    SIGNER_COPY = "signer_copy", _("Copy of the letter to the signer")
    LETTER = "letter", _("Letter to an official")
    DIGEST = "digest", _("Daily digest to an official")
    PETITION = "petition", _("Petition to an official")
    DATA_REQUEST = "data_request", _("Personal data, on request")
    ERASURE_REQUEST = "erasure_request", _("Erasure link")
    SUBSCRIPTION_CONFIRMATION = "subscription_confirmation", _("Subscription confirmation")
    REMINDER = "reminder", _("Reminder before 2 November")
    COORDINATOR_REMINDER = "coordinator_reminder", _("Reminder to a coordinator")


# Transactional mail (confirmations, data requests) carries no unsubscribe link.
TRANSACTIONAL = {
    MessageKind.CONFIRMATION,
    MessageKind.DATA_REQUEST,
    MessageKind.ERASURE_REQUEST,
    MessageKind.SUBSCRIPTION_CONFIRMATION,
}
