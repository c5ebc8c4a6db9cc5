"""Delivery of letters to officials: each as confirmed, daily digests, petitions at close.

The end-to-end tests run the real Celery worker on the real Redis broker and read what the real
SMTP server on loopback received; the others run tasks inline (eager) after commit, still over
real SMTP where headers matter.
"""

import datetime
import re
import zoneinfo

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone, translation

from campaigns.models import Campaign
from idei.celery import ping
from idei.outbox import services as outbox_services
from idei.outbox.models import OutgoingMessage
from idei.outbox.tasks import sweep_outbox
from letters.delivery import links
from letters.delivery import services as delivery
from letters.delivery.tasks import deliver_petition_task, send_daily_digests
from letters.models import Letter, MessageKind
from letters.services import confirm as confirm_signature
from letters.signing import services as signing
from tests.factories import (
    CampaignFactory,
    CaseFactory,
    MembershipFactory,
    OrganisationFactory,
    TargetFactory,
)
from tests.letters.factories import LetterTemplateFactory, SignatureFactory

Kind = MessageKind
Mode = Campaign.DeliveryMode
Status = OutgoingMessage.Status

HOSTILE_NAME = "<script>alert(1)</script> Eve\r\nBcc: victim@example.org"
FORMULA = "=cmd|' /C calc'!A0"

worker_test = pytest.mark.django_db(transaction=True)


# -- Building blocks -------------------------------------------------------------------------


def make_campaign(mode=Mode.EACH, *, postal_official=True, **fields):
    organisation = OrganisationFactory(contact_email="team@example.org")
    campaign = CampaignFactory(organisation=organisation, delivery_mode=mode, **fields)
    campaign.cases.add(
        CaseFactory(
            full_name="Lucía Beltrán Ortega",
            place="Culiacán",
            date_of_death=datetime.date(2017, 5, 15),
        )
    )
    officials = [
        TargetFactory(name="Ana Fiscal", language="es", email="ana@gov.example.org"),
        TargetFactory(name="Jean Procureur", language="fr", email="jean@gov.example.org"),
    ]
    if postal_official:
        officials.append(
            TargetFactory(
                name="Pedro Postal",
                email="",
                postal_address="Palacio Nacional\nCiudad de México",
            )
        )
    campaign.targets.add(*officials)
    LetterTemplateFactory(campaign=campaign, language="en")
    LetterTemplateFactory(
        campaign=campaign,
        language="es",
        subject="Reabran el caso de {case_names}",
        body="Estimado/a {target_name}:\n\n{cases}\n\nAtentamente,\n{signer_name}\n{signer_city}",
    )
    return campaign


def confirm(signature):
    """What letters.services.confirm does: the delivery hook inside the confirmation."""
    with transaction.atomic():
        return delivery.on_signature_confirmed(signature)


def drain():
    """Wait until the solo worker has run every task queued so far."""
    assert ping.delay("drained").get(timeout=30) == "drained"


def received_by(smtp, address):
    return [m for m, e in zip(smtp.messages, smtp.envelopes, strict=True) if address in e.rcpt_tos]


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def supporter(signature, language) -> str:
    """How a letter in this language is signed without the signer's consent."""
    with translation.override(language):
        return delivery.supporter_name(signature)


def kinds(**filters) -> list[str]:
    return sorted(OutgoingMessage.objects.filter(**filters).values_list("kind", flat=True))


# -- End to end: real worker, real broker, real SMTP -----------------------------------------


@worker_test
def test_each_mode_emails_every_letter_to_its_official_once_confirmed(celery_worker, smtp_server):
    campaign = make_campaign(Mode.EACH)
    signature = SignatureFactory(campaign=campaign, name="Rosa Díaz", consent_share_name=True)

    confirm(signature)
    smtp_server.wait_for(3)  # the signer's copy and one letter to each official with e-mail
    drain()

    assert len(smtp_server.messages) == 3
    (to_ana,) = received_by(smtp_server, "ana@gov.example.org")
    (to_jean,) = received_by(smtp_server, "jean@gov.example.org")
    (copy,) = received_by(smtp_server, signature.email)
    assert to_ana["Subject"] == "Reabran el caso de Lucía Beltrán Ortega"
    assert "Estimado/a Ana Fiscal:" in text_part(to_ana)
    assert "Rosa Díaz" in text_part(to_ana)
    # No French template: the signer's language (English) is the fallback.
    assert "Dear Jean Procureur," in text_part(to_jean)
    assert "Your letter is being e-mailed now to:" in text_part(copy)
    assert set(OutgoingMessage.objects.values_list("status", flat=True)) == {Status.SENT}


