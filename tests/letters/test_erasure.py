"""Erasure leaves nothing (issue 13, point 5): no column, no kept file, no later log line.

The person signs over HTTP, confirms, is named in a petition that was sent and in the kept
petition files, then erases through the e-mailed link; every text column of every table and
every file under PRIVATE_FILES_ROOT is then searched for their address and name.
"""

import io
import logging
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models
from django.db.models.functions import Cast
from django.urls import reverse

from campaigns.models import Campaign
from idei.inbound.models import InboundMessage
from idei.logging import JsonFormatter, RedactPersonalData, keyed_hash
from idei.outbox.models import OutgoingMessage, ref
from letters.delivery import pdf
from letters.delivery import services as delivery
from letters.models import MessageKind, Signature
from letters.privacy import services as privacy
from tests.factories import UserFactory
from tests.letters.factories import SignatureFactory, confirmation_token, open_campaign, sign_data

pytestmark = pytest.mark.django_db

NAME = "Zoë Quillfeather"
ADDRESS = "zoe.quillfeather@example.org"
CLIENT_IP = "203.0.113.77"
NEEDLES = (ADDRESS, "zoe.quillfeather", NAME, "Quillfeather", CLIENT_IP)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def log_lines():
    """What the configured console handler writes in production: its filters, JSON lines."""
    configured = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactPersonalData) for f in handler.filters)
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    for log_filter in configured.filters:
        handler.addFilter(log_filter)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def every_text_column():
    """Every text-like column of every installed model (JSON and file names included)."""
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                yield model, field.name, isinstance(field, models.JSONField)
            elif isinstance(field, models.FileField):
                yield model, field.name, False


def database_traces(*needles) -> list[str]:
    found = []
    for model, column, is_json in every_text_column():
        queryset = model._base_manager.all()
        if is_json:
            queryset = queryset.annotate(_text=Cast(column, models.TextField()))
            column = "_text"
        for needle in needles:
            if queryset.filter(**{f"{column}__icontains": needle}).exists():
                found.append(f"{model._meta.label}.{column} holds {needle!r}")
    return found


def file_text(path: Path) -> str:
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return path.read_bytes().decode("utf-8", "replace")


def file_traces(root: Path, *needles) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = " ".join(file_text(path).split()).lower()  # PDF text may break lines anywhere
        found += [f"{path.name} holds {n!r}" for n in needles if n.lower() in text]
    return found


def link_in(mail, pattern: str) -> str:
    text = mail.get_body(("plain",)).get_content()
    return "/" + re.search(pattern, text).group(0).split("/", 3)[3]


