"""A campaign whose letters reached an official, and the replies officials send back."""

import datetime
from email.message import EmailMessage

from django.utils import timezone

from campaigns.models import Campaign, Membership
from idei.outbox.models import OutgoingMessage
from letters.delivery import replies
from letters.delivery import services as delivery
from letters.models import Letter
from tests.factories import CaseFactory, MembershipFactory, TargetFactory, UserFactory
from tests.letters.factories import CampaignFactory, LetterTemplateFactory, SignatureFactory

DOMAIN = "idei.example.org"


class World:
    pass


def forged_address(reply_address: str) -> str:
    """The reply address with two characters of its signed token changed, never to what they
    were (a token ending in "00" would otherwise stay the real one, about once in a thousand)."""
    local, _, _domain = reply_address.partition("@")
    tail = "11" if local.endswith("00") else "00"
    return f"{local[:-2]}{tail}@{DOMAIN}"


def delivered_world(*, send=False, signers=(("Ana Signer", "ana@example.net", True),)):
    """A published "each" campaign about a Mexican case, its letters written (and marked sent,
    unless `send`: then queued for a real worker to send)."""
    world = World()
    world.coordinator = UserFactory(username="coordinator")
    membership = MembershipFactory(
        user=world.coordinator, role=Membership.Role.COORDINATOR, organisation__slug="our-org"
    )
    world.organisation = membership.organisation
    world.case = CaseFactory(full_name="Lucía Beltrán Ortega", country="MX")
    world.campaign = CampaignFactory(
        organisation=world.organisation,
        slug="justice-for-lucia",
        title="Justice for Lucía",
        status=Campaign.Status.PUBLISHED,
        delivery_mode=Campaign.DeliveryMode.EACH,
    )
    LetterTemplateFactory(campaign=world.campaign, language="en")
    world.target = TargetFactory(
        name="Ana Ruiz", email="fiscal@gov.example.org", country="MX", language="en"
    )
    world.campaign.cases.add(world.case)
    world.campaign.targets.add(world.target)
    world.reply_address = replies.reply_address(world.campaign.pk, world.target.pk)
    world.signatures = []
    for name, email, consent in signers:
        signature = SignatureFactory(
            campaign=world.campaign,
            name=name,
            email=email,
            email_key=email,
            consent_updates=consent,
            consent_share_name=consent,
            confirmed_at=timezone.now() - datetime.timedelta(days=30),
        )
        delivery.on_signature_confirmed(signature)
        world.signatures.append(signature)
    if not send:
        sent_at = timezone.now() - datetime.timedelta(days=30)
        Letter.objects.update(created_at=sent_at)
        OutgoingMessage.objects.update(status=OutgoingMessage.Status.SENT, sent_at=sent_at)
    return world


def reply(
    to: str,
    *,
    sender="Ana Ruiz <fiscal@gov.example.org>",
    subject="Re: Justice for Lucía",
    text="We have reopened the investigation into the killing.\n\n> Dear Ana Ruiz,\n> Reopen it.",
    html=None,
    headers=None,
    attachment=None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = "<reply-1@gov.example.org>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    if attachment is not None:
        name, data, maintype, subtype = attachment
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
