"""The sign form: what is stored, what is sent, and what the person is told (the same always)."""

import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from campaigns.models import Campaign
from idei.outbox.models import OutgoingMessage
from letters.models import MessageKind, Signature
from letters.signing.addresses import normalise_email
from letters.signing.forms import SignForm
from tests.letters.factories import confirmation_token, open_campaign, sign_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def sign_url(campaign):
    return reverse("letters:sign", args=[campaign.slug])


def post_sign(client, campaign, json_answer=False, **overrides):
    headers = {"Accept": "application/json"} if json_answer else {}
    return client.post(sign_url(campaign), sign_data(client, **overrides), headers=headers)


# -- The form ------------------------------------------------------------------------------


def test_campaign_page_shows_the_sign_form_with_four_unticked_consents(client):
    campaign = open_campaign()

    html = client.get(campaign.get_absolute_url()).content.decode()

    assert f'action="{sign_url(campaign)}"' in html
    for name in [
        "consent_share_name",
        "consent_updates",
        "consent_reminders",
        "consent_show_first_name",
    ]:
        assert f'name="{name}"' in html
    assert "checked" not in html
    assert 'href="/privacy/"' in html
    assert "js/sign.js" in html


def test_campaign_page_names_the_organisation_in_the_consent_to_updates(client):
    campaign = open_campaign()

    html = client.get(campaign.get_absolute_url()).content.decode()

    assert f"the work of {campaign.organisation.name}" in html


def test_sign_page_on_its_own_shows_the_form_and_the_letter(client):
    campaign = open_campaign()

    response = client.get(sign_url(campaign))

    assert response.status_code == 200
    assert 'name="email"' in response.content.decode()
    assert "Reopen the case of" in response.content.decode()


def test_country_defaults_to_the_region_of_the_browser_language(client):
    campaign = open_campaign()

    html = client.get(sign_url(campaign), HTTP_ACCEPT_LANGUAGE="es-CO,es;q=0.9").content.decode()

    assert '<option value="CO" selected>' in html


def test_letter_is_not_editable_where_the_campaign_does_not_allow_it(client):
    campaign = open_campaign(signers_may_edit=False)

    html = client.get(sign_url(campaign)).content.decode()

    assert 'name="letter_text"' not in html


def test_letter_is_editable_where_the_campaign_allows_it(client):
    campaign = open_campaign(signers_may_edit=True)

    html = client.get(sign_url(campaign)).content.decode()

    assert 'name="letter_text"' in html and "{target_name}" in html


def test_sign_rejects_other_methods(client):
    campaign = open_campaign()

    assert client.put(sign_url(campaign)).status_code == 405


# -- Signing -------------------------------------------------------------------------------


def test_signing_stores_an_unconfirmed_signature_and_redirects_to_check_your_email(client):
    campaign = open_campaign()

    response = post_sign(client, campaign)

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:check_email", args=[campaign.slug])
    signature = Signature.objects.get()
    assert signature.confirmed_at is None
    assert signature.email_key == "ana@example.org"
    assert len(signature.confirmation_token_hash) == 64
    assert signature.confirmation_mails_sent == 1


def test_check_your_email_page_explains_the_next_step(client):
    campaign = open_campaign()

    html = client.get(reverse("letters:check_email", args=[campaign.slug])).content.decode()

    assert "Check your e-mail" in html and "only confirmed signatures count" in html


def test_consents_default_to_no_and_are_stored_separately(client):
    campaign = open_campaign()

    post_sign(client, campaign, consent_reminders="on")

    signature = Signature.objects.get()
    assert signature.consent_reminders is True
    assert not signature.consent_share_name
    assert not signature.consent_updates
    assert not signature.consent_show_first_name


