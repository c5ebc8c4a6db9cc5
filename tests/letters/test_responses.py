"""Officials' replies and responses: attribution by token only, auto-replies, hostile mail,
moderation, responses by other ways, the public record and its API.

The mail path here is the stored message processed as the worker does (idei.inbound.services);
tests/letters/test_responses_journey.py runs the whole path over SMTP with a real worker.
"""

import io

import pytest
from django.urls import reverse
from PIL import Image

from campaigns.models import Membership
from idei.inbound import receiving
from idei.inbound import services as inbound
from idei.inbound.models import InboundMessage
from idei.outbox.models import OutgoingMessage
from idei.outbox.sending import return_path
from letters.delivery import replies
from letters.models import Response, ResponseDecision
from letters.responses import records
from tests.factories import MembershipFactory, TargetFactory, UserFactory
from tests.inbound import mail

from .responses_world import DOMAIN, delivered_world, forged_address, reply

pytestmark = pytest.mark.django_db
Outcome = InboundMessage.Outcome


@pytest.fixture(autouse=True)
def _domain_and_files(settings, tmp_path):
    settings.INBOUND_EMAIL_DOMAIN = DOMAIN
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def receive(raw: bytes, to: str, sender: str = "") -> InboundMessage:
    """Store a message as receive_mail does, and process it as the worker does."""
    stored = InboundMessage.objects.create(
        source="smtp", envelope_from=sender, envelope_to=[to], raw=raw, size=len(raw)
    )
    inbound.process(stored.pk)
    stored.refresh_from_db()
    return stored


# -- Reply-To --------------------------------------------------------------------------------


def test_a_letter_carries_the_officials_reply_address_and_the_signers_only_with_consent():
    world = delivered_world(
        signers=[("Ana Signer", "ana@example.net", True), ("Ben Quiet", "ben@example.net", False)]
    )
    letters = OutgoingMessage.objects.filter(kind="letter").order_by("pk")
    shared, quiet = [m.reply_to for m in letters]
    assert shared == f"{world.reply_address}, ana@example.net"
    assert quiet == world.reply_address
    assert world.reply_address.startswith("reply+") and world.reply_address.endswith(f"@{DOMAIN}")


def test_the_reply_address_is_one_per_official_and_campaign():
    world = delivered_world()
    other = TargetFactory(email="other@gov.example.org")
    world.campaign.targets.add(other)
    address = replies.reply_address(world.campaign.pk, other.pk)
    assert address != world.reply_address
    assert replies.reply_address(world.campaign.pk, world.target.pk) == world.reply_address


def test_receive_mail_accepts_a_good_reply_token_and_refuses_a_forged_one():
    world = delivered_world()
    assert receiving.accepts(world.reply_address)
    local, _, domain = world.reply_address.partition("@")
    forged = local[:-1] + ("0" if local[-1] != "0" else "1") + "@" + domain
    assert not receiving.accepts(forged)
    assert not receiving.accepts("reply+12.abcdef@" + DOMAIN)
    assert not receiving.accepts("reply+@" + DOMAIN)
    assert not receiving.accepts(world.reply_address.replace(DOMAIN, "elsewhere.example"))


# -- A reply becomes a response waiting for moderation --------------------------------------


def test_a_reply_becomes_a_pending_response_of_that_official_and_campaign():
    world = delivered_world()
    stored = receive(reply(world.reply_address), world.reply_address, "fiscal@gov.example.org")
    assert stored.outcome == Outcome.REPLY
    assert bytes(stored.raw)  # kept: the moderator's source
    response = Response.objects.get()
    assert (response.campaign, response.target) == (world.campaign, world.target)
    assert list(response.cases.all()) == [world.case]
    assert response.status == Response.Status.PENDING
    assert response.from_matches_official is True
    assert "reopened the investigation" in response.text
    assert response.public_text == ""
    assert world.campaign.responses_published == 0


def test_processing_the_same_message_twice_makes_one_response():
    world = delivered_world()
    stored = receive(reply(world.reply_address), world.reply_address)
    InboundMessage.objects.filter(pk=stored.pk).update(status=InboundMessage.Status.RECEIVED)
    inbound.process(stored.pk)
    assert Response.objects.count() == 1