@worker_test
def test_rerunning_the_delivery_the_send_task_and_the_sweep_sends_nothing_twice(
    celery_worker, smtp_server
):
    campaign = make_campaign(Mode.EACH)
    signature = SignatureFactory(campaign=campaign)
    confirm(signature)
    smtp_server.wait_for(3)
    drain()

    confirm(signature)  # a retried confirmation, say
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    OutgoingMessage.objects.update(scheduled_at=long_ago)
    outbox_services.schedule(list(OutgoingMessage.objects.values_list("pk", flat=True)))
    sweep_outbox.delay()
    drain()
    drain()  # the sends the sweep queued behind the first barrier

    assert len(smtp_server.messages) == 3
    assert Letter.objects.filter(signature=signature).count() == 3
    assert OutgoingMessage.objects.count() == 3


@worker_test
def test_digest_mode_sends_each_official_one_message_a_day_with_every_letter(
    celery_worker, smtp_server
):
    campaign = make_campaign(Mode.DIGEST)
    rosa = SignatureFactory(campaign=campaign, name="Rosa Díaz", consent_share_name=True)
    hidden = SignatureFactory(campaign=campaign, name="Hidden Person", country="CO")
    confirm(rosa)
    confirm(hidden)
    smtp_server.wait_for(2)  # the two signers' copies; nothing to officials yet
    drain()
    assert kinds(kind__in=[Kind.LETTER, Kind.DIGEST]) == []

    day = timezone.localdate() - datetime.timedelta(days=2)
    noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())
    Letter.objects.update(created_at=noon)
    send_daily_digests.delay(day.isoformat())
    smtp_server.wait_for(4)
    send_daily_digests.delay(day.isoformat())  # run again: nothing new
    sweep_outbox.delay()
    drain()
    drain()

    assert len(smtp_server.messages) == 4
    (to_ana,) = received_by(smtp_server, "ana@gov.example.org")
    text = text_part(to_ana)
    assert "Rosa Díaz" in text
    assert "Hidden Person" not in text
    assert supporter(hidden, "es") in text
    # A digest names many signers: Reply-To is the official's reply address only (issue 16).
    assert str(to_ana["Reply-To"]).startswith("reply+")
    assert "@" in str(to_ana["Reply-To"]) and "," not in str(to_ana["Reply-To"])
    assert kinds(kind=Kind.DIGEST) == [Kind.DIGEST] * 2


