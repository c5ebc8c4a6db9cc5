"""The letter as it is sent: one signer's letters to the officials, composed in one place.

campaigns.letter_templates.compose_letter makes every letter's text; this module says what a
signature lets it say (signer_of) and gives the letters as sent, with a translation into the
signer's language when the official reads another one, to every page, e-mail and PDF that shows
them: the confirm page, the e-mail to the official, the signer's copy and the signer's PDF.
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import get_language_info

from campaigns import letter_templates
from campaigns.letter_templates import ComposedLetter, Signer, compose_letter, message_label

from ..models import Letter, Signature


def shares_name(signature: Signature) -> bool:
    return signature.consent_share_name and signature.erased_at is None


def edited_text(signature: Signature) -> str:
    """The letter as the signer rewrote it, if the campaign allows signers to edit."""
    return signature.letter_text.strip() if signature.campaign.signers_may_edit else ""


def signer_of(signature: Signature) -> Signer:
    """What a letter may say of this signer (campaigns.letter_templates.compose_letter)."""
    erased = signature.erased_at is not None
    return Signer(
        name=signature.name,
        city=signature.city,
        country=str(signature.country.code or "") if signature.country else "",
        shares_name=shares_name(signature),
        message="" if erased else signature.message,
        edited_text=edited_text(signature),
        language=signature.language,
    )


def supporter_name(signature: Signature) -> str:
    """How a letter is signed when the signer did not agree to share their name."""
    return letter_templates.supporter_name(str(signature.country.name) if signature.country else "")


def build_letter(signature: Signature, target, templates: dict, cases, now) -> Letter | None:
    """The letter this signature sends to this official (not saved)."""
    composed = compose_letter(templates, target, cases, signer_of(signature))
    if composed is None:
        return None
    return Letter(
        signature=signature,
        target=target,
        language=composed.language,
        subject=composed.subject,
        body=composed.body,
        created_at=now,
    )


def letter_as_sent(letter: Letter) -> ComposedLetter:
    """A written letter as its official reads it: the body, then the signer's message."""
    signature = letter.signature
    message = "" if signature.erased_at is not None else signature.message.strip()
    return ComposedLetter(
        language=letter.language,
        subject=letter.subject,
        body=letter.body,
        message=message,
        message_label=message_label(letter.language) if message else "",
    )


@dataclass(frozen=True)
class LetterAsSent:
    """One official's letter as sent, and the same letter in the signer's language if it differs."""

    target: object
    sent: ComposedLetter
    translation: ComposedLetter | None
    date: object

    @property
    def language_name(self) -> str:
        return language_name(self.sent.language)

    @property
    def translation_language_name(self) -> str:
        return language_name(self.translation.language) if self.translation else ""


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def letters_as_sent(
    signature: Signature, *, templates: dict | None = None, cases=None, written=None
) -> list[LetterAsSent]:
    """The signature's letters, one per official: the rows written at confirmation, or, before
    it, composed now from the campaign's templates by the same function that writes them.

    `templates`, `cases` and `written` (the Letter rows) save their queries when at hand.
    """
    campaign = signature.campaign
    if templates is None:
        templates = {t.language: t for t in campaign.letter_templates.all()}
    if cases is None:
        cases = list(campaign.letter_cases())
    signer = signer_of(signature)
    if written is None:
        written = list(signature.letters.select_related("target").order_by("pk"))
    if written:
        pairs = [(letter.target, letter_as_sent(letter), letter.created_at) for letter in written]
    else:
        now = signature.confirmed_at or timezone.now()
        pairs = []
        for target in campaign.targets.order_by("pk"):
            composed = compose_letter(templates, target, cases, signer)
            if composed is not None:
                pairs.append((target, composed, now))
    result = []
    for target, sent, when in pairs:
        translation = None
        if (
            sent.language != signature.language
            and signature.language in templates
            and not signer.edited_text
        ):
            translation = compose_letter(
                templates, target, cases, signer, language=signature.language
            )
        result.append(LetterAsSent(target, sent, translation, timezone.localdate(when)))
    return result
