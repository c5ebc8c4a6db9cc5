"""The whole path of an official's answer, on real services: a letter delivered over SMTP by a
real worker, the official's reply handed to `receive_mail` at its Reply-To, the response waiting
for moderation, published by the coordinator, then on the campaign, case, country and officials'
pages and in the API, and news mailed to the signer who agreed to hear (not to the other).
"""

import email
import email.policy

import pytest
from django.urls import reverse

from idei.inbound.models import InboundMessage
from letters.models import Response
from tests.inbound import test_receive_mail as smtp_inbound

from .responses_world import DOMAIN, delivered_world, forged_address, reply

# receive_mail: `manage.py receive_mail` in a thread, the fixture of the inbound tests.
receive_mail = smtp_inbound.receive_mail
deliver, drain = smtp_inbound.deliver, smtp_inbound.drain

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    settings.INBOUND_EMAIL_DOMAIN = DOMAIN


def test_an_officials_reply_reaches_the_public_record_and_the_consenting_signer(
    celery_worker,
    smtp_server,
    receive_mail,
    client,
):
    world = delivered_world(
        send=True,
        signers=[("Ana Signer", "ana@example.net", True), ("Ben Quiet", "ben@example.net", False)],
    )
    sent = smtp_server.wait_for(4, timeout=30)  # two letters, two signers' copies
    letters = [m for m in sent if m["To"] == "fiscal@gov.example.org"]
    assert len(letters) == 2
    reply_to = {str(m["Reply-To"]) for m in letters}
    assert reply_to == {f"{world.reply_address}, ana@example.net", world.reply_address}

    # The official answers the letter: their mail server hands the reply to receive_mail.
    address = world.reply_address
    deliver(receive_mail, address, reply(address), sender="fiscal@gov.example.org")
    drain()
    response = Response.objects.get()
    assert response.status == Response.Status.PENDING
    # The campaign's coordinator is told a reply waits (its content is not in the mail).
    (told,) = smtp_server.wait_for(5, timeout=30)[4:]
    assert told["To"] == world.coordinator.email
    assert "Ana Ruiz answered" in told["Subject"]
    assert "reopened" not in told.as_string()
    assert InboundMessage.objects.get().outcome == InboundMessage.Outcome.REPLY
    assert (
        "reopened the investigation"
        not in client.get(world.campaign.get_absolute_url()).content.decode()
    )

    # The coordinator publishes it.
    client.force_login(world.coordinator)
    answer = client.post(
        reverse("letters:responses:detail", args=[response.pk]),
        {"decision": "publish", "public_text": "We have reopened the investigation."},
    )
    assert answer.status_code == 302
    client.logout()

    news = smtp_server.wait_for(6, timeout=30)[5:]
    drain()
    assert [m["To"] for m in smtp_server.messages[5:]] == ["ana@example.net"]
    message = email.message_from_bytes(news[0].as_bytes(), policy=email.policy.default)
    assert "answered" in message["Subject"]
    assert message["List-Unsubscribe"].startswith("<http")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "We have reopened the investigation." in message.get_body(("plain",)).get_content()

    for path in (
        world.campaign.get_absolute_url(),
        world.case.get_absolute_url(),
        "/cases/mx/",
        "/officials/",
        f"/officials/{world.target.pk}/",
    ):
        page = client.get(path).content.decode()
        assert ("We have reopened the investigation." in page) or ("Ana Ruiz" in page), path
    assert "We have reopened the investigation." in client.get("/cases/mx/").content.decode()
    officials = client.get("/officials/").content.decode()
    assert "Ana Ruiz" in officials
    api = client.get("/api/v1/responses/?campaign=justice-for-lucia").json()
    assert api["results"][0]["text"] == "We have reopened the investigation."
    assert client.get("/api/v1/officials/").json()["results"][0]["letters_delivered"] == 2
    assert client.get("/api/v1/campaigns/justice-for-lucia/").json()["responses_published"] == 1


def test_receive_mail_refuses_an_unknown_reply_token_and_an_oversized_reply(
    receive_mail,
    settings,
):
    import smtplib

    world = delivered_world()
    forged = forged_address(world.reply_address)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        deliver(receive_mail, forged, reply(forged))
    big = reply(world.reply_address, text="x" * (settings.INBOUND_MAX_MESSAGE_BYTES + 10))
    with pytest.raises(smtplib.SMTPException):
        deliver(receive_mail, world.reply_address, big)
    assert not InboundMessage.objects.exists()
    assert not Response.objects.exists()
