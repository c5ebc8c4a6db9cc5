"""Letters' models, one module per part of the app: signatures, delivery, reminders."""

from .delivery import Letter
from .messages import TRANSACTIONAL, MessageKind, UnsolicitedMailCount
from .reminders import Reminder, ReminderText, Subscription
from .signatures import BlockedEmailDomain, Signature, SignatureExport, Source, WatchlistEntry

__all__ = [
    "TRANSACTIONAL",
    "BlockedEmailDomain",
    "Letter",
    "MessageKind",
    "Reminder",
    "ReminderText",
    "Signature",
    "SignatureExport",
    "Source",
    "Subscription",
    "UnsolicitedMailCount",
    "WatchlistEntry",
]
