"""Double opt-in: a GET never confirms, a POST confirms once, bad links change nothing."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from idei import tokens
from idei.outbox.models import OutgoingMessage, ref
from letters.models import MessageKind, Signature, Subscription
from letters.signing import confirmations
from letters.signing.tasks import purge_unconfirmed_signatures
from tests.letters.factories import (
    SignatureFactory,
    confirmation_token,
    open_campaign,
    pending_signature,
    sign_data,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def confirm_url(token):
    return reverse("letters:confirm", args=[token])


def confirmed_total(campaign):
    return Signature.objects.confirmed().filter(campaign=campaign).count()


# -- GET shows a button; it never confirms ---------------------------------------------------


def test_opening_the_link_shows_a_button_and_confirms_nothing(client):
    signature, token = pending_signature(name="Ana López")

    response = client.get(confirm_url(token))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Confirm my signature" in html and 'method="post"' in html and "Ana López" in html
    signature.refresh_from_db()
    assert signature.confirmed_at is None
    assert signature.confirmation_token_hash == tokens.token_hash(token)


def test_a_mail_scanner_fetching_the_link_many_times_burns_nothing(client):
    signature, token = pending_signature()

    for _ in range(5):
        client.get(confirm_url(token))
        client.head(confirm_url(token))

    assert client.post(confirm_url(token)).status_code == 302
    signature.refresh_from_db()
    assert signature.confirmed_at is not None


def test_confirmation_page_is_not_cached(client):
    _, token = pending_signature()

    response = client.get(confirm_url(token))

    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


# -- POST confirms once ----------------------------------------------------------------------


def test_pressing_the_button_confirms_counts_and_clears_the_token(
    client, django_capture_on_commit_callbacks
):
    signature, token = pending_signature()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url(token))

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:thanks", args=[signature.campaign.slug])
    signature.refresh_from_db()
    assert signature.confirmed_at is not None
    assert signature.confirmation_token_hash == ""
    assert confirmed_total(signature.campaign) == 1
    signature.campaign.refresh_from_db()
    assert signature.campaign.signature_count == 1


def test_a_used_link_cannot_confirm_again_and_counts_once(client):
    signature, token = pending_signature()
    client.post(confirm_url(token))

    again = client.post(confirm_url(token))
    opened = client.get(confirm_url(token))

    assert again.status_code == 404 and opened.status_code == 404
    assert "already been used" in again.content.decode()
    assert confirmed_total(signature.campaign) == 1


def test_a_forged_link_is_404_and_changes_nothing(client):
    signature, _ = pending_signature()

    response = client.post(confirm_url("forged-" + "x" * 36))

    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    signature.refresh_from_db()
    assert signature.confirmed_at is None
    assert not Signature.objects.confirmed().exists()


def test_an_expired_link_is_410_and_changes_nothing(client):
    signature, token = pending_signature()
    Signature.objects.filter(pk=signature.pk).update(
        confirmation_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    for response in [client.get(confirm_url(token)), client.post(confirm_url(token))]:
        assert response.status_code == 410
        assert "expired" in response.content.decode()
    signature.refresh_from_db()
    assert signature.confirmed_at is None and signature.confirmation_token_hash
    assert not Signature.objects.confirmed().exists()


def test_a_campaign_closed_before_confirmation_does_not_count_the_signature(client):
    signature, token = pending_signature()
    Campaign.objects.filter(pk=signature.campaign_id).update(status=Campaign.Status.CLOSED)

    response = client.post(confirm_url(token))

    assert response.status_code == 410
    assert "closed before your signature was confirmed" in response.content.decode()
    signature.refresh_from_db()
    assert signature.confirmed_at is None


def test_confirm_rejects_other_methods(client):
    _, token = pending_signature()

    assert client.put(confirm_url(token)).status_code == 405


def test_confirming_hands_the_signature_to_delivery_in_the_same_transaction(client):
    signature, token = pending_signature()

    client.post(confirm_url(token))

    assert signature.letters.count() == signature.campaign.targets.count() == 1


def test_the_whole_journey_from_form_to_count_over_smtp(
    client, smtp_server, django_capture_on_commit_callbacks
):
    campaign = open_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("letters:sign", args=[campaign.slug]), sign_data(client))
    [mail] = smtp_server.wait_for(1)
    token = confirmation_token(mail.get_body(("plain",)).get_content())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_url(token))

    campaign.refresh_from_db()
    assert campaign.signature_count == 1
    assert Signature.objects.confirmed().count() == 1


# -- Thank-you page ----------------------------------------------------------------------------


def test_thank_you_page_shows_the_campaigns_text_share_links_and_the_reminder_offer(client):
    signature, token = pending_signature(
        campaign=open_campaign(thank_you_text="Now tell <b>three</b> friends.")
    )

    client.post(confirm_url(token))
    html = client.get(reverse("letters:thanks", args=[signature.campaign.slug])).content.decode()

    assert "your signature counts" in html
    assert "Now tell &lt;b&gt;three&lt;/b&gt; friends." in html
    assert "https://wa.me/?" in html
    assert "Remind me by e-mail before 2 November." in html


def test_thank_you_page_offers_no_reminder_to_who_already_asked_for_one(client):
    signature, token = pending_signature(consent_reminders=True)

    client.post(confirm_url(token))
    html = client.get(reverse("letters:thanks", args=[signature.campaign.slug])).content.decode()

    assert 'action="' + reverse("letters:remind", args=[signature.campaign.slug]) not in html


def test_thank_you_page_links_the_signers_letter_as_a_pdf(client):
    signature, token = pending_signature()
    client.post(confirm_url(token))

    html = client.get(reverse("letters:thanks", args=[signature.campaign.slug])).content.decode()
    link = html.split("Download your letter (PDF)")[0].rsplit('href="', 1)[1].split('"')[0]

    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_thank_you_page_in_another_browser_names_nobody(client):
    campaign = open_campaign()

    response = client.get(reverse("letters:thanks", args=[campaign.slug]))

    assert response.status_code == 200
    assert "Remind me" not in response.content.decode()


def test_accepting_the_reminder_offer_records_the_consent(client):
    signature, token = pending_signature()
    client.post(confirm_url(token))

    response = client.post(reverse("letters:remind", args=[signature.campaign.slug]))

    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.consent_reminders is True
    [later] = signature.consent_record["later"]
    assert later["text"] == "Remind me by e-mail before 2 November."
    assert later["consent"] == "consent_reminders" and later["at"]


def test_accepting_the_reminder_offer_subscribes_the_confirmed_address(client):
    signature, token = pending_signature(email="Ana.Reminded@example.org")
    client.post(confirm_url(token))

    client.post(reverse("letters:remind", args=[signature.campaign.slug]))

    subscription = Subscription.objects.get()
    assert subscription.email_key == "ana.reminded@example.org"
    assert subscription.confirmed_at is not None


def test_confirming_with_the_reminder_box_ticked_subscribes_the_address(client):
    signature, token = pending_signature(consent_reminders=True)
    signature.consent_record = {"texts": {"consent_reminders": "Remind me (as shown)"}}
    signature.save()

    client.post(confirm_url(token))

    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is not None
    assert subscription.consent_record["text"] == "Remind me (as shown)"


def test_confirming_without_the_reminder_box_subscribes_nobody(client):
    _, token = pending_signature(consent_reminders=False)

    client.post(confirm_url(token))

    assert not Subscription.objects.exists()


def test_reminder_offer_without_the_signers_cookie_changes_nothing(client):
    signature = SignatureFactory(campaign=open_campaign())

    response = client.post(reverse("letters:remind", args=[signature.campaign.slug]))

    assert response.status_code == 400
    signature.refresh_from_db()
    assert signature.consent_reminders is False


def test_reminder_offer_rejects_get(client):
    campaign = open_campaign()

    assert client.get(reverse("letters:remind", args=[campaign.slug])).status_code == 405


# -- Purge -------------------------------------------------------------------------------------


def test_purge_deletes_unconfirmed_signatures_older_than_seven_days_and_their_mails():
    old, _ = pending_signature(email="old@example.org")
    recent, _ = pending_signature(campaign=old.campaign, email="new@example.org")
    confirmed = SignatureFactory(campaign=old.campaign)
    long_ago = timezone.now() - datetime.timedelta(days=8)
    Signature.objects.filter(pk__in=[old.pk, confirmed.pk]).update(
        created_at=long_ago, confirmation_expires_at=long_ago + confirmations.CONFIRMATION_LIFETIME
    )
    OutgoingMessage.objects.create(
        idempotency_key="c-old",
        kind=MessageKind.CONFIRMATION,
        to_email=old.email,
        subject="s",
        body_text="b",
        about=ref(old),
    )

    assert purge_unconfirmed_signatures.delay().get() == 1

    assert set(Signature.objects.values_list("pk", flat=True)) == {recent.pk, confirmed.pk}
    assert not OutgoingMessage.objects.filter(to_email=old.email).exists()


def test_purge_keeps_a_signature_whose_newest_link_is_still_valid():
    signature, _ = pending_signature()
    Signature.objects.filter(pk=signature.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )

    assert confirmations.purge_unconfirmed() == 0
    assert Signature.objects.filter(pk=signature.pk).exists()
