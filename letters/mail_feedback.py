"""What letters does when the outbox reports an address (idei/outbox/signals.py).

A permanent failure marks the address's signatures and subscriptions bounced (reminders skip
bounced subscriptions); a complaint stops everything non-transactional to it, as the
unsubscribe link does. The outbox's suppression list already stops the sending itself.
"""

from django.utils import timezone

from .models import Signature, Subscription
from .signing.addresses import normalise_email


def mark_bounced(sender, address: str, **kwargs) -> None:
    # The same mailbox only: the key finds the rows fast, the address keeps +tags apart.
    same_mailbox = {"email_key": normalise_email(address), "email__iexact": address.strip()}
    now = timezone.now()
    Signature.objects.filter(**same_mailbox, bounced_at__isnull=True).update(bounced_at=now)
    Subscription.objects.filter(**same_mailbox, bounced_at__isnull=True).update(bounced_at=now)


def unsubscribe_after_complaint(sender, address: str, **kwargs) -> None:
    email_key = normalise_email(address)
    Signature.objects.filter(email_key=email_key).update(
        consent_updates=False, consent_reminders=False
    )
    Subscription.objects.filter(email_key=email_key, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