def test_attachments_are_kept_privately(settings):
    world = delivered_world()
    raw = reply(
        world.reply_address, attachment=("answer.pdf", b"%PDF-1.4 answer", "application", "pdf")
    )
    receive(raw, world.reply_address)
    attachment = Response.objects.get().attachments.get()
    assert attachment.name == "answer.pdf"
    assert str(settings.PRIVATE_FILES_ROOT) in attachment.file.path
    assert str(settings.MEDIA_ROOT) not in attachment.file.path


# -- Auto-replies, forged senders, unknown tokens, hostile and broken mail -------------------


@pytest.mark.parametrize(
    "headers, subject",
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: Justice for Lucía"),
        ({"X-Autoreply": "yes"}, "Re: Justice for Lucía"),
        ({"Precedence": "auto_reply"}, "Re: Justice for Lucía"),
        ({}, "Out of Office: Ana Ruiz"),
        ({}, "Automatic reply: Justice for Lucía"),
        ({}, "Respuesta automática: Justicia"),
        ({}, "=?utf-8?q?R=C3=A9ponse_automatique?="),
    ],
)
def test_auto_replies_are_kept_as_such_and_never_count_as_answers(headers, subject):
    world = delivered_world()
    stored = receive(
        reply(world.reply_address, headers=headers, subject=subject), world.reply_address
    )
    assert stored.outcome == Outcome.AUTO_REPLY
    response = Response.objects.get()
    assert response.status == Response.Status.AUTO_REPLY
    record = records.official_records()[world.target.pk]
    assert record.answered is False
    assert record.days_without_reply == 30


def test_a_forged_sender_is_kept_and_shown_to_the_moderator_as_such(client):
    world = delivered_world()
    receive(
        reply(world.reply_address, sender="Fake Minister <minister@evil.example>"),
        world.reply_address,
    )
    response = Response.objects.get()
    assert response.from_matches_official is False
    assert response.from_address == "minister@evil.example"
    client.force_login(world.coordinator)
    page = client.get(reverse("letters:responses:detail", args=[response.pk])).content.decode()
    assert "not the official&#x27;s known address" in page or "not the official's known" in page
    assert "minister@evil.example" in page


def test_a_reply_to_an_official_never_delivered_a_letter_is_held_for_an_admin():
    world = delivered_world()
    OutgoingMessage.objects.update(status=OutgoingMessage.Status.QUEUED)  # nothing went out
    stored = receive(reply(world.reply_address), world.reply_address)
    assert stored.outcome == Outcome.HELD
    assert bytes(stored.raw)
    assert not Response.objects.exists()


def test_a_token_whose_official_left_the_campaign_is_held():
    world = delivered_world()
    world.campaign.targets.remove(world.target)
    stored = receive(reply(world.reply_address), world.reply_address)
    assert stored.outcome == Outcome.HELD
    assert not Response.objects.exists()


def test_a_forged_token_that_got_stored_by_a_webhook_is_never_a_response():
    world = delivered_world()
    forged = forged_address(world.reply_address)
    stored = receive(reply(forged), forged)
    assert stored.outcome == Outcome.OTHER
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\x01\x02 not a mail at all \xff\xfe",
        b"just some words, no headers\n\nat all\n",
        b"",
    ],
)
def test_mail_that_is_not_mime_is_held_never_a_response_never_an_error(raw):
    world = delivered_world()
    stored = receive(raw, world.reply_address)
    assert stored.status == InboundMessage.Status.PROCESSED
    assert stored.outcome == Outcome.HELD
    assert not Response.objects.exists()


def test_hostile_html_is_sanitised_and_never_reaches_a_page_as_markup(client):
    world = delivered_world()
    hostile = (
        '<p onclick="steal()">We <b>reopened</b> it.</p><script>alert(1)</script>'
        '<img src="https://tracker.example/p.gif" onerror="alert(2)">'
        '<a href="javascript:alert(3)">link</a><style>body{display:none}</style>'
        "<iframe src=//evil.example></iframe>"
    )
    receive(
        reply(world.reply_address, text="<script>alert(4)</script> plain", html=hostile),
        world.reply_address,
    )
    response = Response.objects.get()
    for needle in ("<script", "onerror", "onclick", "<img", "javascript:", "<iframe", "<style"):
        assert needle not in response.html
    assert "<b>reopened</b>" in response.html
    client.force_login(world.coordinator)
    page = client.get(reverse("letters:responses:detail", args=[response.pk])).content.decode()
    assert "<script>alert(4)</script>" not in page
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in page


