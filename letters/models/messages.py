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
    SIGNER_NEWS = "signer_news", _("News of officials and cases to a signer")
    RESPONSE_RECEIVED = "response_received", _("An official's reply, to the coordinators")


# Transactional mail (confirmations, data requests) carries no unsubscribe link.
TRANSACTIONAL = {
    MessageKind.CONFIRMATION,
    MessageKind.DATA_REQUEST,
    MessageKind.ERASURE_REQUEST,
    MessageKind.SUBSCRIPTION_CONFIRMATION,
}


class UnsolicitedMailCount(models.Model):
    """How many unsolicited e-mails one mailbox got on one day (signing/unsolicited.py).

    Unsolicited: what anyone who types an address can make us send to it (signing and reminder
    confirmations, privacy requests). The mailbox is a keyed hash of its canonical address, so
    this table names nobody; rows older than a few days are deleted (privacy/retention.py).
    """

    mailbox = models.CharField(max_length=64, editable=False)
    day = models.DateField()
    count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("unsolicited e-mails to one mailbox on one day")
        verbose_name_plural = _("unsolicited e-mails per mailbox and day")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "day"], name="one_mail_count_per_mailbox_day"
            )
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self):
        return f"{self.day}: {self.count}"
