from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from idei.files import private_storage

# What each kind of message is called, registered by the apps that queue them (in their
# AppConfig.ready): the admin shows these labels, the rows keep the plain value.
KIND_LABELS: dict[str, str] = {}
# Kinds a person needs whatever they asked to stop (confirmations, data requests): a complaint
# does not stop these, only a permanent failure does.
TRANSACTIONAL_KINDS: set[str] = set()
# Kinds spread out per recipient domain (letters to officials: see pacing.py).
PACED_KINDS: set[str] = set()


def register_kinds(choices, transactional=(), paced=()) -> None:
    """Name the kinds an app queues: `register_kinds(MessageKind.choices, TRANSACTIONAL)`."""
    KIND_LABELS.update(dict(choices))
    TRANSACTIONAL_KINDS.update(str(kind) for kind in transactional)
    PACED_KINDS.update(str(kind) for kind in paced)


def ref(obj, pk=None) -> str:
    """The reference a message keeps to a domain object: "app_label.model:pk".

    `ref(signature)`, or `ref(Signature, pk)` where only the primary key is at hand.
    """
    return f"{obj._meta.label_lower}:{obj.pk if pk is None else pk}"


class OutgoingMessage(models.Model):
    """One e-mail that must go out exactly once.

    The row, not the Celery task, is the source of truth: Redis may lose every task and the
    sweep re-queues what is pending. A worker claims a row with a conditional UPDATE
    (queued → sending) that must return 1, so two workers never send the same message, and the
    unique idempotency key stops the same message from being queued twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Not sent: the address is on the suppression list (see Suppression).
        SUPPRESSED = "suppressed", _("Suppressed")
        CANCELLED = "cancelled", _("Cancelled")

    idempotency_key = models.CharField(max_length=200, unique=True)
    # What the message is, in the words of the app that queued it ("letter", "invitation"...).
    kind = models.CharField(_("kind"), max_length=30)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    to_email = models.EmailField(_("to"), max_length=254)
    # One address, or several separated by commas (an official's reply address and the signer's).
    reply_to = models.CharField(_("reply to"), max_length=600, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    # Extra headers such as List-Unsubscribe; never From, To or Subject.
    headers = models.JSONField(default=dict, blank=True)
    attachment = models.FileField(upload_to="outbox/", storage=private_storage, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)

    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # When a send task was last enqueued for this row; the sweep re-enqueues only old ones.
    scheduled_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    # References made by ref(): the group a message is counted in (a campaign, an
    # organisation) and the object it is about (a signature, an official, a subscription).
    group = models.CharField(_("group"), max_length=80, blank=True)
    about = models.CharField(_("about"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["group", "kind", "status"]),
            models.Index(fields=["about"]),
        ]

    def __str__(self):
        return f"{self.kind_label} → {self.to_email} ({self.status})"

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


class Suppression(models.Model):
    """An address no message may be sent to (or, after a complaint, no non-transactional one).

    Keeps a keyed hash of the address, never the address: an erasure leaves no address behind
    and the address stays suppressed. suppression.py computes the hash, checks and adds.
    """

    class Reason(models.TextChoices):
        BOUNCE = "bounce", _("Permanent failure")
        COMPLAINT = "complaint", _("Complaint (reported as spam)")
        MANUAL = "manual", _("Added by an operator")

    address_hash = models.CharField(_("address (keyed hash)"), max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    # What the receiving server said, with the address itself removed.
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    source_message = models.ForeignKey(
        OutgoingMessage,
        verbose_name=_("source message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_reason_display()} ({self.created_at:%Y-%m-%d})"

    @property
    def blocks_transactional(self) -> bool:
        return self.reason != self.Reason.COMPLAINT


class DurableTask(models.Model):
    """A sent task whose message Redis may lose: kept until the task has run (durable.py).

    The row is deleted when the task succeeds; one still here after a couple of minutes was
    lost with Redis (or its worker died) and the outbox sweep sends it again, same task id.
    """

    task_id = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    # Routing given when it was first sent (queue, routing_key, priority, headers).
    options = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)
    sends = models.PositiveSmallIntegerField(default=1)

    def __str__(self):
        return f"{self.name} ({self.task_id})"
