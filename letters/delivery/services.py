"""Delivery: from a confirmed signature to letters in the officials' inboxes.

A campaign's delivery mode decides when officials hear from it:

- each: every letter is e-mailed to its official as soon as the signature is confirmed;
- digest: once a day, each official gets one message listing the day's letters;
- petition: nothing until the campaign closes, then each official gets one message with the
  petition PDF (the letter, the cases and the signers who agreed to share their name).

Every message is an outbox row whose idempotency key names what it is (`letter:<letter>`,
`digest:<campaign>:<target>:<day>`, `petition:<campaign>:<target>`, `signer_copy:<signature>`),
so running any step again, after a crash or by hand, sends nothing twice.

Who learns what: the From: address is always DEFAULT_FROM_EMAIL. An official sees the signer's
name, city and address (as Reply-To) only if the signer agreed to share their name; otherwise
the letter is signed "A supporter from <country>". Officials without an e-mail address get no
message: their letters are for the post (the signer's PDF has the postal address).
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns import addresses, letter_templates
from campaigns.letter_templates import Signer, choose_template, compose_letter
from campaigns.models import Campaign
from idei.mail import absolute_url, render_email
from idei.outbox import services as outbox
from idei.outbox.models import OutgoingMessage, ref

from ..models import Letter, MessageKind, Signature
from . import links, replies
from .composition import (
    build_letter,
    edited_text,
    letter_as_sent,
    letters_as_sent,
    shares_name,
    supporter_name,
)
from .pdf import SignerList, petition_folder, petition_language, petition_pdf, signer_list

logger = logging.getLogger(__name__)

Kind = MessageKind
Mode = Campaign.DeliveryMode

# A day's digest goes out only once the day is over and this much longer: a confirmation that
# started at 23:59:59 has committed its letter by then (transactions take milliseconds).
DIGEST_SETTLE = datetime.timedelta(minutes=15)
# Each run also looks back this many days, so a day missed while beat was down still goes out.
DIGEST_CATCH_UP_DAYS = 7


# -- Letters ---------------------------------------------------------------------------------


def on_signature_confirmed(signature: Signature) -> list[Letter]:
    """Write one letter per official and queue the signer's copy and, in "each" mode, the letters.

    Called by letters.services.confirm inside the confirmation transaction, so the letters and
    their outbox rows exist exactly when the confirmation does; sending starts after commit.
    Calling it again for the same signature adds nothing.
    """
    if signature.confirmed_at is None:
        raise ValueError("only a confirmed signature is delivered")
    campaign = signature.campaign
    templates = {template.language: template for template in campaign.letter_templates.all()}
    # The officials with their link rows: the link's id is their reply address's token.
    campaign_targets = list(
        replies.CampaignTarget.objects.filter(campaign_id=campaign.pk)
        .select_related("target")
        .order_by("target_id")
    )
    targets = [link.target for link in campaign_targets]
    cases = list(campaign.letter_cases())
    now = timezone.now()
    new_letters = [build_letter(signature, target, templates, cases, now) for target in targets]
    if not templates:
        logger.error("campaign %s has no letter template: nothing to deliver", campaign.pk)
    Letter.objects.bulk_create([letter for letter in new_letters if letter], ignore_conflicts=True)
    letters = list(signature.letters.select_related("target").order_by("pk"))

    messages = [signer_copy(signature, letters, templates=templates, cases=cases)]
    # A held signature's letters wait for an admin to count it (letters.services).
    if campaign.delivery_mode == Mode.EACH and signature.held_by_id is None:
        reply_to = {link.target_id: replies.address_for_link(link.pk) for link in campaign_targets}
        messages += [
            letter_message(letter, reply_to.get(letter.target_id, ""))
            for letter in letters
            if letter.target.email
        ]
    enqueue_all(messages)
    return letters


def enqueue_all(messages: Iterable[OutgoingMessage]) -> None:
    """Queue these rows in one statement; rows whose key exists already are left as they are.

    One send task for all of them after commit, so they share one SMTP connection.
    """
    messages = list(messages)
    if not messages:
        return
    OutgoingMessage.objects.bulk_create(messages, ignore_conflicts=True)
    keys = [message.idempotency_key for message in messages]
    pks = OutgoingMessage.objects.filter(
        idempotency_key__in=keys, status=OutgoingMessage.Status.QUEUED
    ).values_list("pk", flat=True)
    outbox.schedule(list(pks))


def outgoing(*, kind, key, to, rendered, **fields) -> OutgoingMessage:
    return OutgoingMessage(
        kind=kind,
        idempotency_key=key,
        to_email=to,
        subject=rendered.subject[:300],
        body_text=rendered.text,
        body_html=rendered.html,
        **fields,
    )


# -- The signer's copy -----------------------------------------------------------------------


def unsubscribe_link(headers: dict) -> str:
    """The https link inside a List-Unsubscribe header, for the visible link in the body."""
    for part in headers.get("List-Unsubscribe", "").split(","):
        part = part.strip().strip("<>")
        if part.startswith(("https://", "http://")):
            return part
    return ""


def signer_copy(
    signature: Signature, letters: list[Letter], *, templates=None, cases=None
) -> OutgoingMessage:
    """The signer's copy: their letters as sent (with a translation into the signer's language
    where the official reads another), what happens next, and the PDF to print and post."""
    campaign = signature.campaign
    headers = links.unsubscribe_headers(signature)
    context = {
        "signature": signature,
        "campaign": campaign,
        "organisation": campaign.organisation,
        "letters": letters_as_sent(signature, templates=templates, cases=cases, written=letters),
        "mode": campaign.delivery_mode,
        "shares_name": shares_name(signature),
        "supporter_name": None,
        "pdf_url": links.letter_pdf_url(signature),
        "campaign_url": absolute_url(campaign.get_absolute_url()),
        "emailed": [letter.target for letter in letters if letter.target.email],
        "postal_only": [
            {
                "target": letter.target,
                "address": addresses.one_line(letter.target, signature.language),
            }
            for letter in letters
            if not letter.target.email
        ],
        "unsubscribe_url": unsubscribe_link(headers),
        "preferences_url": links.preferences_url(signature_id=signature.pk),
    }
    with translation.override(signature.language):
        context["supporter_name"] = supporter_name(signature)
    rendered = render_email("signer_copy", context, language=signature.language)
    return outgoing(
        kind=Kind.SIGNER_COPY,
        key=f"signer_copy:{signature.pk}",
        to=signature.email,
        rendered=rendered,
        headers=headers,
        group=ref(campaign),
        about=ref(signature),
    )


# -- Each letter as it comes -----------------------------------------------------------------


def letter_message(letter: Letter, reply_address: str | None = None) -> OutgoingMessage:
    """One letter to its official. Reply-To: the official's reply address for the campaign, and
    the signer's address too if they agreed to share their name."""
    signature, target = letter.signature, letter.target
    campaign = signature.campaign
    shared = shares_name(signature)
    rendered = render_email(
        "letter",
        {
            "letter": letter,
            "sent": letter_as_sent(letter),
            "target": target,
            "position": letter_templates.position_in(target, target.language),
            "campaign": campaign,
            "organisation": campaign.organisation,
            "shares_name": shared,
            "signer_name": signature.name if shared else "",
            "campaign_url": absolute_url(campaign.get_absolute_url()),
        },
        language=target.language,
    )
    return outgoing(
        kind=Kind.LETTER,
        key=f"letter:{letter.pk}",
        to=target.email,
        rendered=rendered,
        reply_to=replies.joined(
            replies.reply_address(campaign.pk, target.pk)
            if reply_address is None
            else reply_address,
            signature.email if shared else "",
        ),
        group=ref(campaign),
        about=ref(signature),
    )


