"""What a confirmed signature sends: one letter per official."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Target

from .signatures import Signature


class Letter(models.Model):
    """The text one confirmed signature sends to one official."""

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="letters")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="letters")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("letter"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["signature", "target"], name="one_letter_per_target")
        ]
        indexes = [models.Index(fields=["target", "created_at"])]

    def __str__(self):
        return f"{self.signature} → {self.target}"