def test_a_dsn_sent_to_a_reply_address_goes_the_bounce_way_never_a_response():
    world = delivered_world()
    letter = OutgoingMessage.objects.get(kind="letter")
    raw = mail.dsn("fiscal@gov.example.org", return_path(letter))
    stored = receive(raw, world.reply_address)
    assert stored.outcome == Outcome.BOUNCE
    assert not Response.objects.exists()


def test_an_oversized_message_is_refused_before_anything_is_stored(settings):
    world = delivered_world()
    settings.INBOUND_MAX_MESSAGE_BYTES = 10_000
    with pytest.raises(receiving.MessageTooLarge):
        receiving.store(b"x" * 10_001, source="smtp", envelope_to=[world.reply_address])
    assert not InboundMessage.objects.exists()


# -- Moderation -------------------------------------------------------------------------------


@pytest.fixture
def pending(client):
    world = delivered_world()
    receive(reply(world.reply_address), world.reply_address)
    world.response = Response.objects.get()
    client.force_login(world.coordinator)
    return world


def detail_url(response):
    return reverse("letters:responses:detail", args=[response.pk])


def test_nothing_is_public_until_a_person_publishes_it(client, pending):
    client.logout()
    campaign_page = client.get(pending.campaign.get_absolute_url()).content.decode()
    assert "reopened the investigation" not in campaign_page
    assert client.get("/api/v1/responses/").json()["count"] == 0


def test_publishing_logs_who_and_when_and_shows_the_answer_without_the_quote(client, pending):
    answer = client.post(
        detail_url(pending.response),
        {
            "decision": "publish",
            "public_text": "We have reopened the investigation into the killing.",
        },
    )
    assert answer.status_code == 302
    pending.response.refresh_from_db()
    assert pending.response.status == Response.Status.PUBLISHED
    assert pending.response.published_at is not None
    decision = pending.response.decisions.get()
    assert decision.decision == ResponseDecision.Decision.PUBLISH
    assert decision.decided_by == pending.coordinator
    assert decision.excerpt is False  # the whole answer, without the quoted letter
    pending.campaign.refresh_from_db()
    assert pending.campaign.responses_published == 1
    client.logout()
    page = client.get(pending.campaign.get_absolute_url()).content.decode()
    assert "We have reopened the investigation into the killing." in page
    assert "Reopen it." not in page  # the quoted letter stays out


def test_the_decision_form_starts_from_the_answer_without_the_quoted_letter(client, pending):
    page = client.get(detail_url(pending.response)).content.decode()
    assert "We have reopened the investigation into the killing." in page
    form_text = page.split('name="public_text"')[1].split("</textarea>")[0]
    assert "&gt; Reopen it." not in form_text


def test_a_repeated_publish_changes_nothing(client, pending):
    data = {"decision": "publish", "public_text": "We reopened it."}
    client.post(detail_url(pending.response), data)
    client.post(detail_url(pending.response), data)
    assert pending.response.decisions.count() == 1


def test_an_excerpt_is_logged_as_such(client, pending):
    client.post(detail_url(pending.response), {"decision": "publish", "public_text": "reopened"})
    assert pending.response.decisions.get().excerpt is True


def test_keep_private_and_not_an_answer_are_logged_and_never_public(client, pending):
    client.post(detail_url(pending.response), {"decision": "private", "public_text": ""})
    pending.response.refresh_from_db()
    assert pending.response.status == Response.Status.PRIVATE
    assert records.official_records()[pending.target.pk].answered is True
    client.post(detail_url(pending.response), {"decision": "not_answer", "public_text": "x"})
    pending.response.refresh_from_db()
    assert pending.response.status == Response.Status.NOT_ANSWER
    assert pending.response.public_text == ""
    assert [d.decision for d in pending.response.decisions.all()] == ["private", "not_answer"]
    assert client.get("/api/v1/responses/").json()["count"] == 0


