"""Responses: made from a reply or recorded by a coordinator, then moderated.

Nothing an official sent is public until a coordinator of the campaign's organisation published
it (`decide`), and every decision is a ResponseDecision row (who, what, when). A reply is
attributed to an official only through the reply token of a message actually sent to them.
"""

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from campaigns.access import CAN_EDIT
from campaigns.models import Campaign, Membership
from idei import page_cache
from idei.inbound.models import InboundMessage
from idei.mail import absolute_url, render_email
from idei.outbox import services as outbox
from idei.outbox.models import OutgoingMessage, ref

from ..delivery import replies
from ..models import Letter, MessageKind, Response, ResponseAttachment, ResponseDecision
from . import content

logger = logging.getLogger(__name__)

Outcome = InboundMessage.Outcome
Status = Response.Status
Decision = ResponseDecision.Decision
OFFICIAL_KINDS = [MessageKind.LETTER, MessageKind.DIGEST, MessageKind.PETITION]


def sent_to_official(campaign_id: int, target_id: int):
    """Messages to this official in this campaign that went out (letters, digests, petitions)."""
    letter_keys = [
        f"letter:{pk}"
        for pk in Letter.objects.filter(
            signature__campaign_id=campaign_id, target_id=target_id
        ).values_list("pk", flat=True)[:10_000]
    ]
    return OutgoingMessage.objects.filter(
        Q(about=f"campaigns.target:{target_id}") | Q(idempotency_key__in=letter_keys),
        group=f"campaigns.campaign:{campaign_id}",
        kind__in=OFFICIAL_KINDS,
        status=OutgoingMessage.Status.SENT,
    )


# -- Replies by e-mail (the reply+<token> route of receive_mail) ----------------------------


def receive_reply(message: InboundMessage, email_message, *, token: str, auto_reply: bool) -> str:
    """Turn a stored message sent to reply+<token>@ into a response, once; returns its outcome.

    Held for an admin (raw kept, nothing made): not MIME, or a token naming no official of a
    campaign, or an official to whom nothing was delivered in that campaign.
    """
    found = replies.campaign_and_target(token)
    if found is None:
        logger.info("responses: message %s names no campaign official", message.pk)
        return Outcome.HELD
    campaign_id, target_id = found
    if not sent_to_official(campaign_id, target_id).exists():
        logger.info("responses: message %s answers nothing delivered", message.pk)
        return Outcome.HELD
    reply = content.read_reply(email_message)
    if not reply.looks_like_mail or not (reply.text or reply.html or reply.attachments):
        return Outcome.HELD
    if Response.objects.filter(inbound_message=message).exists():
        return Outcome.AUTO_REPLY if auto_reply else Outcome.REPLY
    campaign = Campaign.objects.get(pk=campaign_id)
    target = campaign.targets.get(pk=target_id)
    response = Response.objects.create(
        campaign=campaign,
        target=target,
        channel=Response.Channel.EMAIL,
        status=Status.AUTO_REPLY if auto_reply else Status.PENDING,
        received_at=message.received_at,
        subject=reply.subject,
        text=reply.text,
        html=reply.html,
        from_address=reply.from_address,
        from_matches_official=content.same_address(reply.from_address, target.email),
        inbound_message=message,
    )
    response.cases.set(campaign.cases.all())
    for attachment in reply.attachments:
        add_attachment(response, attachment.name, attachment.content_type, attachment.data)
    if not auto_reply:
        tell_coordinators(response)
    return Outcome.AUTO_REPLY if auto_reply else Outcome.REPLY


def tell_coordinators(response: Response) -> int:
    """Mail the campaign's owners and coordinators that a reply waits for their decision.

    The mail names the official and the campaign, never the reply's content: it is read on the
    moderation page, where the sender's address is checked.
    """
    members = Membership.objects.filter(
        organisation_id=response.campaign.organisation_id, role__in=CAN_EDIT
    ).select_related("user")
    url = absolute_url(reverse("letters:responses:detail", args=[response.pk]))
    queued = 0
    for membership in members:
        user = membership.user
        if not user.email or not user.is_active:
            continue
        rendered = render_email(
            "response_received",
            {"user": user, "response": response, "campaign": response.campaign, "url": url},
        )
        outbox.enqueue(
            kind=MessageKind.RESPONSE_RECEIVED,
            key=f"response_received:{response.pk}:{user.pk}",
            to=user.email,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            group=ref(response.campaign),
        )
        queued += 1
    return queued


def add_attachment(response: Response, name: str, content_type: str, data: bytes):
    row = ResponseAttachment(
        response=response, name=name, content_type=content_type, size=len(data)
    )
    row.file.save(name, ContentFile(data), save=False)
    row.save()
    return row


# -- Responses by other ways ----------------------------------------------------------------


def record_response(
    campaign: Campaign, target, *, channel, received_on, summary, cases=None, scan=None, user=None
) -> Response:
    """A response received by post, phone, meeting or public statement; waits for moderation.

    `scan`: (name, bytes) already cleaned by content.clean_scan.
    """
    with transaction.atomic():
        response = Response.objects.create(
            campaign=campaign,
            target=target,
            channel=channel,
            received_at=received_on,
            text=summary,
            recorded_by=user,
        )
        response.cases.set(cases if cases is not None else campaign.cases.all())
        if scan is not None:
            name, data, content_type = scan
            add_attachment(response, name, content_type, data)
        ResponseDecision.objects.create(
            response=response, decision=Decision.RECORDED, decided_by=user
        )
    return response


# -- Moderation -------------------------------------------------------------------------------

STATUS_OF_DECISION = {
    Decision.PUBLISH: Status.PUBLISHED,
    Decision.PRIVATE: Status.PRIVATE,
    Decision.NOT_ANSWER: Status.NOT_ANSWER,
}


def decide(response: Response, decision: str, *, user, public_text: str = "") -> bool:
    """Publish (all of the text or an excerpt), keep private, or mark as not an answer.

    Logged with who and when; returns False if the response is already in that state with the
    same text (a repeated submit changes nothing).
    """
    status = STATUS_OF_DECISION[decision]
    public_text = public_text.strip() if decision == Decision.PUBLISH else ""
    with transaction.atomic():
        locked = Response.objects.select_for_update().get(pk=response.pk)
        if locked.status == status and locked.public_text == public_text:
            return False
        full = content.without_quote(locked.text) or locked.text
        locked.status = status
        locked.public_text = public_text
        if status == Status.PUBLISHED and locked.published_at is None:
            locked.published_at = timezone.now()
        if status != Status.PUBLISHED:
            locked.published_at = None
        locked.save(update_fields=["status", "public_text", "published_at"])
        ResponseDecision.objects.create(
            response=locked,
            decision=decision,
            excerpt=bool(public_text) and public_text != full.strip(),
            decided_by=user,
        )
        recount_published(locked.campaign_id)
        # The campaign page is cached: a new excerpt keeps the count but changes the page.
        transaction.on_commit(page_cache.invalidate)
    response.refresh_from_db()
    return True


def recount_published(campaign_id: int) -> None:
    """Campaign.responses_published from an exact count (the API and pages read the field)."""
    count = Response.objects.published().filter(campaign_id=campaign_id).count()
    # save() rather than update(): the campaign page is cached, and its post_save clears it.
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.responses_published != count:
        campaign.responses_published = count
        campaign.save(update_fields=["responses_published"])
