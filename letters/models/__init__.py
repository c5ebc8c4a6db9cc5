"""Letters' models, one module per part of the app: signatures, delivery, reminders."""

from .delivery import Letter
from .messages import TRANSACTIONAL, MessageKind, UnsolicitedMailCount
from .reminders import Reminder, ReminderText, Subscription
from .responses import Response, ResponseAttachment, ResponseDecision, SignerNews
from .signatures import BlockedEmailDomain, Signature, SignatureExport, Source, WatchlistEntry

__all__ = [
    "TRANSACTIONAL",
    "BlockedEmailDomain",
    "Letter",
    "MessageKind",
    "Reminder",
    "ReminderText",
    "Response",
    "ResponseAttachment",
    "ResponseDecision",
    "Signature",
    "SignatureExport",
    "SignerNews",
    "Source",
    "Subscription",
    "UnsolicitedMailCount",
    "WatchlistEntry",
]