# -- Daily digests ---------------------------------------------------------------------------


def digest_key(campaign_id: int, target_id: int, day: datetime.date) -> str:
    return f"digest:{campaign_id}:{target_id}:{day.isoformat()}"


def last_complete_day(now=None) -> datetime.date:
    """The latest day (site time zone) that is over and settled: yesterday after 00:15."""
    now = now or timezone.now()
    return timezone.localdate(now - DIGEST_SETTLE) - datetime.timedelta(days=1)


def day_bounds(first: datetime.date, last: datetime.date) -> tuple:
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return start, end


def send_daily_digests(day: datetime.date | None = None, now=None) -> int:
    """Queue one digest per official and digest campaign for each complete day up to `day`.

    A letter belongs to the day (site time zone) it was written, which is the day its signature
    was confirmed, and its digest's key names that day: a run for a day that is not over yet
    sends nothing, so a letter confirmed late on a day goes out with the next run, and a day
    whose digest exists is never sent again. Each run also catches up on the days before it
    (DIGEST_CATCH_UP_DAYS). Returns the number of digests queued.
    """
    last = last_complete_day(now)
    if day is None or day > last:
        day = last
    first = day - datetime.timedelta(days=DIGEST_CATCH_UP_DAYS - 1)
    start, end = day_bounds(first, day)
    groups = list(
        Letter.objects.filter(
            signature__campaign__delivery_mode=Mode.DIGEST,
            signature__held_by__isnull=True,
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(target__email="")
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values_list("signature__campaign_id", "target_id", "day")
        .annotate(n=Count("id"))
        .order_by("signature__campaign_id", "target_id", "day")
    )
    keys = {digest_key(c, t, d): (c, t, d) for c, t, d, _ in groups}
    done = set(
        OutgoingMessage.objects.filter(idempotency_key__in=list(keys)).values_list(
            "idempotency_key", flat=True
        )
    )
    queued = 0
    for key, (campaign_id, target_id, group_day) in keys.items():
        if key in done:
            continue
        with transaction.atomic():
            message = digest_message(campaign_id, target_id, group_day)
            enqueue_all([message])
        queued += 1
    return queued


@dataclass
class DigestEntry:
    number: int
    signer: str
    place: str
    message: str
    full_text: str  # only when it differs from the campaign's letter


def digest_message(campaign_id: int, target_id: int, day: datetime.date) -> OutgoingMessage:
    """One official's digest of one campaign's letters written on one day."""
    start, end = day_bounds(day, day)
    letters = list(
        Letter.objects.filter(
            signature__campaign_id=campaign_id,
            signature__held_by__isnull=True,
            target_id=target_id,
            created_at__gte=start,
            created_at__lt=end,
        )
        .select_related("signature", "signature__campaign__organisation", "target")
        .order_by("created_at", "pk")
    )
    target = letters[0].target
    campaign = letters[0].signature.campaign
    standard = standard_letter(campaign, target)
    entries = []
    with translation.override(target.language):
        for number, letter in enumerate(letters, 1):
            signature = letter.signature
            shared = shares_name(signature)
            differs = bool(edited_text(signature)) or (
                standard is not None and letter.language != standard["language"]
            )
            entries.append(
                DigestEntry(
                    number=number,
                    signer=signature.name if shared else supporter_name(signature),
                    # Without consent the country is already in "A supporter from ...".
                    place=", ".join(
                        part
                        for part in [signature.city, str(signature.country.name)]
                        if part and signature.country
                    )
                    if shared
                    else "",
                    message=signature.message.strip(),
                    full_text=letter.body if differs else "",
                )
            )
    rendered = render_email(
        "digest",
        {
            "target": target,
            "campaign": campaign,
            "organisation": campaign.organisation,
            "day": day,
            "count": len(entries),
            "standard": standard,
            "entries": entries,
            "campaign_url": absolute_url(campaign.get_absolute_url()),
        },
        language=target.language,
    )
    return outgoing(
        kind=Kind.DIGEST,
        key=digest_key(campaign_id, target_id, day),
        to=target.email,
        rendered=rendered,
        reply_to=replies.reply_address(campaign.pk, target.pk),
        group=ref(campaign),
        about=ref(target),
    )


def standard_letter(campaign: Campaign, target) -> dict | None:
    """The campaign's letter to this official, signed by "the undersigned"."""
    templates = {template.language: template for template in campaign.letter_templates.all()}
    template = choose_template(templates, target.language)
    if template is None:
        return None
    with translation.override(template.language):
        undersigned = Signer(name=_("The undersigned"), shares_name=True)
    composed = compose_letter(
        templates, target, list(campaign.letter_cases()), undersigned, language=template.language
    )
    if composed is None:
        return None
    return {"language": composed.language, "subject": composed.subject, "body": composed.body}


# -- Petition at close -----------------------------------------------------------------------


def petition_key(campaign_id: int, target_id: int) -> str:
    return f"petition:{campaign_id}:{target_id}"


def petition_file(campaign: Campaign, target, signers: SignerList | None = None) -> str:
    """The petition PDF for this official, as a name in the private storage.

    `signers`: the campaign's signer list in the official's language, if already laid out.
    """
    path = petition_pdf(campaign, target=target, signers=signers)
    return str(Path(path).relative_to(Path(settings.PRIVATE_FILES_ROOT)))


def deliver_petition(campaign: Campaign) -> int:
    """Queue the petition to every official with an e-mail address; returns how many queued.

    Each official's PDF is made only if their message is not queued yet, so running this again
    sends nothing twice and makes no PDF for nothing. The signer list is laid out once per
    language for all of them (and not at all if an earlier petition's part is still current);
    each PDF lays out only its cover pages.
    """
    if campaign.delivery_mode != Mode.PETITION:
        return 0
    targets = list(campaign.targets.exclude(email="").order_by("pk"))
    done = set(
        OutgoingMessage.objects.filter(
            idempotency_key__in=[petition_key(campaign.pk, target.pk) for target in targets]
        ).values_list("idempotency_key", flat=True)
    )
    signers = Signature.objects.counted().filter(campaign=campaign)
    figures = signers.aggregate(
        total=Count("id"),
        named=Count("id", filter=Q(consent_share_name=True, erased_at__isnull=True)),
    )
    signer_lists: dict[str, SignerList] = {}
    queued = 0
    for target in targets:
        key = petition_key(campaign.pk, target.pk)
        if key in done:
            continue
        language = petition_language(campaign, target)
        if language not in signer_lists:
            signer_lists[language] = signer_list(campaign, language)
        attachment = petition_file(campaign, target, signer_lists[language])
        rendered = render_email(
            "petition",
            {
                "target": target,
                "campaign": campaign,
                "organisation": campaign.organisation,
                "standard": standard_letter(campaign, target),
                "total": figures["total"],
                "named": figures["named"],
                "attached": bool(attachment),
                "campaign_url": absolute_url(campaign.get_absolute_url()),
            },
            language=target.language,
        )
        message = outbox.enqueue(
            kind=Kind.PETITION,
            key=key,
            to=target.email,
            subject=rendered.subject[:300],
            body_text=rendered.text,
            body_html=rendered.html,
            attachment=attachment,
            attachment_name=f"petition-{campaign.slug}.pdf" if attachment else "",
            reply_to=replies.reply_address(campaign.pk, target.pk),
            group=ref(campaign),
            about=ref(target),
        )
        if attachment and message.attachment.name != attachment:
            # Another run queued this official's petition first: this PDF is not needed.
            message.attachment.storage.delete(attachment)
        queued += 1
    return queued


# -- After an erasure: petition files that may list the person ------------------------------

# A queued petition waits this long for its PDF to be laid out again without an erased signer
# (forget_petition_signers); the task that does it releases it at once.
PETITION_HOLD = datetime.timedelta(hours=6)


def forget_petition_signers(campaign_id: int) -> list[int]:
    """Remove every kept petition file of a campaign, since it may name an erased signer.

    Signer lists and coordinators' petitions are laid out again when next asked for. What
    officials were already sent is out of reach; our copies of those attachments go. A petition
    still queued is held back (PETITION_HOLD) and its PDF laid out again without the person
    (refresh_queued_petitions, in a task): the pks of those messages.
    """
    campaign = Campaign.objects.filter(pk=campaign_id).only("pk", "slug").first()
    if campaign is None:
        return []
    petitions = OutgoingMessage.objects.filter(group=ref(campaign), kind=Kind.PETITION).exclude(
        attachment=""
    )
    unsent = [OutgoingMessage.Status.QUEUED, OutgoingMessage.Status.SENDING]
    with transaction.atomic():
        held = list(
            petitions.select_for_update().filter(status__in=unsent).values_list("pk", "attachment")
        )
        OutgoingMessage.objects.filter(
            pk__in=[pk for pk, _ in held], status=OutgoingMessage.Status.QUEUED
        ).update(next_attempt_at=timezone.now() + PETITION_HOLD)
        done = list(petitions.exclude(status__in=unsent).values_list("pk", "attachment"))
        OutgoingMessage.objects.filter(pk__in=[pk for pk, _ in done]).update(attachment="")
    keep = {Path(settings.PRIVATE_FILES_ROOT) / name for _, name in held}
    folder = petition_folder(campaign)
    for path in list(folder.glob("*")) if folder.is_dir() else []:
        if path not in keep and path.is_file():
            path.unlink(missing_ok=True)
    return [pk for pk, _ in held]


def refresh_queued_petitions(message_pks: list[int]) -> int:
    """Lay out these held petitions again from the signers as they are now, then release them.

    A message that a worker was sending meanwhile went out as it was; its old file goes.
    """
    refreshed = 0
    signer_lists: dict[tuple[int, str], SignerList] = {}
    messages = OutgoingMessage.objects.filter(pk__in=message_pks, kind=Kind.PETITION)
    for message in messages:
        old = message.attachment.name
        campaign = Campaign.objects.select_related("organisation").get(pk=_ref_pk(message.group))
        target = campaign.targets.get(pk=_ref_pk(message.about))
        language = petition_language(campaign, target)
        if (campaign.pk, language) not in signer_lists:
            signer_lists[campaign.pk, language] = signer_list(campaign, language)
        new = petition_file(campaign, target, signer_lists[campaign.pk, language])
        replaced = OutgoingMessage.objects.filter(
            pk=message.pk, status=OutgoingMessage.Status.QUEUED, attachment=old
        ).update(attachment=new, next_attempt_at=timezone.now())
        if replaced:
            outbox.schedule([message.pk])
            refreshed += 1
        else:  # sent meanwhile: nothing to refresh, and our copy of the new one is not needed
            message.attachment.storage.delete(new)
            OutgoingMessage.objects.filter(pk=message.pk).exclude(
                status=OutgoingMessage.Status.QUEUED
            ).update(attachment="")
        if old:
            message.attachment.storage.delete(old)
    return refreshed


def _ref_pk(reference: str) -> int:
    return int(reference.rsplit(":", 1)[1])