def test_erasure_by_e_mailed_link_leaves_the_person_in_no_column_file_or_later_log_line(
    client, smtp_server, django_capture_on_commit_callbacks, settings, tmp_path, log_lines
):
    settings.PRIVATE_FILES_ROOT = tmp_path
    campaign = open_campaign(delivery_mode=Campaign.DeliveryMode.PETITION)
    SignatureFactory(campaign=campaign, name="Other Signer", consent_share_name=True)
    sign = reverse("letters:sign", args=[campaign.slug])
    form = sign_data(client, name=NAME, email=ADDRESS, consent_share_name="on")

    # She signs and confirms over HTTP, from her own network.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(sign, form, REMOTE_ADDR=CLIENT_IP)
    [confirmation] = smtp_server.wait_for(1)
    token = confirmation_token(confirmation.get_body(("plain",)).get_content())
    confirm = reverse("letters:confirm", args=[token])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(confirm).status_code in {200, 302}
    signature = Signature.objects.get(email_key=ADDRESS)
    assert signature.confirmed_at and signature.consent_share_name
    # Signing again from the same network: a log line about her signature and her client.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(sign, sign_data(client, name=NAME, email=ADDRESS), REMOTE_ADDR=CLIENT_IP)

    # The petition goes to the official (her name in its PDF), the coordinator keeps a copy.
    with django_capture_on_commit_callbacks(execute=True):
        campaign.close()
    petition = OutgoingMessage.objects.get(kind=MessageKind.PETITION)
    assert petition.status == OutgoingMessage.Status.SENT and petition.attachment
    pdf.coordinator_petition(campaign)
    # A refused recipient's error, and an admin's edit of her signature.
    OutgoingMessage.objects.filter(kind=MessageKind.SIGNER_COPY).update(
        status=OutgoingMessage.Status.FAILED,
        last_error=f"SMTPRecipientsRefused: {{'{ADDRESS}': (550, b'5.1.1 unknown')}}",
    )
    LogEntry.objects.create(
        user=UserFactory(is_staff=True),
        content_type=ContentType.objects.get_for_model(Signature),
        object_id=str(signature.pk),
        object_repr=str(signature)[:200],
        action_flag=CHANGE,
        change_message=f'[{{"changed": {{"fields": ["name"]}}, "was": "{NAME}"}}]',
    )
    copy = OutgoingMessage.objects.get(kind=MessageKind.SIGNER_COPY)
    LogEntry.objects.create(
        user=UserFactory(is_staff=True),
        content_type=ContentType.objects.get_for_model(OutgoingMessage),
        object_id=str(copy.pk),
        object_repr=str(copy)[:200],  # "Copy of the letter to the signer → her address"
        action_flag=CHANGE,
        change_message="[]",
    )
    assert database_traces(ADDRESS, NAME)  # the search finds her before
    assert file_traces(tmp_path, "Quillfeather")

    # She asks for the link, a mail scanner opens it, she presses the button.
    smtp_server.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("letters:erasure_request"), {"email": ADDRESS.upper()})
    [erasure_mail] = smtp_server.wait_for(1)
    erase = link_in(erasure_mail, r"https?://\S+/letters/erase/[^/\s]+/")
    assert client.get(erase).status_code == 200
    assert Signature.objects.filter(email_key=ADDRESS).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(erase).status_code == 200
    # Something that logs afterwards: the campaign's petition asked for again.
    pdf.coordinator_petition(campaign)

    assert database_traces(*NEEDLES) == []
    assert file_traces(tmp_path, *NEEDLES) == []
    assert "Other Signer" in " ".join(file_text(pdf.coordinator_petition(campaign).path).split())
    logged = log_lines.getvalue()
    assert "sign: repeat for signature" in logged  # the line that named her client before
    assert [needle for needle in NEEDLES if needle.lower() in logged.lower()] == []
    assert keyed_hash("ip", CLIENT_IP) in logged  # lines about one client can still be joined
    # The official's petition stays counted as sent; what was sent is out of reach.
    petition.refresh_from_db()
    assert petition.status == OutgoingMessage.Status.SENT and not petition.attachment
    assert Signature.objects.confirmed().filter(campaign=campaign).count() == 2


def test_a_queued_petition_is_laid_out_again_without_the_erased_signer(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.PRIVATE_FILES_ROOT = tmp_path
    campaign = open_campaign(delivery_mode=Campaign.DeliveryMode.PETITION)
    target = campaign.targets.get()
    erased = SignatureFactory(campaign=campaign, name=NAME, email=ADDRESS, email_key=ADDRESS,
                              consent_share_name=True)  # fmt: skip
    SignatureFactory(campaign=campaign, name="Other Signer", consent_share_name=True)
    with django_capture_on_commit_callbacks(execute=False):  # queued, not sent
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
        assert delivery.deliver_petition(campaign) == 1
    message = OutgoingMessage.objects.get(kind=MessageKind.PETITION, about=ref(target))
    old = Path(message.attachment.path)
    assert "Quillfeather" in file_text(old)

    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase(erased.email_key)

    message.refresh_from_db()
    assert message.attachment and Path(message.attachment.path) != old
    assert not old.exists()
    assert file_traces(tmp_path, "Quillfeather") == []
    new_text = " ".join(file_text(Path(message.attachment.path)).split())
    assert "Other Signer" in new_text


@pytest.mark.django_db
def test_erasure_deletes_kept_inbound_mail_from_or_quoting_the_address():
    SignatureFactory(name=NAME, email=ADDRESS)
    raw = f"From: {NAME} <{ADDRESS.upper()}>\r\nSubject: hello\r\n\r\nPlease read.\r\n".encode()
    InboundMessage.objects.create(
        source="smtp", envelope_from="", envelope_to=["postmaster@example.org"], raw=raw,
        size=len(raw),
    )  # fmt: skip
    InboundMessage.objects.create(
        source="smtp", envelope_from=ADDRESS, envelope_to=["abuse@example.org"], raw=b"x", size=1
    )
    other = b"From: someone.else@example.org\r\n\r\nHi\r\n"
    InboundMessage.objects.create(
        source="smtp", envelope_from="someone.else@example.org", envelope_to=[], raw=other,
        size=len(other),
    )  # fmt: skip

    privacy.erase(ADDRESS)

    assert list(InboundMessage.objects.values_list("envelope_from", flat=True)) == [
        "someone.else@example.org"
    ]