@worker_test
def test_petition_mode_sends_the_petition_pdf_to_each_official_when_the_campaign_closes(
    celery_worker, smtp_server, settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path
    campaign = make_campaign(Mode.PETITION)
    for n in range(3):
        confirm(SignatureFactory(campaign=campaign, consent_share_name=n != 1))
    smtp_server.wait_for(3)  # the copies only
    drain()
    assert kinds(kind=Kind.PETITION) == []

    campaign.close()
    smtp_server.wait_for(5, timeout=60)
    deliver_petition_task.delay(campaign.pk)  # a second close event, or a retry
    drain()

    (to_ana,) = received_by(smtp_server, "ana@gov.example.org")
    assert received_by(smtp_server, "jean@gov.example.org")
    assert len(smtp_server.messages) == 5
    # A long non-ASCII subject is folded; the parser keeps the fold's leading space.
    assert (
        to_ana["Subject"]
        .strip()
        .startswith(("Petition with 3 signatures", "Petición con 3 firmas"))
    )
    attachments = list(to_ana.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["application/pdf"]
    assert attachments[0].get_content().startswith(b"%PDF")
    assert kinds(kind=Kind.PETITION) == [Kind.PETITION] * 2


# -- Letters ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_letter_per_official_in_the_officials_language(django_capture_on_commit_callbacks):
    campaign = make_campaign()
    signature = SignatureFactory(campaign=campaign, language="en", consent_share_name=True)
    with django_capture_on_commit_callbacks(execute=True):
        letters = confirm(signature)

    by_name = {letter.target.name: letter for letter in letters}
    assert sorted(by_name) == ["Ana Fiscal", "Jean Procureur", "Pedro Postal"]
    assert by_name["Ana Fiscal"].language == "es"
    assert by_name["Jean Procureur"].language == "en"  # no French letter: the signer's
    assert "Lucía Beltrán Ortega" in by_name["Ana Fiscal"].body


@pytest.mark.django_db
def test_officials_without_an_email_address_get_no_message(django_capture_on_commit_callbacks):
    campaign = make_campaign()
    signature = SignatureFactory(campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(signature)

    letters = OutgoingMessage.objects.filter(kind=Kind.LETTER)
    assert sorted(letters.values_list("to_email", flat=True)) == [
        "ana@gov.example.org",
        "jean@gov.example.org",
    ]
    assert Letter.objects.filter(target__name="Pedro Postal").exists()  # for the post
    copy = OutgoingMessage.objects.get(kind=Kind.SIGNER_COPY)
    assert "Pedro Postal" in copy.body_text
    assert "Palacio Nacional, Ciudad de México" in copy.body_text


@pytest.mark.django_db
def test_an_edited_letter_is_sent_with_its_placeholders_rendered_as_plain_text(
    django_capture_on_commit_callbacks,
):
    campaign = make_campaign(signers_may_edit=True, postal_official=False)
    signature = SignatureFactory(
        campaign=campaign,
        consent_share_name=True,
        letter_text="Dear {target_name}, <b>act</b> now. {settings.SECRET_KEY} {signer_name}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        letters = confirm(signature)

    for letter in letters:
        assert letter.body.startswith(f"Dear {letter.target.name}, <b>act</b> now.")
        assert "{settings.SECRET_KEY}" in letter.body  # unknown: left as typed, never looked up
        assert signature.name in letter.body
    message = OutgoingMessage.objects.filter(kind=Kind.LETTER).first()
    assert "&lt;b&gt;act&lt;/b&gt;" in message.body_html


@pytest.mark.django_db
def test_an_edit_is_ignored_where_the_campaign_does_not_allow_it(
    django_capture_on_commit_callbacks,
):
    campaign = make_campaign(signers_may_edit=False)
    signature = SignatureFactory(campaign=campaign, letter_text="Something else entirely")
    with django_capture_on_commit_callbacks(execute=True):
        letters = confirm(signature)
    assert all("Something else" not in letter.body for letter in letters)


@pytest.mark.django_db
def test_an_unconfirmed_signature_is_not_delivered():
    signature = SignatureFactory(campaign=make_campaign(), confirmed_at=None)
    with pytest.raises(ValueError):
        delivery.on_signature_confirmed(signature)
    assert not Letter.objects.exists()


# -- Consent ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_consent_the_letter_is_signed_by_a_supporter_and_has_no_reply_to(
    smtp_server, django_capture_on_commit_callbacks
):
    campaign = make_campaign(postal_official=False)
    signature = SignatureFactory(
        campaign=campaign,
        name="Very Private",
        email="private@example.org",
        city="Puebla",
        consent_share_name=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        confirm(signature)

    to_officials = received_by(smtp_server, "ana@gov.example.org") + received_by(
        smtp_server, "jean@gov.example.org"
    )
    assert len(to_officials) == 2
    for message in to_officials:
        raw = message.as_string()
        assert "Very Private" not in raw
        assert "private@example.org" not in raw
        assert "Puebla" not in raw
        # Only the official's reply address for the campaign, never the signer's.
        assert str(message["Reply-To"]).startswith("reply+")
        assert "," not in str(message["Reply-To"])
        assert message["From"] == django_settings.DEFAULT_FROM_EMAIL
    (to_ana,) = received_by(smtp_server, "ana@gov.example.org")
    assert supporter(signature, "es") in text_part(to_ana)
    (copy,) = received_by(smtp_server, "private@example.org")
    assert "your letter is signed “A supporter from Mexico”" in text_part(copy)


@pytest.mark.django_db
def test_with_consent_the_official_gets_the_name_and_can_reply_to_the_signer(
    smtp_server, django_capture_on_commit_callbacks
):
    campaign = make_campaign(postal_official=False)
    signature = SignatureFactory(
        campaign=campaign, name="Rosa Díaz", email="rosa@example.org", consent_share_name=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        confirm(signature)

    (to_ana,) = received_by(smtp_server, "ana@gov.example.org")
    reply_address, signer = str(to_ana["Reply-To"]).split(", ")
    assert reply_address.startswith("reply+")
    assert signer == "rosa@example.org"
    assert to_ana["From"] == django_settings.DEFAULT_FROM_EMAIL
    assert "Rosa Díaz" in text_part(to_ana)
    assert all(m["From"] == django_settings.DEFAULT_FROM_EMAIL for m in smtp_server.messages)


@pytest.mark.django_db
def test_hostile_input_is_escaped_in_html_and_never_makes_a_header(
    smtp_server, django_capture_on_commit_callbacks
):
    campaign = make_campaign(postal_official=False, title="<img src=x onerror=alert(1)>")
    signature = SignatureFactory(
        campaign=campaign,
        name=HOSTILE_NAME,
        city=FORMULA,
        message="<script>steal()</script>\r\nX-Injected: yes",
        consent_share_name=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        confirm(signature)

    assert len(smtp_server.messages) == 3
    for message, envelope in zip(smtp_server.messages, smtp_server.envelopes, strict=True):
        assert len(envelope.rcpt_tos) == 1
        assert "victim@example.org" not in envelope.rcpt_tos
        assert message["Bcc"] is None
        assert message["X-Injected"] is None
        assert "\n" not in message["Subject"]
        html = html_part(message)
        assert "<script>" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;" in html
        assert FORMULA.replace("'", "&#x27;") in html
        assert FORMULA in text_part(message)  # plain text stays as typed


@pytest.mark.django_db
def test_every_message_has_a_text_and_an_html_part(smtp_server, django_capture_on_commit_callbacks):
    campaign = make_campaign(postal_official=False)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(SignatureFactory(campaign=campaign))
    assert len(smtp_server.messages) == 3
    for message in smtp_server.messages:
        assert text_part(message).strip()
        assert html_part(message).lstrip().startswith("<!doctype html>")


# -- The signer's copy -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_signers_copy_is_in_their_language_with_the_pdf_link_and_unsubscribe_headers(
    django_capture_on_commit_callbacks,
):
    campaign = make_campaign()
    signature = SignatureFactory(campaign=campaign, language="es")
    with django_capture_on_commit_callbacks(execute=True):
        confirm(signature)

    copy = OutgoingMessage.objects.get(kind=Kind.SIGNER_COPY)
    assert copy.to_email == signature.email
    assert copy.reply_to == ""
    assert copy.subject.startswith(("Su carta", "Tu carta", "Your letter"))
    # The links are timestamped tokens, so compare what they open, not their text: a test
    # that rebuilt them a second later would see another token.
    pdf_token = re.search(
        re.escape(django_settings.SITE_URL) + r"/letters/([^/\s]+)/pdf/", copy.body_text
    ).group(1)
    assert links.signature_for_pdf_token(pdf_token) == signature
    assert copy.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = delivery.unsubscribe_link(copy.headers)
    assert unsubscribe_url in copy.body_text
    unsubscribe_token = re.search(r"/letters/unsubscribe/([^/]+)/$", unsubscribe_url).group(1)
    assert links.signature_for_unsubscribe_token(unsubscribe_token) == signature


@pytest.mark.parametrize(
    ("mode", "sentence"),
    [
        (Mode.EACH, "Your letter is being e-mailed now to:"),
        (Mode.DIGEST, "Your letter goes out tomorrow"),
        (Mode.PETITION, "one petition sent when the campaign closes"),
    ],
)
@pytest.mark.django_db
def test_the_signers_copy_says_what_happens_next(
    mode, sentence, django_capture_on_commit_callbacks
):
    campaign = make_campaign(mode)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(SignatureFactory(campaign=campaign, language="en"))
    assert sentence in OutgoingMessage.objects.get(kind=Kind.SIGNER_COPY).body_text


# -- Digests ---------------------------------------------------------------------------------

MEXICO = zoneinfo.ZoneInfo("America/Mexico_City")


def at(day: datetime.date, hour: int, minute: int = 0, second: int = 0):
    return datetime.datetime.combine(day, datetime.time(hour, minute, second), tzinfo=MEXICO)


@pytest.fixture
def digest_campaign(settings):
    settings.TIME_ZONE = "America/Mexico_City"  # days are the site's days, not UTC's
    return make_campaign(Mode.DIGEST, postal_official=False)


def signed_at(campaign, when, name):
    signature = SignatureFactory(campaign=campaign, name=name, consent_share_name=True)
    delivery.on_signature_confirmed(signature)
    Letter.objects.filter(signature=signature).update(created_at=when)
    return signature


def digests_to(address) -> list[OutgoingMessage]:
    return list(
        OutgoingMessage.objects.filter(kind=Kind.DIGEST, to_email=address).order_by("created_at")
    )


@pytest.mark.django_db
def test_a_day_is_digested_only_once_it_is_over_and_late_letters_go_out_the_next_run(
    digest_campaign,
):
    day = datetime.date(2026, 11, 2)
    signed_at(digest_campaign, at(day, 0, 0, 0), "First Of Day")
    signed_at(digest_campaign, at(day, 23, 59, 59), "Last Minute")
    signed_at(digest_campaign, at(day + datetime.timedelta(days=1), 0, 0, 0), "Next Day")

    # During the day, nothing: the day is not over.
    assert delivery.send_daily_digests(day, now=at(day, 18)) == 0
    # Just after midnight, still nothing: a confirmation of 23:59:59 may still be committing.
    assert delivery.send_daily_digests(now=at(day + datetime.timedelta(days=1), 0, 5)) == 0

    assert delivery.send_daily_digests(now=at(day + datetime.timedelta(days=1), 0, 30)) == 2
    (first,) = digests_to("ana@gov.example.org")
    assert first.idempotency_key.endswith(":2026-11-02")
    assert "First Of Day" in first.body_text
    assert "Last Minute" in first.body_text
    assert "Next Day" not in first.body_text

    # The same run again, or a run asked for that day by hand, queues nothing.
    assert delivery.send_daily_digests(now=at(day + datetime.timedelta(days=1), 0, 30)) == 0
    assert delivery.send_daily_digests(day, now=at(day + datetime.timedelta(days=1), 9)) == 0

    assert delivery.send_daily_digests(now=at(day + datetime.timedelta(days=2), 0, 30)) == 2
    first, second = digests_to("ana@gov.example.org")
    assert second.idempotency_key.endswith(":2026-11-03")
    assert "Next Day" in second.body_text
    assert "Last Minute" not in second.body_text


@pytest.mark.django_db
def test_a_run_missed_while_beat_was_down_is_caught_up(digest_campaign):
    day = datetime.date(2026, 11, 2)
    signed_at(digest_campaign, at(day, 10), "Monday Signer")
    signed_at(digest_campaign, at(day + datetime.timedelta(days=1), 10), "Tuesday Signer")

    assert delivery.send_daily_digests(now=at(day + datetime.timedelta(days=3), 0, 30)) == 4
    keys = [m.idempotency_key for m in digests_to("ana@gov.example.org")]
    assert sorted(key.rsplit(":", 1)[1] for key in keys) == ["2026-11-02", "2026-11-03"]


@pytest.mark.django_db
def test_a_digest_lists_letters_compactly_and_only_shares_consented_names(digest_campaign):
    day = datetime.date(2026, 11, 2)
    signed_at(digest_campaign, at(day, 9), "Rosa Díaz")
    private = SignatureFactory(
        campaign=digest_campaign,
        name="Very Private",
        city="Puebla",
        message="Please act.",
        consent_share_name=False,
    )
    delivery.on_signature_confirmed(private)
    Letter.objects.filter(signature=private).update(created_at=at(day, 10))

    delivery.send_daily_digests(now=at(day + datetime.timedelta(days=1), 1))

    (digest,) = digests_to("ana@gov.example.org")
    assert digest.reply_to.startswith("reply+") and "," not in digest.reply_to
    assert digest.subject.startswith("2 ")
    assert digest.body_text.count("Estimado/a Ana Fiscal:") == 1  # the letter once, not twice
    assert "1. Rosa Díaz (Puebla, " in digest.body_text
    assert "Very Private" not in digest.body_text + digest.body_html
    assert "Puebla" not in digest.body_text.split("2. ", 1)[1]
    assert "Please act." in digest.body_text


@pytest.mark.django_db
def test_each_and_petition_campaigns_have_no_digest(django_capture_on_commit_callbacks):
    yesterday = timezone.now() - datetime.timedelta(days=2)
    for mode in (Mode.EACH, Mode.PETITION):
        campaign = make_campaign(mode)
        with django_capture_on_commit_callbacks(execute=True):
            confirm(SignatureFactory(campaign=campaign))
    Letter.objects.update(created_at=yesterday)
    assert delivery.send_daily_digests() == 0


# -- Petitions -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_closing_a_petition_campaign_queues_its_delivery_after_commit(
    django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path
    campaign = make_campaign(Mode.PETITION)
    confirm(SignatureFactory(campaign=campaign, consent_share_name=True))
    with django_capture_on_commit_callbacks() as callbacks:
        campaign.close()
        assert kinds(kind=Kind.PETITION) == []
    assert callbacks
    for callback in callbacks:
        callback()

    petitions = OutgoingMessage.objects.filter(kind=Kind.PETITION).order_by("to_email")
    assert [m.to_email for m in petitions] == ["ana@gov.example.org", "jean@gov.example.org"]
    assert all(m.attachment.name.endswith(".pdf") for m in petitions)
    assert "not attached" not in petitions[1].body_text

    # Delivering again makes no new PDF and queues nothing.
    files_before = sorted(p.name for p in tmp_path.rglob("*.pdf"))
    assert delivery.deliver_petition(campaign) == 0
    assert sorted(p.name for p in tmp_path.rglob("*.pdf")) == files_before


@pytest.mark.django_db
def test_the_petition_signer_list_is_laid_out_once_for_every_official(
    settings, tmp_path, monkeypatch
):
    from pypdf import PdfReader

    from letters.delivery import pdf

    settings.PRIVATE_FILES_ROOT = tmp_path
    campaign = make_campaign(Mode.PETITION, postal_official=False)
    campaign.targets.add(
        TargetFactory(name="Carmen Jueza", language="es", email="carmen@gov.example.org"),
        TargetFactory(name="Diego Defensor", language="es", email="diego@gov.example.org"),
    )
    campaign.targets.update(language="es")
    for n in range(3):
        SignatureFactory(campaign=campaign, name=f"Firmante {n}", consent_share_name=True)
    layouts = []
    lay_out = pdf.lay_out_signer_list

    def spy(campaign, language, folder, **kwargs):
        layouts.append(language)
        return lay_out(campaign, language, folder, **kwargs)

    monkeypatch.setattr(pdf, "lay_out_signer_list", spy)

    assert delivery.deliver_petition(campaign) == 4
    assert layouts == ["es"]
    petitions = OutgoingMessage.objects.filter(kind=Kind.PETITION)
    assert len({message.attachment.name for message in petitions}) == 4
    for message in petitions:
        reader = PdfReader(message.attachment.path)
        text = "\n".join(page.extract_text() for page in reader.pages)
        official = campaign.targets.get(email=message.to_email).name
        assert official in text.split("Firmante")[0]  # each cover is the official's own
        assert all(f"Firmante {n}" in text for n in range(3))
        assert f"{len(reader.pages)} / {len(reader.pages)}" in text


@pytest.mark.parametrize("mode", [Mode.EACH, Mode.DIGEST])
@pytest.mark.django_db
def test_closing_another_kind_of_campaign_sends_no_petition(
    mode, django_capture_on_commit_callbacks
):
    campaign = make_campaign(mode)
    with django_capture_on_commit_callbacks(execute=True):
        campaign.close()
    assert kinds(kind=Kind.PETITION) == []


# -- The demo and the real sign flow ---------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_campaign_emails_each_letter_as_it_is_confirmed(
    demo_data, django_capture_on_commit_callbacks, mailoutbox
):
    campaign = Campaign.objects.get(slug="justice-for-journalists-in-mexico")
    signature = SignatureFactory(campaign=campaign, consent_share_name=True, language="es")
    with django_capture_on_commit_callbacks(execute=True):
        confirm(signature)

    officials = {t.email for t in campaign.targets.all() if t.email}
    assert officials
    to_officials = [m for m in mailoutbox if m.to[0] in officials]
    assert sorted(m.to[0] for m in to_officials) == sorted(officials)
    assert any(m.to == [signature.email] for m in mailoutbox)


@pytest.mark.django_db
def test_confirming_through_the_sign_flow_delivers_the_letters(
    demo_data, django_capture_on_commit_callbacks, mailoutbox
):
    campaign = Campaign.objects.get(slug="justice-for-journalists-in-mexico")
    with django_capture_on_commit_callbacks(execute=True):
        signing.sign(
            campaign,
            {
                "name": "Rosa Díaz",
                "email": "rosa@example.org",
                "country": "MX",
                "city": "Puebla",
                "consent_share_name": True,
            },
            language="es",
            client_ip="127.0.0.1",
        )
    (confirmation,) = mailoutbox
    token = re.search(r"/signatures/confirm/([^/\s]+)/", confirmation.body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        confirm_signature(token)

    officials = sorted(t.email for t in campaign.targets.all() if t.email)
    assert sorted(m.to[0] for m in mailoutbox if m.to[0] in officials) == officials
    assert [m.to for m in mailoutbox].count(["rosa@example.org"]) == 2  # confirmation, copy


# -- The coordinator's figures ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_figures_page_counts_deliveries_by_kind_and_status_and_names_postal_officials(
    client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    campaign = make_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        confirm(SignatureFactory(campaign=campaign))
    OutgoingMessage.objects.filter(to_email="jean@gov.example.org").update(status=Status.FAILED)
    client.force_login(MembershipFactory(organisation=campaign.organisation).user)

    # One more than before sources: the signatures by source and by day (one grouped query).
    with django_assert_max_num_queries(10):
        response = client.get(f"/dashboard/campaigns/{campaign.slug}/signatures/")

    rows = {row["kind"]: row for row in response.context["deliveries"]}
    assert rows["Letter to an official"] | {} == {
        "kind": "Letter to an official",
        "pending": 0,
        "sent": 1,
        "failed": 1,
        "total": 2,
    }
    assert rows["Copy of the letter to the signer"]["sent"] == 1
    html = response.content.decode()
    assert "Officials without an e-mail address" in html
    assert "Pedro Postal" in html


@pytest.mark.django_db
def test_the_confirmation_hook_runs_a_fixed_number_of_queries_however_many_officials(
    django_assert_max_num_queries,
):
    campaign = make_campaign()
    campaign.targets.add(*TargetFactory.create_batch(10))
    signature = SignatureFactory(campaign=campaign)
    signature = (
        type(signature).objects.select_related("campaign__organisation").get(pk=signature.pk)
    )
    # Templates, officials, cases, the letters (one INSERT), their rows back, the outbox (one
    # INSERT) and its keys back: 7, plus the savepoint and its release, plus the campaign's
    # titles in other languages (the e-mails name it in each official's language): one.
    with django_assert_max_num_queries(10):
        letters = confirm(signature)
    assert len(letters) == 13


@pytest.mark.django_db
def test_the_daily_digest_runs_from_beat_after_midnight():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="letters.tasks.send_daily_digests")
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("0", "30")


@pytest.mark.django_db
def test_a_digest_names_the_campaign_in_the_officials_language_when_written_in_it(
    digest_campaign,
):
    from campaigns.models import CampaignTranslation

    CampaignTranslation.objects.create(
        campaign=digest_campaign, language="es", title="Justicia para Lucía", summary="Reabran."
    )
    day = datetime.date(2026, 11, 2)
    signed_at(digest_campaign, at(day, 9), "Rosa Díaz")

    delivery.send_daily_digests(now=at(day + datetime.timedelta(days=1), 1))

    (spanish,) = digests_to("ana@gov.example.org")
    (french,) = digests_to("jean@gov.example.org")
    assert "Justicia para Lucía" in spanish.subject
    assert '<span lang="es" dir="auto">Justicia para Lucía</span>' in spanish.body_html
    assert digest_campaign.title in french.subject  # no French title: the main one
    assert "Justicia" not in french.subject