def test_consent_record_keeps_the_words_shown_the_time_the_page_and_the_language(client):
    campaign = open_campaign()

    client.cookies.load({"django_language": "fr"})
    post_sign(client, campaign, email="marie@example.org", consent_share_name="on")

    record = Signature.objects.get(email="marie@example.org").consent_record
    assert record["page"] == campaign.slug
    assert record["language"] == "fr"
    assert record["at"]
    assert record["given"]["consent_share_name"] is True
    assert record["given"]["consent_updates"] is False
    assert set(record["texts"]) == {
        "consent_share_name",
        "consent_updates",
        "consent_reminders",
        "consent_show_first_name",
    }
    with translation.override("fr"):
        shown = str(SignForm(campaign=campaign, visitor="").fields["consent_reminders"].label)
    assert record["texts"]["consent_reminders"] == shown


def test_confirmation_mail_arrives_over_smtp_with_one_link_in_both_parts(
    client, smtp_server, django_capture_on_commit_callbacks, settings
):
    campaign = open_campaign(title="Justice for Regina")

    with django_capture_on_commit_callbacks(execute=True):
        post_sign(client, campaign)

    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "ana@example.org"
    assert mail["From"] == settings.DEFAULT_FROM_EMAIL
    assert mail["Subject"] == "Confirm your signature: Justice for Regina"
    assert "List-Unsubscribe" not in mail  # transactional
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    token = confirmation_token(text)
    assert confirmation_token(html) == token
    assert "ignore it: nothing is sent" in text
    assert OutgoingMessage.objects.get().status == OutgoingMessage.Status.SENT


def test_confirmation_mail_is_in_the_language_the_person_used(
    client, smtp_server, django_capture_on_commit_callbacks
):
    campaign = open_campaign()
    client.cookies.load({"django_language": "fr"})

    with django_capture_on_commit_callbacks(execute=True):
        post_sign(client, campaign)

    [mail] = smtp_server.wait_for(1)
    assert Signature.objects.get().language == "fr"
    assert mail["Content-Language"] is None or mail["Content-Language"] == "fr"
    html = mail.get_body(("html",)).get_content()
    assert '<html lang="fr"' in html


def test_same_address_signing_again_is_one_signature(client):
    campaign = open_campaign()

    post_sign(client, campaign, email="Ana.Lopez+news@GoogleMail.com ")
    post_sign(client, campaign, email="analopez@gmail.com")
    post_sign(client, campaign, email="  a.n.a.lopez@gmail.com")

    assert Signature.objects.count() == 1
    assert Signature.objects.get().email_key == "analopez@gmail.com"


@pytest.mark.parametrize(
    ("entered", "key"),
    [
        ("  Ana@Example.ORG ", "ana@example.org"),
        ("ana+campaign@example.org", "ana@example.org"),
        ("a.n.a@gmail.com", "ana@gmail.com"),
        ("A.na+x@googlemail.com", "ana@gmail.com"),
        ("a.na@example.org", "a.na@example.org"),  # dots matter outside Gmail
    ],
)
def test_email_key_normalises_case_space_gmail_dots_and_plus_tags(entered, key):
    assert normalise_email(entered) == key


def test_a_pending_signature_gets_at_most_three_confirmation_mails(client):
    campaign = open_campaign()

    for _ in range(5):
        post_sign(client, campaign)

    assert Signature.objects.get().confirmation_mails_sent == 3
    assert OutgoingMessage.objects.filter(kind=MessageKind.CONFIRMATION).count() == 3


def test_signing_again_while_pending_sends_a_new_link_and_the_old_one_stops_working(
    client, smtp_server, django_capture_on_commit_callbacks
):
    campaign = open_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        post_sign(client, campaign, name="Ana")
    with django_capture_on_commit_callbacks(execute=True):
        post_sign(client, campaign, name="Ana")

    first, second = smtp_server.wait_for(2)
    old = confirmation_token(first.get_body(("plain",)).get_content())
    new = confirmation_token(second.get_body(("plain",)).get_content())
    assert client.get(reverse("letters:confirm", args=[old])).status_code == 404
    assert client.get(reverse("letters:confirm", args=[new])).status_code == 200


