from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InboundMessage(models.Model):
    """One e-mail received for the platform's own addresses, kept raw before it is parsed.

    Stored first and parsed afterwards by a task (services.process), so that a parser error
    loses nothing: the row stays "received" with the error, and can be processed again.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received, not processed yet")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Could not be processed")

    class Outcome(models.TextChoices):
        NONE = "", _("None yet")
        BOUNCE = "bounce", _("Permanent failure: address suppressed")
        DELAY = "delay", _("Temporary failure: nothing to do")
        COMPLAINT = "complaint", _("Complaint: unsubscribed from non-transactional mail")
        AUTO_REPLY = "auto_reply", _("Automatic reply: ignored")
        UNMATCHED = "unmatched", _("Not about a message of ours: ignored")
        REPLY = "reply", _("Reply from an official: waiting for moderation")
        HELD = "held", _("Reply that matches no delivered message: held for an admin")
        OTHER = "other", _("Other mail: kept")

    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    # "smtp" for receive_mail, "anymail:<service>" for a webhook.
    source = models.CharField(_("source"), max_length=40)
    envelope_from = models.CharField(_("envelope sender"), max_length=320, blank=True)
    envelope_to = models.JSONField(_("envelope recipients"), default=list)
    raw = models.BinaryField()
    size = models.PositiveIntegerField(_("size in bytes"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.NONE, blank=True
    )
    error = models.TextField(_("error"), blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound mail")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self):
        return f"{self.source} {self.received_at:%Y-%m-%d %H:%M} ({self.status})"
