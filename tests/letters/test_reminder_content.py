"""What a reminder says: placeholders, the included sections, escaping and headers.

Its speed is measured in bench/reminder_render_bench.py, not here.
"""

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Campaign
from cases.models import Case
from letters.reminders.content import (
    ReminderRunContext,
    reminder_headers,
    render_reminder,
    signed_campaign_ids_for,
    validate_reminder_text,
)
from tests.factories import CampaignFactory, CaseFactory
from tests.letters.factories import (
    ReminderFactory,
    ReminderTextFactory,
    SignatureFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

SITE = "https://idei.example.org"
RESOLVED = {"impunity": Case.Impunity.FULL_JUSTICE, "unesco_status": Case.UnescoStatus.RESOLVED}


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def render(subscription, reminder, **kwargs):
    shared = ReminderRunContext.build()
    return render_reminder(subscription, reminder, observance_year=2026, shared=shared, **kwargs)


def campaign_about(case, **fields):
    campaign = CampaignFactory(**fields)
    campaign.cases.add(case)
    return campaign


# -- Validation --------------------------------------------------------------------------------


def test_known_placeholders_are_valid():
    validate_reminder_text(
        "{days_left} {date} {country} {unresolved_cases} {unresolved_count_country} "
        "{open_campaigns} {world_unresolved_percent}"
    )


def test_unknown_placeholders_are_named_in_the_error():
    with pytest.raises(ValidationError) as error:
        validate_reminder_text("Hello {name}, see {settings.SECRET_KEY}")
    assert "{name}" in str(error.value)
    assert "{settings.SECRET_KEY}" in str(error.value)


def test_a_stray_brace_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_reminder_text("Only {days_left} days } left")
    assert error.value.code == "stray_brace"


# -- Content -----------------------------------------------------------------------------------


def test_placeholders_are_replaced_in_subject_and_body():
    CaseFactory(country="MX", full_name="Miroslava Breach", date_of_death=None, year=2017)
    text = ReminderTextFactory(
        subject="{days_left} days until {date}",
        body="In {country}: {unresolved_count_country} unresolved cases.",
    )
    email = render(SubscriptionFactory(country="MX"), text.reminder)
    assert email.subject == "14 days until 2 November 2026"
    assert "In Mexico: 1 unresolved cases." in email.text


def test_the_country_cases_are_listed_with_their_year():
    CaseFactory(country="MX", full_name="Miroslava Breach", year=2017)
    CaseFactory(country="CO", full_name="Someone Elsewhere", year=2018)
    text = ReminderTextFactory()
    email = render(SubscriptionFactory(country="MX"), text.reminder)
    assert "Miroslava Breach (2017)" in email.text
    assert "Someone Elsewhere" not in email.text
    assert f"{SITE}/cases/mx/" in email.text


def test_resolved_and_unpublished_cases_are_not_listed():
    CaseFactory(country="MX", full_name="Resolved Case", **RESOLVED)
    CaseFactory(country="MX", full_name="Draft Case", is_published=False)
    email = render(SubscriptionFactory(country="MX"), ReminderTextFactory().reminder)
    assert "Resolved Case" not in email.text
    assert "Draft Case" not in email.text
    assert "no unresolved case in Mexico" in email.text


def test_open_campaigns_the_address_signed_are_left_out():
    case = CaseFactory(country="MX")
    signed = campaign_about(case, title="Already signed")
    campaign_about(case, title="Not yet signed")
    subscription = SubscriptionFactory(country="MX", email="ana@example.org")
    SignatureFactory(campaign=signed, email="ana@example.org")
    email = render(subscription, ReminderTextFactory().reminder)
    assert "Not yet signed" in email.text
    assert "Already signed" not in email.text


def test_closed_and_draft_campaigns_are_not_offered():
    case = CaseFactory(country="MX")
    campaign_about(case, title="Closed one", status=Campaign.Status.CLOSED)
    campaign_about(case, title="Draft one", status=Campaign.Status.DRAFT)
    email = render(SubscriptionFactory(country="MX"), ReminderTextFactory().reminder)
    assert "Closed one" not in email.text
    assert "Draft one" not in email.text


def test_campaign_links_are_absolute():
    campaign = campaign_about(CaseFactory(country="MX"), title="Justice now", slug="justice-now")
    email = render(SubscriptionFactory(country="MX"), ReminderTextFactory().reminder)
    assert f"{SITE}/campaigns/{campaign.slug}/" in email.text
    assert f'href="{SITE}/campaigns/{campaign.slug}/"' in email.html


def test_sections_follow_the_reminder_definition():
    CaseFactory(country="MX", full_name="Miroslava Breach", year=2017)
    campaign_about(CaseFactory(country="MX"), title="Justice now")
    reminder = ReminderFactory(
        include_country_cases=False, include_open_campaigns=False, include_world_share=False
    )
    email = render(
        SubscriptionFactory(country="MX"), ReminderTextFactory(reminder=reminder).reminder
    )
    assert "Miroslava Breach" not in email.text
    assert "Justice now" not in email.text
    assert "Worldwide" not in email.text


def test_world_share_is_the_unresolved_percentage_of_published_cases():
    CaseFactory(country="MX")
    CaseFactory(country="FR", **RESOLVED)
    email = render(SubscriptionFactory(), ReminderTextFactory().reminder)
    assert "Worldwide, 50% of the killings" in email.text


def test_content_placed_by_the_body_is_not_repeated():
    CaseFactory(country="MX", full_name="Miroslava Breach", year=2017)
    text = ReminderTextFactory(body="Remember:\n{unresolved_cases}")
    email = render(SubscriptionFactory(country="MX"), text.reminder)
    assert email.text.count("Miroslava Breach") == 1


def test_every_reminder_says_what_the_day_is_why_and_how_to_stop():
    subscription = SubscriptionFactory(
        consent_record={"at": "2026-03-14T10:00:00+00:00"}, unsubscribe_token="tok-123"
    )
    email = render(subscription, ReminderTextFactory().reminder)
    assert "International Day to End Impunity for Crimes against Journalists" in email.text
    assert "on 14 March 2026 you asked to be reminded" in email.text
    assert f"{SITE}/reminders/unsubscribe/tok-123/" in email.text
    assert f'href="{SITE}/reminders/unsubscribe/tok-123/"' in email.html
    assert f"{SITE}/reminders/preferences/tok-123/" in email.text


def test_the_subscribers_language_is_used():
    ReminderTextFactory(language="en", subject="English")
    text = ReminderTextFactory(language="fr", subject="Plus que {days_left} jours")
    email = render(SubscriptionFactory(language="fr", country="FR"), text.reminder)
    assert email.subject == "Plus que 14 jours"
    assert "14 mars 2026" in email.text  # the consent date, in French
    assert '<html lang="fr" dir="ltr">' in email.html


def test_arabic_reminders_are_right_to_left():
    text = ReminderTextFactory(language="ar", subject="تذكير")
    email = render(SubscriptionFactory(language="ar"), text.reminder)
    assert '<html lang="ar" dir="rtl">' in email.html


def test_a_language_without_text_falls_back_to_english():
    text = ReminderTextFactory(language="en", subject="English subject")
    email = render(SubscriptionFactory(language="es"), text.reminder)
    assert email.subject == "English subject"
    assert '<html lang="en"' in email.html


# -- Hostile content ---------------------------------------------------------------------------


def test_script_in_a_case_name_is_escaped_in_html():
    CaseFactory(country="MX", full_name="<script>alert(1)</script>", year=2020)
    email = render(SubscriptionFactory(country="MX"), ReminderTextFactory().reminder)
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "<script>alert(1)</script> (2020)" in email.text  # plain text stays readable


def test_script_in_a_campaign_title_is_escaped_in_html():
    campaign_about(CaseFactory(country="MX"), title='<img src=x onerror="alert(1)">')
    email = render(SubscriptionFactory(country="MX"), ReminderTextFactory().reminder)
    assert "<img" not in email.html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in email.html


def test_html_in_the_reminder_body_is_escaped():
    text = ReminderTextFactory(body="<b>bold</b> & {country}")
    email = render(SubscriptionFactory(), text.reminder)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; Mexico" in email.html


def test_line_breaks_in_data_cannot_reach_the_subject():
    campaign_about(CaseFactory(country="MX"), title="Title\r\nBcc: victim@example.org")
    text = ReminderTextFactory(subject="Sign: {open_campaigns}\r\nX-Injected: yes")
    email = render(SubscriptionFactory(country="MX"), text.reminder)
    assert "\n" not in email.subject and "\r" not in email.subject


def test_a_subject_made_long_by_a_placeholder_fits_the_outbox():
    for n in range(5):
        campaign_about(CaseFactory(country="MX"), title=f"{n} " + "Justice " * 20)
    text = ReminderTextFactory(subject="Sign: {open_campaigns}")
    email = render(SubscriptionFactory(country="MX"), text.reminder)
    assert len(email.subject) <= 300
    assert email.subject.endswith("…")


def test_unsubscribe_headers_are_rfc_8058_with_an_absolute_url():
    headers = reminder_headers(SubscriptionFactory(unsubscribe_token="abc_DEF-123"))
    assert headers == {
        "List-Unsubscribe": f"<{SITE}/reminders/unsubscribe/abc_DEF-123/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_a_line_break_in_a_token_cannot_reach_a_header():
    headers = reminder_headers(SubscriptionFactory(unsubscribe_token="abc\r\nBcc: x@example.org"))
    assert all("\n" not in value and "\r" not in value for value in headers.values())


# -- Batching and speed ------------------------------------------------------------------------


def test_signed_campaigns_of_a_chunk_come_from_one_query(django_assert_num_queries):
    campaign = CampaignFactory()
    SignatureFactory(campaign=campaign, email="a@example.org")
    SignatureFactory(email="b@example.org")
    with django_assert_num_queries(1):
        signed = signed_campaign_ids_for(["a@example.org", "b@example.org", "c@example.org"])
    assert signed["a@example.org"] == {campaign.pk}
    assert "c@example.org" not in signed


def test_rendering_needs_no_query_when_the_chunk_was_asked(django_assert_num_queries):
    case = CaseFactory(country="MX")
    campaign_about(case)
    subscription = SubscriptionFactory(country="MX")
    reminder = ReminderTextFactory().reminder
    shared = ReminderRunContext.build()
    signed = shared.signed_campaign_ids_for([subscription.email_key])
    render_reminder(
        subscription, reminder, observance_year=2026, shared=shared, signed_campaign_ids=set()
    )
    with django_assert_num_queries(0):
        render_reminder(
            subscription,
            reminder,
            observance_year=2026,
            shared=shared,
            signed_campaign_ids=signed.get(subscription.email_key, set()),
        )