def test_a_stranger_signing_with_a_pending_address_cannot_change_what_its_owner_confirms(
    client, smtp_server, django_capture_on_commit_callbacks
):
    campaign = open_campaign(signers_may_edit=True)
    with django_capture_on_commit_callbacks(execute=True):
        first = post_sign(
            client,
            campaign,
            name="Ana",
            message="Reopen the case.",
            letter_text="Dear {target_name}, reopen the case. {signer_name}",
            consent_updates="",
        )
    assert first.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        post_sign(
            Client(),
            campaign,
            name="Somebody Else",
            city="Elsewhere",
            message="Words Ana never wrote.",
            letter_text="A letter Ana never read.",
            consent_updates="on",
        )

    signature = Signature.objects.get()
    assert (signature.name, signature.message, signature.consent_updates) == (
        "Ana",
        "Reopen the case.",
        False,
    )
    assert "never" not in signature.letter_text
    # The owner's new link opens a page that shows everything that will be confirmed.
    link = confirmation_token(smtp_server.wait_for(2)[1].get_body(("plain",)).get_content())
    page = client.get(reverse("letters:confirm", args=[link])).content.decode()
    assert "Reopen the case." in page and "Words Ana never wrote." not in page
    assert "Somebody Else" not in page
    assert signature.consent_record["texts"]["consent_updates"] in page


def test_signing_again_after_confirming_sends_nothing_and_changes_nothing(client):
    campaign = open_campaign()
    post_sign(client, campaign, name="Ana")
    Signature.objects.update(confirmed_at="2026-10-01T10:00:00Z", confirmation_token_hash="")

    response = post_sign(client, campaign, name="Somebody Else")

    assert response.status_code == 302
    assert Signature.objects.get().name == "Ana"
    assert OutgoingMessage.objects.filter(kind=MessageKind.CONFIRMATION).count() == 1


def test_the_answer_is_the_same_for_a_new_a_pending_and_a_confirmed_address(client):
    campaign = open_campaign()

    new = post_sign(client, campaign, json_answer=True)
    pending = post_sign(client, campaign, json_answer=True)
    Signature.objects.update(confirmed_at="2026-10-01T10:00:00Z")
    confirmed = post_sign(client, campaign, json_answer=True)
    for _ in range(3):
        capped = post_sign(client, campaign, email="b@example.org", json_answer=True)

    # Each shows back the address typed, with a send-again form carrying a fresh CSRF token.
    answers = {
        re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", r.json()["html"])
        .replace("b@example.org", "ADDRESS")
        .replace("ana@example.org", "ADDRESS")
        for r in [new, pending, confirmed, capped]
    }
    assert len(answers) == 1
    assert {r.status_code for r in [new, pending, confirmed, capped]} == {200}


def test_fetch_gets_json_with_the_check_your_email_panel(client):
    campaign = open_campaign()

    response = post_sign(client, campaign, json_answer=True)

    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["status"] == "ok"
    assert "Check your e-mail" in data["html"] and "data-sign-panel" in data["html"]


def test_the_json_panel_is_each_signers_own_in_their_language(client):
    """The panel is kept rendered per language and campaign (letters.views.check_email_fragment):
    each answer still carries its own address, escaped, and a CSRF token that works."""
    campaign = open_campaign()
    first = json.loads(post_sign(client, campaign, json_answer=True).content)["html"]
    other = Client()
    odd = json.loads(
        post_sign(other, campaign, json_answer=True, email="o'brien&co@example.org").content
    )["html"]
    spanish = Client(headers={"Accept-Language": "es"})
    in_spanish = json.loads(
        post_sign(spanish, campaign, json_answer=True, email="ana.es@example.org").content
    )["html"]

    assert "ana@example.org" in first and "ana@example.org" not in odd
    assert "o&#x27;brien&amp;co@example.org" in odd and "o'brien&co" not in odd
    assert "Revise su correo electrónico" in in_spanish
    assert "Check your e-mail" not in in_spanish
    assert "checkemailhole" not in first + odd + in_spanish
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', odd).group(1)
    resend = reverse("letters:resend", args=[campaign.slug])
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = other.cookies
    assert strict.post(resend, {"csrfmiddlewaretoken": token}).status_code == 302


def test_fetch_gets_json_with_the_form_and_its_errors(client):
    campaign = open_campaign()

    response = post_sign(client, campaign, json_answer=True, email="not an address")

    assert response.status_code == 400
    data = json.loads(response.content)
    assert data["status"] == "invalid"
    assert 'href="#id_email"' in data["html"]
    assert 'value="Ana María López"' in data["html"]