def test_publishing_needs_a_text(client, pending):
    answer = client.post(detail_url(pending.response), {"decision": "publish", "public_text": " "})
    assert answer.status_code == 200
    assert "Give the text to publish." in answer.content.decode()
    assert not pending.response.decisions.exists()


def test_a_bad_decision_value_is_refused(client, pending):
    answer = client.post(detail_url(pending.response), {"decision": "delete_everything"})
    assert answer.status_code == 200
    assert not pending.response.decisions.exists()


def test_another_organisation_cannot_see_or_decide(client, pending):
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, organisation__slug="other-org")
    client.force_login(outsider)
    assert client.get(detail_url(pending.response)).status_code == 404
    assert client.post(detail_url(pending.response), {"decision": "publish"}).status_code == 404
    assert "Lucía" not in client.get(reverse("letters:responses:list")).content.decode()


def test_a_viewer_reads_but_cannot_decide(client, pending):
    viewer = UserFactory(username="viewer")
    MembershipFactory(user=viewer, organisation=pending.organisation, role=Membership.Role.VIEWER)
    client.force_login(viewer)
    assert client.get(detail_url(pending.response)).status_code == 200
    answer = client.post(detail_url(pending.response), {"decision": "publish", "public_text": "x"})
    assert answer.status_code == 404


def test_moderation_pages_refuse_other_methods_and_anonymous_visitors(client, pending):
    assert client.put(detail_url(pending.response)).status_code == 405
    assert client.post(reverse("letters:responses:list")).status_code == 405
    client.logout()
    assert client.get(detail_url(pending.response)).status_code == 302


def test_attachments_are_only_for_the_campaigns_coordinators(client):
    world = delivered_world()
    raw = reply(world.reply_address, attachment=("a.pdf", b"%PDF-1.4 x", "application", "pdf"))
    receive(raw, world.reply_address)
    response = Response.objects.get()
    url = reverse("letters:responses:attachment", args=[response.pk, response.attachments.get().pk])
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(world.coordinator)
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content) == b"%PDF-1.4 x"


# -- Responses by other ways ------------------------------------------------------------------


def record_url(world):
    return reverse("letters:responses:record", args=[world.campaign.slug])


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "white")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(name, data, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def record_data(world, **overrides):
    data = {
        "target": world.target.pk,
        "channel": "post",
        "received_on": "2026-03-01",
        "summary": "The Attorney General wrote that the file is reopened.",
    }
    data.update(overrides)
    return data


def test_a_coordinator_records_a_posted_answer_with_a_photo_stripped_of_metadata(client):
    world = delivered_world()
    client.force_login(world.coordinator)
    original = jpeg_with_gps()
    assert b"SecretCam" in original
    answer = client.post(
        record_url(world), record_data(world, scan=upload("scan.jpg", original, "image/jpeg"))
    )
    assert answer.status_code == 302
    response = Response.objects.get()
    assert response.channel == Response.Channel.POST
    assert response.status == Response.Status.PENDING
    assert response.recorded_by == world.coordinator
    assert response.decisions.get().decision == ResponseDecision.Decision.RECORDED
    stored = response.attachments.get()
    data = stored.file.read()
    assert b"SecretCam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()


@pytest.mark.parametrize(
    "name, data, content_type",
    [
        ("x.svg", b"<svg onload=alert(1)></svg>", "image/svg+xml"),
        ("x.html", b"<script>alert(1)</script>", "text/html"),
        ("x.pdf", b"not a pdf at all", "application/pdf"),
        ("x.png", b"\x89PNG\r\n\x1a\n broken", "image/png"),
        ("x.gif", b"GIF89a" + b"\x00" * 20, "image/gif"),
    ],
)
def test_a_scan_of_the_wrong_type_is_refused(client, name, data, content_type):
    world = delivered_world()
    client.force_login(world.coordinator)
    answer = client.post(
        record_url(world), record_data(world, scan=upload(name, data, content_type))
    )
    assert answer.status_code == 200
    assert "Upload a PDF, JPEG, PNG or WebP file." in answer.content.decode()
    assert not Response.objects.exists()


def test_an_oversized_scan_is_refused(client):
    world = delivered_world()
    client.force_login(world.coordinator)
    big = upload("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")
    answer = client.post(record_url(world), record_data(world, scan=big))
    assert answer.status_code == 200
    assert "the largest allowed is" in answer.content.decode()
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"received_on": "2999-01-01"}, "The date cannot be in the future."),
        ({"received_on": "not a date"}, "Enter a valid date."),
        ({"summary": "   "}, "This field is required."),
        ({"summary": "x" * 10_001}, "Ensure this value has at most 10000 characters"),
        ({"channel": "email"}, "Select a valid choice."),
        ({"target": "999999"}, "Select a valid choice."),
    ],
)
def test_bad_record_input_is_refused_with_a_message(client, overrides, message):
    world = delivered_world()
    client.force_login(world.coordinator)
    answer = client.post(record_url(world), record_data(world, **overrides))
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not Response.objects.exists()


