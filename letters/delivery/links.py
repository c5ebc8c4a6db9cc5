"""The links in what a signer receives: their letter as a PDF, one-click unsubscribe, and the
page of every e-mail we send to their address (preferences).

Signed, stateless tokens (idei.tokens) carrying the signature's id, never the address: a URL
ends up in logs and browser histories. The pages that open them are delivery/views.py (the
PDF) and privacy/views.py (unsubscribe).
"""

import datetime

from django.urls import reverse

from idei import tokens
from idei.mail import absolute_url

from ..models import Signature

LETTER_PDF_SALT = "letters.letter_pdf"
LETTER_PDF_MAX_AGE = datetime.timedelta(days=90)
UNSUBSCRIBE_SALT = "letters.unsubscribe"
PREFERENCES_SALT = "letters.preferences"


def letter_pdf_token(signature: Signature) -> str:
    return tokens.make(LETTER_PDF_SALT, signature.pk)


def signature_for_pdf_token(token: str) -> Signature | None:
    """The confirmed, not erased signature a download token names; None if forged or expired."""
    pk = tokens.read(LETTER_PDF_SALT, token, max_age=LETTER_PDF_MAX_AGE)
    if not isinstance(pk, int):
        return None
    return (
        Signature.objects.confirmed()
        .filter(pk=pk, erased_at__isnull=True)
        .select_related("campaign")
        .first()
    )


def letter_pdf_path(signature: Signature) -> str:
    """The download link's path (for pages); e-mails use letter_pdf_url."""
    return reverse("letters:letter_pdf", args=[letter_pdf_token(signature)])


def letter_pdf_url(signature: Signature) -> str:
    return absolute_url(letter_pdf_path(signature))


def unsubscribe_token(signature: Signature) -> str:
    # No expiry: an unsubscribe link in an old e-mail must still work.
    return tokens.make(UNSUBSCRIBE_SALT, signature.pk)


def unsubscribe_url(signature: Signature) -> str:
    return absolute_url(reverse("letters:unsubscribe", args=[unsubscribe_token(signature)]))


def unsubscribe_headers(signature: Signature) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe headers for a non-transactional e-mail to this signer."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(signature)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def signature_for_unsubscribe_token(token: str) -> Signature | None:
    pk = tokens.read(UNSUBSCRIBE_SALT, token)
    if not isinstance(pk, int):
        return None
    return Signature.objects.filter(pk=pk).select_related("campaign__organisation").first()


# The preferences page lists every stream of e-mail to one address. Its link names one record
# of that address, a signature ("s") or a reminder subscription ("sub"), never the address.


def preferences_token(*, signature_id: int | None = None, subscription_id: int | None = None):
    # No expiry: like an unsubscribe link, it must work from an old e-mail.
    if signature_id is not None:
        return tokens.make(PREFERENCES_SALT, {"s": signature_id})
    return tokens.make(PREFERENCES_SALT, {"sub": subscription_id})


def preferences_url(**record) -> str:
    return absolute_url(reverse("letters:preferences", args=[preferences_token(**record)]))


def preferences_record(token: str) -> tuple[str, int] | None:
    """("s", signature id) or ("sub", subscription id) from a preferences link; None if forged."""
    value = tokens.read(PREFERENCES_SALT, token)
    if isinstance(value, dict) and len(value) == 1:
        ((kind, pk),) = value.items()
        if kind in {"s", "sub"} and isinstance(pk, int) and not isinstance(pk, bool):
            return kind, pk
    return None
