"""Signers' rights: one-click unsubscribe (RFC 8058), data requests and erasure by e-mailed link."""

import json
import re
import time
import uuid

import pytest
from django.apps import apps
from django.core import signing
from django.core.cache import cache
from django.db import models
from django.db.models.functions import Cast
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from idei.outbox.models import OutgoingMessage, ref
from letters.delivery import links
from letters.models import Letter, MessageKind, Signature, Subscription
from letters.privacy import services as privacy
from tests.factories import CampaignFactory, TargetFactory
from tests.letters.factories import SignatureFactory

pytestmark = pytest.mark.django_db

Kind, Status = MessageKind, OutgoingMessage.Status


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters live in the cache (Redis db 9 in the PostgreSQL run): start clean.
    cache.clear()
    yield
    cache.clear()


def without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def person(**fields):
    email = fields.pop("email", f"zoe.{uuid.uuid4().hex[:8]}@example.org")
    return SignatureFactory(
        email=email,
        email_key=email.lower(),
        name=fields.pop("name", "Zoë Quillfeather"),
        consent_updates=True,
        consent_reminders=True,
        **fields,
    )


# -- Unsubscribe -----------------------------------------------------------------------------


def test_unsubscribe_headers_are_rfc_8058_and_absolute_from_site_url(settings):
    settings.SITE_URL = "https://idei.example.org"
    headers = links.unsubscribe_headers(person())
    assert re.fullmatch(
        r"<https://idei\.example\.org/letters/unsubscribe/[^/>]+/>", headers["List-Unsubscribe"]
    )
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_unsubscribe_link_does_not_carry_the_address():
    signature = person(email="very.private@example.org")
    url = links.unsubscribe_headers(signature)["List-Unsubscribe"]
    assert "very" not in url and "private" not in url
    assert "dmVyeS" not in url  # nor its base64


def unsubscribe_path(signature):
    return links.unsubscribe_headers(signature)["List-Unsubscribe"].split("/letters/", 1)[1][:-1]


def test_one_click_post_stops_the_organisations_news_for_the_address_without_session_or_csrf():
    signature = person(email="two.campaigns@example.org")
    same_organisation = CampaignFactory(organisation=signature.campaign.organisation)
    same_person = person(email="two.campaigns@example.org", campaign=same_organisation)
    other_organisation = person(email="two.campaigns@example.org", campaign=CampaignFactory())
    someone_else = person()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/letters/" + unsubscribe_path(signature),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not client.cookies.get("sessionid")
    for row in (signature, same_person):
        row.refresh_from_db()
        assert not row.consent_updates
    # Another organisation's news is another stream, with its own link.
    for row in (other_organisation, someone_else):
        row.refresh_from_db()
        assert row.consent_updates


def test_get_shows_a_button_and_never_unsubscribes(client):
    signature = person()
    response = client.get("/letters/" + unsubscribe_path(signature))
    assert response.status_code == 200
    assert b'method="post"' in response.content
    signature.refresh_from_db()
    assert signature.consent_updates and signature.consent_reminders
    assert client.head("/letters/" + unsubscribe_path(signature)).status_code == 200
    signature.refresh_from_db()
    assert signature.consent_updates


def test_repeated_unsubscribe_is_harmless():
    signature = person()
    client = Client(enforce_csrf_checks=True)
    for _ in range(2):
        assert client.post("/letters/" + unsubscribe_path(signature)).status_code == 200


def test_forged_unsubscribe_token_is_404():
    signature = person()
    client = Client(enforce_csrf_checks=True)
    forged = signing.dumps(signature.pk, salt="something-else")
    for token in (
        forged,
        "nonsense",
        signing.dumps("x@example.org", salt=links.UNSUBSCRIBE_SALT),
    ):
        url = reverse("letters:unsubscribe", args=[token])
        assert client.post(url).status_code == 404
        assert client.get(url).status_code == 404
    signature.refresh_from_db()
    assert signature.consent_updates


def test_unsubscribe_refuses_other_methods():
    assert Client().put("/letters/" + unsubscribe_path(person())).status_code == 405


# -- Data request ----------------------------------------------------------------------------


def test_data_request_sends_the_json_to_the_address_held_and_reveals_nothing(
    client, smtp_server, django_capture_on_commit_callbacks
):
    signature = person(
        email="Data.Owner@example.org",
        name="Ана Дата",
        city="Казань",
        consent_record={"consent_updates": {"text": "Keep me informed", "at": "2026-01-01"}},
    )
    Letter.objects.create(
        signature=signature,
        target=TargetFactory(name="Official One"),
        language="en",
        subject="Reopen the case",
        body="Dear Official One, ... Ана Дата",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("letters:data_request"), {"email": "data.owner@example.org"})
    assert response.status_code == 200
    assert "Ана Дата" not in response.content.decode()
    assert "data.owner" not in response.content.decode().lower()

    [message] = smtp_server.wait_for(1)
    assert message["To"] == "Data.Owner@example.org"  # the address we hold, not the one typed
    text = message.get_body(("plain",)).get_content()
    data = json.loads(text.split("----- JSON -----")[1])
    [held] = data["signatures"]
    assert held["name"] == "Ана Дата" and held["city"] == "Казань"
    assert held["consent_record"]["consent_updates"]["text"] == "Keep me informed"
    assert held["consents"]["updates_from_organisation"] is True
    assert data["letters"][0]["to"].startswith("Official One")
    assert OutgoingMessage.objects.get(kind=Kind.DATA_REQUEST).status == Status.SENT
    assert "List-Unsubscribe" not in message  # transactional