def test_an_official_of_another_campaign_cannot_be_chosen(client):
    world = delivered_world()
    stranger = TargetFactory()
    client.force_login(world.coordinator)
    answer = client.post(record_url(world), record_data(world, target=stranger.pk))
    assert answer.status_code == 200
    assert not Response.objects.exists()


def test_a_repeated_record_submit_records_once(client):
    world = delivered_world()
    client.force_login(world.coordinator)
    client.post(record_url(world), record_data(world))
    client.post(record_url(world), record_data(world))
    assert Response.objects.count() == 1


def test_hostile_summary_is_escaped_on_every_page(client):
    world = delivered_world()
    client.force_login(world.coordinator)
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    client.post(record_url(world), record_data(world, summary=hostile))
    response = Response.objects.get()
    client.post(detail_url(response), {"decision": "publish", "public_text": hostile})
    client.logout()
    for path in (
        world.campaign.get_absolute_url(),
        world.case.get_absolute_url(),
        "/cases/mx/",
        f"/officials/{world.target.pk}/",
    ):
        page = client.get(path).content.decode()
        assert "<script>alert(" not in page, path
        assert "<img src=x" not in page, path
        assert "&lt;script&gt;" in page, path


def test_another_organisation_cannot_record(client):
    world = delivered_world()
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, organisation__slug="other-org")
    client.force_login(outsider)
    assert client.post(record_url(world), record_data(world)).status_code == 404
    assert not Response.objects.exists()


# -- Public record and API --------------------------------------------------------------------


@pytest.fixture
def published(client, pending):
    client.post(detail_url(pending.response), {"decision": "publish", "public_text": "Reopened."})
    client.logout()
    return pending


def test_officials_page_lists_letters_delivered_and_responses(client, published):
    other = TargetFactory(name="Never Written", country="CO")
    published.campaign.targets.add(other)
    page = client.get("/officials/").content.decode()
    assert "Ana Ruiz" in page
    assert "Never Written" not in page  # no letter delivered to them
    assert "fiscal@gov.example.org" not in page
    assert client.get("/officials/?country=CO").content.decode().count("Ana Ruiz") == 0
    assert "Ana Ruiz" in client.get("/officials/?country=MX").content.decode()


def test_officials_page_with_a_bad_country_says_so(client, published):
    answer = client.get("/officials/?country=<script>")
    assert answer.status_code == 400
    assert "<script>" not in answer.content.decode().split("</nav>", 1)[1]


def test_an_officials_page_shows_campaigns_and_published_responses(client, published):
    page = client.get(f"/officials/{published.target.pk}/").content.decode()
    assert "Justice for Lucía" in page
    assert "Reopened." in page
    assert client.get("/officials/999999/").status_code == 404
    assert client.post("/officials/").status_code == 405


