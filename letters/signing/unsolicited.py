"""At most a few unsolicited e-mails a day to one mailbox, across every flow.

Anyone can type someone else's address into the sign form, the reminder form or a privacy
request; each makes us send a mail. Counted per canonical address (signing/addresses.py: +tags
and Gmail dots make no difference) and per UTC day, across every campaign and flow, the
mailbox gets at most UNSOLICITED_MAILS_PER_DAY of them; past that nothing more is sent, and
nothing tells the sender. Checked where the mail is written (the confirmation worker, the
reminder and privacy mail functions), never in the sign POST.

The count is a database row (Redis may lose everything; a lost count would lift the cap)
keyed by a keyed hash of the address, so it names nobody and survives an erasure harmlessly.
"""

from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ..models import UnsolicitedMailCount
from .addresses import normalise_email

UNSOLICITED_MAILS_PER_DAY = 5


def mailbox_key(email: str) -> str:
    return salted_hmac("letters.unsolicited-mail", normalise_email(email)).hexdigest()


def allow_unsolicited_mail(email: str) -> bool:
    """Count one unsolicited e-mail to this mailbox today; False once today's cap is reached.

    Call it in the transaction that writes the mail, so that a rollback un-counts it. Two
    queries: an INSERT that does nothing if the day's row exists, and a conditional UPDATE
    that two workers cannot both win past the cap.
    """
    mailbox, today = mailbox_key(email), timezone.now().date()
    UnsolicitedMailCount.objects.bulk_create(
        [UnsolicitedMailCount(mailbox=mailbox, day=today)], ignore_conflicts=True
    )
    return bool(
        UnsolicitedMailCount.objects.filter(
            mailbox=mailbox, day=today, count__lt=UNSOLICITED_MAILS_PER_DAY
        ).update(count=F("count") + 1)
    )