# -- Refusals: clear message, right status, nothing written --------------------------------


def test_closed_campaign_refuses_signatures_with_410_and_writes_nothing(client):
    campaign = open_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)

    response = post_sign(client, campaign)

    assert response.status_code == 410
    assert "no longer collects signatures" in response.content.decode()
    assert not Signature.objects.exists() and not OutgoingMessage.objects.exists()


def test_campaign_past_its_closing_date_refuses_signatures(client):
    import datetime

    from django.utils import timezone

    campaign = open_campaign(closes_at=timezone.now() - datetime.timedelta(minutes=1))

    assert post_sign(client, campaign).status_code == 410
    assert not Signature.objects.exists()


def test_draft_campaign_cannot_be_signed(client):
    campaign = open_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)

    assert post_sign(client, campaign).status_code == 404
    assert not Signature.objects.exists()


def test_a_campaign_closed_without_any_signal_refuses_the_next_signature(client):
    campaign = open_campaign()
    assert post_sign(client, campaign, email="before@example.org").status_code == 302

    # No signal, no page-cache invalidation: the POST reads the campaign row itself.
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)

    assert post_sign(client, campaign, email="after@example.org").status_code == 410
    assert list(Signature.objects.values_list("email", flat=True)) == ["before@example.org"]


def test_a_sign_post_reads_the_campaign_once(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from idei.celery import app

    campaign = open_campaign()
    app.conf.task_always_eager = False  # as in production: the e-mail is a worker's job

    with CaptureQueriesContext(connection) as queries:
        assert post_sign(client, campaign).status_code == 302

    reads = [q["sql"] for q in queries if 'FROM "campaigns_campaign"' in q["sql"]]
    assert len(reads) == 1, reads


def test_a_signature_let_in_by_a_close_racing_it_can_never_count(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    from letters.signing import services as signing

    campaign = open_campaign()  # as the sign view read it, just before the close committed
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)

    with django_capture_on_commit_callbacks(execute=True):
        signing.sign(campaign, sign_data(), language="en", client_ip="127.0.0.1")
    token = confirmation_token(mailoutbox[0].body)
    response = client.post(reverse("letters:confirm", args=[token]))

    assert response.status_code == 410
    assert Signature.objects.get().confirmed_at is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "ana@", "Enter a valid email address."),
        ("email", "a" * 250 + "@example.org", "at most 254 characters"),
        ("name", "", "This field is required."),
        ("name", "x" * 121, "at most 120 characters"),
        ("name", "Ana\r\nBcc: victim@example.org", "without line breaks"),
        ("city", "Puebla\nX-Header: 1", "without line breaks"),
        ("country", "XX", "Select a valid choice"),
        ("country", "", "This field is required."),
        ("message", "m" * 2001, "at most 2000 characters"),
        ("message", "bell\x07", "cannot be sent"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(client, field, value, message):
    campaign = open_campaign()

    response = post_sign(client, campaign, **{field: value})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Your signature was not saved" in response.content.decode()
    assert not Signature.objects.exists() and not OutgoingMessage.objects.exists()


def test_refused_form_keeps_what_the_person_wrote(client):
    campaign = open_campaign()

    html = post_sign(client, campaign, email="nope", city="Oaxaca").content.decode()

    assert 'value="Oaxaca"' in html and 'value="nope"' in html


def test_letter_text_sent_for_a_campaign_that_forbids_editing_is_ignored(client):
    campaign = open_campaign(signers_may_edit=False)

    post_sign(client, campaign, letter_text="Something else entirely")

    assert Signature.objects.get().letter_text == ""


def test_edited_letter_is_kept_where_editing_is_allowed(client):
    campaign = open_campaign(signers_may_edit=True)

    post_sign(client, campaign, letter_text="Dear {target_name},\r\nplease act now.\r\n")

    assert Signature.objects.get().letter_text == "Dear {target_name},\nplease act now."


def test_unchanged_letter_is_stored_as_the_campaigns_own(client):
    campaign = open_campaign(signers_may_edit=True)
    body = campaign.letter_templates.get().body

    post_sign(client, campaign, letter_text=body)

    assert Signature.objects.get().letter_text == ""


@pytest.mark.parametrize(
    "text",
    ["Dear {target.email}", "Dear {settings.SECRET_KEY}", "{{ request }}", "Hello {"],
)
def test_edited_letter_cannot_reach_anything_through_braces(client, text):
    campaign = open_campaign(signers_may_edit=True)

    response = post_sign(client, campaign, letter_text=text)

    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_edited_letter_has_a_length_cap(client):
    campaign = open_campaign(signers_may_edit=True)

    response = post_sign(client, campaign, letter_text="x" * 10_001)

    assert response.status_code == 400
    assert "at most 10000 characters" in response.content.decode()


def test_missing_csrf_token_gets_a_translated_403_page_and_writes_nothing():
    campaign = open_campaign()
    client = Client(enforce_csrf_checks=True)
    client.cookies.load({"django_language": "fr"})

    response = client.post(sign_url(campaign), sign_data(client))

    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="fr"' in html
    assert "The form could not be sent" in html or "formulaire" in html.lower()
    assert not Signature.objects.exists()


# -- Hostile input -------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_hostile_input_is_escaped_on_the_form_shown_again(client):
    campaign = open_campaign()

    html = post_sign(client, campaign, email="bad", name=HOSTILE, city=HOSTILE).content.decode()

    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_hostile_input_is_escaped_in_the_confirmation_mail_and_page(
    client, smtp_server, django_capture_on_commit_callbacks
):
    campaign = open_campaign()

    with django_capture_on_commit_callbacks(execute=True):
        post_sign(client, campaign, name=HOSTILE, city=HOSTILE, message=HOSTILE)

    [mail] = smtp_server.wait_for(1)
    html = mail.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "\n" not in mail["Subject"]
    token = confirmation_token(mail.get_body(("plain",)).get_content())
    page = client.get(reverse("letters:confirm", args=[token])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_hostile_first_name_is_escaped_among_recent_signers(client):
    from tests.letters.factories import SignatureFactory

    campaign = open_campaign()
    SignatureFactory(campaign=campaign, name="<b>Bold</b> Person", consent_show_first_name=True)

    html = client.get(campaign.get_absolute_url()).content.decode()

    assert "&lt;b&gt;Bold&lt;/b&gt;" in html and "<b>Bold</b>" not in html


def test_the_from_address_is_never_the_signers(
    client, smtp_server, django_capture_on_commit_callbacks, settings
):
    campaign = open_campaign()

    with django_capture_on_commit_callbacks(execute=True):
        post_sign(client, campaign, email="attacker@example.org", name="Eve")

    [mail] = smtp_server.wait_for(1)
    assert mail["From"] == settings.DEFAULT_FROM_EMAIL
    assert "attacker" not in (mail["Reply-To"] or "")
    # The envelope sender is the message's own return path (bounces come back to us).
    envelope_sender = smtp_server.envelopes[0].mail_from
    assert envelope_sender.startswith("bounce+") and "attacker" not in envelope_sender
    assert envelope_sender.endswith("@" + settings.INBOUND_EMAIL_DOMAIN)


# -- Issue 15: an opening date is honoured ---------------------------------------------------


def test_a_campaign_before_its_opening_date_shows_when_it_opens_and_takes_no_signature(client):
    import datetime

    from django.utils import timezone

    campaign = open_campaign(opens_at=timezone.now() + datetime.timedelta(days=3))

    page = client.get(campaign.get_absolute_url()).content.decode()
    response = post_sign(client, campaign)

    assert "Signing has not opened yet" in page and 'name="email"' not in page
    assert response.status_code == 410
    assert "opens on" in response.content.decode()
    assert not Signature.objects.exists()


def test_a_campaign_past_its_opening_date_takes_signatures(client):
    import datetime

    from django.utils import timezone

    campaign = open_campaign(opens_at=timezone.now() - datetime.timedelta(minutes=1))

    post_sign(client, campaign)

    assert Signature.objects.count() == 1