def test_the_api_lists_published_responses_with_filters(client, published):
    data = client.get("/api/v1/responses/").json()
    assert data["count"] == 1
    item = data["results"][0]
    assert item["text"] == "Reopened."
    assert item["official"]["name"] == "Ana Ruiz"
    assert "email" not in item["official"]
    assert item["campaign"] == "justice-for-lucia"
    assert item["cases"] == [published.case.slug]
    assert client.get("/api/v1/responses/?campaign=justice-for-lucia").json()["count"] == 1
    assert client.get("/api/v1/responses/?campaign=other").json()["count"] == 0
    assert client.get("/api/v1/responses/?country=MX").json()["count"] == 1
    assert client.get("/api/v1/responses/?country=CO").json()["count"] == 0
    assert client.get(f"/api/v1/responses/?official={published.target.pk}").json()["count"] == 1
    response_id = item["id"]
    assert client.get(f"/api/v1/responses/{response_id}/").json()["text"] == "Reopened."


@pytest.mark.parametrize(
    "query", ["?country=ZZZ", "?official=abc", "?official=0", "?unknown=1", "?campaign="]
)
def test_the_responses_api_refuses_bad_queries(client, published, query):
    assert client.get(f"/api/v1/responses/{query}").status_code == 400


def test_the_officials_api_and_the_campaign_api(client, published):
    data = client.get("/api/v1/officials/").json()
    assert data["count"] == 1
    official = data["results"][0]
    assert official["letters_delivered"] == 1
    assert official["responses_published"] == 1
    assert official["days_without_reply"] is None
    assert client.get("/api/v1/officials/?country=CO").json()["count"] == 0
    assert client.get(f"/api/v1/officials/{published.target.pk}/").status_code == 200
    assert client.get("/api/v1/officials/99999/").status_code == 404
    campaign = client.get("/api/v1/campaigns/justice-for-lucia/").json()
    assert campaign["responses_published"] == 1


def test_the_case_timeline_and_the_country_page_show_the_published_response(client, published):
    case_page = client.get(published.case.get_absolute_url()).content.decode()
    assert "Reopened." in case_page
    assert "Ana Ruiz, Attorney General, answered" in case_page
    country_page = client.get("/cases/mx/").content.decode()
    assert "Reopened." in country_page
    assert "100%" in country_page  # one official written to, who answered


def test_a_digest_to_an_official_carries_their_reply_address_too():
    from django.utils import timezone

    from letters.delivery import services as delivery
    from letters.models import Letter

    world = delivered_world()
    day = timezone.localdate(Letter.objects.get().created_at)
    message = delivery.digest_message(world.campaign.pk, world.target.pk, day)
    assert message.reply_to == world.reply_address


def test_a_reply_tells_the_campaigns_coordinators_and_an_auto_reply_does_not():
    world = delivered_world()
    viewer = UserFactory(username="viewer", email="viewer@example.org")
    MembershipFactory(user=viewer, organisation=world.organisation, role=Membership.Role.VIEWER)
    receive(
        reply(world.reply_address, headers={"Auto-Submitted": "auto-replied"}), world.reply_address
    )
    assert not OutgoingMessage.objects.filter(kind="response_received").exists()
    receive(reply(world.reply_address), world.reply_address)
    (told,) = OutgoingMessage.objects.filter(kind="response_received")
    assert told.to_email == world.coordinator.email
    assert "reopened" not in told.body_text
    assert "/dashboard/responses/" in told.body_text


def test_letters_of_a_digest_count_as_delivered_once_the_digest_went_out():
    from django.utils import timezone

    from campaigns.models import Campaign
    from letters.delivery import services as delivery
    from letters.models import Letter

    world = delivered_world(
        signers=[("Ana Signer", "ana@example.net", True), ("Ben Quiet", "ben@example.net", False)]
    )
    OutgoingMessage.objects.filter(kind="letter").delete()
    Campaign.objects.filter(pk=world.campaign.pk).update(delivery_mode=Campaign.DeliveryMode.DIGEST)
    assert world.target.pk not in records.official_records()
    day = timezone.localdate(Letter.objects.first().created_at)
    digest = delivery.digest_message(world.campaign.pk, world.target.pk, day)
    digest.status = OutgoingMessage.Status.SENT
    digest.sent_at = timezone.now()
    digest.save()
    record = records.official_records()[world.target.pk]
    assert record.letters_delivered == 2
    assert record.first_letter_at == digest.sent_at
