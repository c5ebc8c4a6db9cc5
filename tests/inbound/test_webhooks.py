"""An e-mail service's webhooks through django-anymail (Postmark's format here): the same
suppression and the same inbound processing as mail received by receive_mail."""

import base64
import json

import pytest

from idei.inbound.models import InboundMessage
from idei.outbox import suppression
from idei.outbox.models import Suppression
from idei.outbox.sending import return_path
from tests.inbound.test_receive_mail import person, sent_message

from . import mail

SECRET = "hooks:a-long-webhook-password"
TRACKING = "/anymail/postmark/tracking/"
INBOUND = "/anymail/postmark/inbound/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    settings.INBOUND_EMAIL_DOMAIN = "idei.example.org"


def post(client, url, payload, credentials=SECRET, **extra):
    auth = base64.b64encode(credentials.encode()).decode()
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Basic {auth}", **extra
    )


def bounce(address, kind="HardBounce", details="smtp;550 5.1.1 The email account does not exist"):
    return {
        "RecordType": "Bounce",
        "Type": kind,
        "ID": 42,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Email": address,
        "Details": details,
        "BouncedAt": "2026-11-02T10:00:00Z",
    }


def test_a_hard_bounce_suppresses_and_marks_the_address(client):
    signature, subscription = person("hard@example.net")
    assert post(client, TRACKING, bounce("hard@example.net")).status_code == 200

    assert suppression.find("hard@example.net").reason == Suppression.Reason.BOUNCE
    signature.refresh_from_db()
    subscription.refresh_from_db()
    assert signature.bounced_at and subscription.bounced_at


def test_a_spam_complaint_unsubscribes_the_address(client):
    _signature, subscription = person("spam@example.net")
    payload = {**bounce("spam@example.net"), "RecordType": "SpamComplaint", "Type": "SpamComplaint"}
    assert post(client, TRACKING, payload).status_code == 200

    assert suppression.find("spam@example.net").reason == Suppression.Reason.COMPLAINT
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


@pytest.mark.parametrize(
    ("kind", "details"),
    [
        ("Transient", "smtp;451 4.4.1 try later"),
        ("SoftBounce", "smtp;452 4.2.2 Mailbox full"),
        ("AutoResponder", "Out of office"),
    ],
)
def test_temporary_failures_and_auto_replies_suppress_nobody(client, kind, details):
    assert post(client, TRACKING, bounce("soft@example.net", kind, details)).status_code == 200
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("credentials", ["hooks:wrong", "", "nobody:a-long-webhook-password"])
def test_a_request_without_the_secret_is_refused_and_changes_nothing(client, credentials):
    response = post(client, TRACKING, bounce("victim@example.net"), credentials=credentials)
    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_without_a_configured_secret_every_webhook_is_refused(client, settings):
    from django.conf import settings as current

    settings.ANYMAIL = {"WEBHOOK_SECRET": "disabled:unknown-to-anyone"}
    assert current.ANYMAIL["WEBHOOK_SECRET"].startswith("disabled:")
    assert post(client, TRACKING, bounce("victim@example.net")).status_code == 400
    assert not Suppression.objects.exists()


def test_an_inbound_dsn_is_stored_raw_and_suppresses_like_receive_mail(
    client, django_capture_on_commit_callbacks
):
    message = sent_message("inbound-gone@example.net")
    raw = mail.dsn("inbound-gone@example.net", return_path(message)).decode()
    payload = {"RawEmail": raw, "OriginalRecipient": return_path(message), "Headers": []}

    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, INBOUND, payload).status_code == 200

    stored = InboundMessage.objects.get()
    assert stored.source == "anymail:postmark"
    assert stored.envelope_to == [return_path(message)]
    assert stored.outcome == InboundMessage.Outcome.BOUNCE
    assert suppression.find("inbound-gone@example.net").source_message_id == message.pk


@pytest.mark.parametrize("body", ["{not json", "[]", "\u0000" * 10, "1e999999"])
@pytest.mark.parametrize("url", [TRACKING, INBOUND])
def test_a_malformed_payload_is_refused_with_400_and_changes_nothing(client, url, body):
    response = post(client, url, body)
    assert response.status_code == 400
    assert not Suppression.objects.exists()
    assert not InboundMessage.objects.exists()


def test_a_bounce_that_names_no_address_changes_nothing(client):
    assert post(client, TRACKING, {"RecordType": "Bounce", "Type": "HardBounce"}).status_code == 200
    assert not Suppression.objects.exists()