def test_data_request_answers_the_same_for_an_unknown_address(
    client, smtp_server, django_capture_on_commit_callbacks
):
    person(email="known@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("letters:data_request"), {"email": "known@example.org"})
        unknown = client.post(reverse("letters:data_request"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known) == without_csrf(unknown)
    assert len(smtp_server.wait_for(1)) == 1
    time.sleep(0.2)
    assert len(smtp_server.messages) == 1


def test_data_requests_are_rate_limited_per_address_with_the_form_kept(client):
    person(email="often@example.org")
    url = reverse("letters:data_request")
    for _ in range(3):
        assert client.post(url, {"email": "often@example.org"}).status_code == 200
    response = client.post(url, {"email": "often@example.org"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 2 * 86400  # a sliding day
    assert b'value="often@example.org"' in response.content
    assert OutgoingMessage.objects.filter(kind=Kind.DATA_REQUEST).count() == 3
    # Another address from another network is not blocked by this one.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post(url, {"email": "else@example.org"}).status_code == 200


def test_invalid_address_is_refused_and_escaped(client):
    response = client.post(reverse("letters:data_request"), {"email": "<script>alert(1)</script>"})
    assert response.status_code == 400
    assert b"<script>alert(1)</script>" not in response.content
    assert OutgoingMessage.objects.count() == 0


# -- Erasure ---------------------------------------------------------------------------------

NAME = "Zoë Quillfeather-Erase"
ADDRESS = "zoe.quillfeather@example.org"


def letters_text_columns():
    """Every text-like column of every letters model (JSON included, as text)."""
    for model in apps.get_app_config("letters").get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                yield model, field.name, isinstance(field, models.JSONField)


def traces(*needles) -> list[str]:
    found = []
    for model, column, is_json in letters_text_columns():
        queryset = model.objects.all()
        if is_json:
            queryset = queryset.annotate(_text=Cast(column, models.TextField()))
            column = "_text"
        for needle in needles:
            if queryset.filter(**{f"{column}__icontains": needle}).exists():
                found.append(f"{model.__name__}.{column} holds {needle!r}")
    return found


@pytest.fixture
def erasable():
    """A signer with letters, e-mails (sent and queued), a digest naming her, a subscription."""
    campaign = CampaignFactory()
    target = TargetFactory(name="Fiscal Uno")
    signature = SignatureFactory(
        campaign=campaign,
        name=NAME,
        email=ADDRESS,
        email_key=ADDRESS,
        city="Villahermosa",
        message="I knew her from school.",
        consent_share_name=True,
        consent_updates=True,
        consent_record={"consent_share_name": {"text": "Share my name", "name": NAME}},
    )
    other_campaign_signature = SignatureFactory(
        name=NAME, email=ADDRESS.upper(), email_key=ADDRESS, city="Villahermosa"
    )
    bystander = SignatureFactory(campaign=campaign, name="Other Signer", email="other@example.org")
    Letter.objects.create(
        signature=signature,
        target=target,
        language="en",
        subject=f"From {NAME}",
        body=f"Dear Fiscal Uno,\n\nI knew her from school.\n\n{NAME}, Villahermosa",
    )
    common = {"group": ref(campaign), "body_html": f"<p>{NAME} &lt;{ADDRESS}&gt;</p>"}
    OutgoingMessage.objects.create(
        idempotency_key="c1", kind=Kind.CONFIRMATION, to_email=ADDRESS, subject="Confirm",
        body_text=f"Hello {NAME}", status=Status.SENT, about=ref(signature), **common,
    )  # fmt: skip
    OutgoingMessage.objects.create(
        idempotency_key="s1", kind=Kind.SIGNER_COPY, to_email=ADDRESS, subject=f"Copy for {NAME}",
        body_text=f"{NAME}", status=Status.QUEUED, about=ref(signature), **common,
    )  # fmt: skip
    OutgoingMessage.objects.create(
        idempotency_key="l1", kind=Kind.LETTER, to_email="fiscal@gov.example.org",
        reply_to=ADDRESS, subject=f"Letter from {NAME}", body_text=f"Dear Fiscal Uno, {NAME}",
        status=Status.QUEUED, about=ref(signature), **common,
    )  # fmt: skip
    OutgoingMessage.objects.create(
        idempotency_key="d1", kind=Kind.DIGEST, to_email="fiscal@gov.example.org",
        subject="Today's letters", body_text=f"{NAME}, Villahermosa\nOther Signer, Puebla",
        body_html=f"<li>{NAME}</li><li>Other Signer</li>", status=Status.SENT,
        group=ref(campaign), about=ref(target),
    )  # fmt: skip
    Subscription.objects.create(
        email=ADDRESS,
        email_key=ADDRESS,
        country="MX",
        unsubscribe_token=uuid.uuid4().hex,
        confirmed_at=timezone.now(),
        consent_record={"email": ADDRESS},
    )
    return {
        "campaign": campaign,
        "signature": signature,
        "other": other_campaign_signature,
        "bystander": bystander,
    }


def confirmed_count(campaign) -> int:
    return Signature.objects.confirmed().filter(campaign=campaign).count()


def test_erasure_by_e_mailed_link_leaves_no_trace_and_the_count_stays(
    client, smtp_server, django_capture_on_commit_callbacks, erasable
):
    campaign = erasable["campaign"]
    before = confirmed_count(campaign)
    assert traces(ADDRESS, NAME)  # the search finds them before

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("letters:erasure_request"), {"email": ADDRESS.upper()})
    assert response.status_code == 200 and NAME.encode() not in response.content
    [mail] = smtp_server.wait_for(1)
    link = re.search(
        r"https?://\S+/letters/erase/[^/\s]+/", mail.get_body(("plain",)).get_content()
    )
    path = "/letters/" + link.group(0).split("/letters/", 1)[1]

    page = client.get(path)  # a mail scanner's GET erases nothing
    assert page.status_code == 200 and b"Erase my data" in page.content
    assert Signature.objects.filter(email_key=ADDRESS).count() == 2

    assert client.post(path).status_code == 200
    assert traces(ADDRESS, NAME, "Quillfeather", "I knew her from school") == []
    assert confirmed_count(campaign) == before
    signature = Signature.objects.get(pk=erasable["signature"].pk)
    assert signature.confirmed_at and signature.erased_at
    assert signature.email_key.startswith("erased:")
    assert not (signature.consent_share_name or signature.consent_updates)
    # Unsent mail that named her is not sent any more; the official's digest keeps others.
    assert OutgoingMessage.objects.get(idempotency_key="s1").status == Status.FAILED
    assert OutgoingMessage.objects.get(idempotency_key="l1").status == Status.FAILED
    digest = OutgoingMessage.objects.get(idempotency_key="d1")
    assert "Other Signer, Puebla" in digest.body_text and digest.status == Status.SENT
    bystander = Signature.objects.get(pk=erasable["bystander"].pk)
    assert bystander.name == "Other Signer" and bystander.erased_at is None
    assert Subscription.objects.get().erased_at is not None


def test_repeated_erasure_is_harmless(client, erasable):
    token = privacy.erasure_token(ADDRESS)
    path = reverse("letters:erasure_confirm", args=[token])
    campaign = erasable["campaign"]
    before = confirmed_count(campaign)
    assert client.post(path).status_code == 200
    keys = set(Signature.objects.values_list("email_key", flat=True))
    again = client.post(path)
    assert again.status_code == 200
    assert client.get(path).status_code == 200  # "already erased"
    assert set(Signature.objects.values_list("email_key", flat=True)) == keys
    assert privacy.erase(ADDRESS) == privacy.Erasure()
    assert confirmed_count(campaign) == before
    assert traces(ADDRESS, NAME) == []


def test_forged_or_expired_erasure_link_is_404_and_erases_nothing(client, erasable):
    class Past(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 4 * 24 * 3600)

    expired = Past(salt=privacy.ERASURE_SALT).sign_object({"s": erasable["signature"].pk})
    forged = signing.dumps({"s": erasable["signature"].pk}, salt="letters.unsubscribe")
    for token in (expired, forged, "x"):
        path = reverse("letters:erasure_confirm", args=[token])
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
    assert Signature.objects.filter(email_key=ADDRESS).count() == 2


def test_erasure_request_answers_the_same_for_an_unknown_address(
    client, smtp_server, django_capture_on_commit_callbacks, erasable
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("letters:erasure_request"), {"email": ADDRESS})
        unknown = client.post(reverse("letters:erasure_request"), {"email": "no@example.org"})
    assert without_csrf(known) == without_csrf(unknown)
    assert len(smtp_server.wait_for(1)) == 1
    assert OutgoingMessage.objects.filter(kind=Kind.ERASURE_REQUEST).count() == 1


def test_privacy_page_links_the_data_and_erasure_requests(client):
    content = client.get(reverse("privacy")).content.decode()
    assert reverse("letters:data_request") in content
    assert reverse("letters:erasure_request") in content
