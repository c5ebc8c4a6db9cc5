"""Officials' responses: what came back, who decided what about it, and what signers heard."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Target
from cases.models import Case
from idei.files import private_storage
from idei.inbound.models import InboundMessage


class ResponseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Response.Status.PUBLISHED)

    def answers(self):
        """Real answers, public or not: what ends an official's silence."""
        return self.filter(status__in=[Response.Status.PUBLISHED, Response.Status.PRIVATE])


class Response(models.Model):
    """What an official sent back about a campaign: a reply by e-mail, or one a coordinator
    recorded (post, phone, meeting, public statement). Public only once a person published it."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        POST = "post", _("Post")
        PHONE = "phone", _("Phone call")
        MEETING = "meeting", _("Meeting")
        STATEMENT = "statement", _("Public statement")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        PUBLISHED = "published", _("Published")
        PRIVATE = "private", _("Kept private")
        NOT_ANSWER = "not_answer", _("Not an answer")
        AUTO_REPLY = "auto_reply", _("Automatic reply")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="responses"
    )
    target = models.ForeignKey(
        Target, verbose_name=_("official"), on_delete=models.PROTECT, related_name="responses"
    )
    cases = models.ManyToManyField(Case, verbose_name=_("cases"), related_name="responses")
    channel = models.CharField(_("received by"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    # The reply as plain text (or the coordinator's summary), and its HTML part sanitised.
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("HTML, sanitised"), blank=True)
    # The From: of a reply as it came; whether it is the official's known address.
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    from_matches_official = models.BooleanField(_("sent from the official's address"), null=True)
    inbound_message = models.OneToOneField(
        InboundMessage,
        verbose_name=_("received message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="response",
    )
    # What the public reads: all of the text or an excerpt, chosen when publishing.
    public_text = models.TextField(_("published text"), blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["target", "status"])]

    def __str__(self):
        return f"{self.target} – {self.campaign} ({self.get_status_display()})"

    @property
    def is_answer(self) -> bool:
        return self.status in {self.Status.PUBLISHED, self.Status.PRIVATE}


class ResponseAttachment(models.Model):
    """A file that came with a reply, or a scan a coordinator uploaded: private, never a URL."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="responses/", storage=private_storage)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.name


class ResponseDecision(models.Model):
    """A moderation decision: who decided what about a response, and when."""

    class Decision(models.TextChoices):
        PUBLISH = "publish", _("Published")
        PRIVATE = "private", _("Kept private")
        NOT_ANSWER = "not_answer", _("Marked as not an answer")
        RECORDED = "recorded", _("Recorded by a coordinator")

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices)
    excerpt = models.BooleanField(_("an excerpt"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("moderation decision")
        verbose_name_plural = _("moderation decisions")
        ordering = ["decided_at", "pk"]

    def __str__(self):
        return f"{self.get_decision_display()} {self.decided_at:%Y-%m-%d %H:%M}"


class SignerNews(models.Model):
    """When one person (an e-mail key) last got news of officials and cases: at most weekly."""

    email_key = models.CharField(max_length=254, unique=True, editable=False)
    last_sent_at = models.DateTimeField()
    # Events up to this moment were in a message already.
    covered_until = models.DateTimeField()

    class Meta:
        verbose_name = _("news sent to a signer")
        verbose_name_plural = _("news sent to signers")

    def __str__(self):
        return f"{self.last_sent_at:%Y-%m-%d}"
