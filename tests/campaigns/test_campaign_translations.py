"""A campaign's title, summary and story in several languages (issue 15, point 8).

Readers see the texts in their language when the coordinators wrote them in it, and otherwise
the main texts (Campaign.language) with a note saying which language they are in; every piece
is marked with the language it is written in.
"""

import pytest
import tinyhtml5
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import Campaign, CampaignTranslation
from campaigns.share_card import card_texts
from idei.outbox.models import OutgoingMessage
from letters.reminders.content import ReminderRunContext, render_reminder
from letters.signing.confirmations import issue_due_confirmations
from tests.factories import CampaignFactory, CaseFactory, MembershipFactory, UserFactory
from tests.letters.factories import (
    ReminderTextFactory,
    SignatureFactory,
    SubscriptionFactory,
    open_campaign,
    pending_signature,
)

pytestmark = pytest.mark.django_db

TITLE_ES = "Justicia para Regina"
SUMMARY_ES = "Nadie ha sido condenado por su asesinato."
BODY_ES = "Regina **Martínez** fue asesinada en 2012."
TITLE_AR = "العدالة لريجينا"


def translated_campaign(**fields):
    campaign = open_campaign(
        title="Justice for Regina",
        summary="Nobody has been convicted of her murder.",
        body="Regina **Martínez** was killed in 2012.",
        language="en",
        **fields,
    )
    CampaignTranslation.objects.create(
        campaign=campaign, language="es", title=TITLE_ES, summary=SUMMARY_ES, body=BODY_ES
    )
    return campaign


def page(client, url, language):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def element(html, element_id):
    for node in tinyhtml5.parse(html).iter():
        if node.attrib.get("id") == element_id:
            return node
    raise AssertionError(f"no #{element_id}")


def element_with_class(html, name):
    for node in tinyhtml5.parse(html).iter():
        if name in node.attrib.get("class", "").split():
            return node
    raise AssertionError(f"no .{name}")


def meta(html, name):
    for node in tinyhtml5.parse(html).iter():
        if node.attrib.get("property") == name or node.attrib.get("name") == name:
            return node.attrib["content"]
    raise AssertionError(f"no meta {name}")


def text_of(node) -> str:
    return "".join(node.itertext())


# -- The public page ---------------------------------------------------------------------------


def test_a_reader_of_a_translated_language_reads_the_campaign_in_it(client):
    campaign = translated_campaign()

    html = page(client, campaign.get_absolute_url(), "es")

    title = element(html, "campaign-title")
    assert text_of(title) == TITLE_ES
    assert title.attrib["lang"] == "es" and title.attrib["dir"] == "auto"
    assert f'<p class="lead prose" lang="es" dir="auto">{SUMMARY_ES}</p>' in html
    assert '<div lang="es" dir="auto"><p>Regina <strong>Martínez</strong> fue asesinada' in html
    assert "Justice for Regina" not in html
    assert "campaign-text-language" not in html  # no "written in" note: it is their language


def test_the_open_graph_tags_and_share_card_follow_the_readers_language(client):
    campaign = translated_campaign()

    html = page(client, campaign.get_absolute_url(), "es")

    assert meta(html, "og:title") == TITLE_ES
    assert meta(html, "og:description") == SUMMARY_ES
    assert meta(html, "twitter:title") == TITLE_ES
    assert meta(html, "og:locale") == "es"
    assert 'property="og:locale:alternate" content="en"' in html
    card = meta(html, "og:image")
    assert card.endswith("&lang=es")
    english = page(Client(), campaign.get_absolute_url(), "en")
    assert meta(english, "og:title") == "Justice for Regina"
    assert "lang=" not in meta(english, "og:image")
    assert meta(english, "og:image") != card  # a card of its own, cached apart


def test_the_share_card_is_drawn_with_the_translated_title():
    campaign = translated_campaign()

    assert card_texts(campaign, 10, "es")["title"] == TITLE_ES
    assert card_texts(campaign, 10, "es")["language"] == "es"
    assert card_texts(campaign, 10, "fr")["title"] == "Justice for Regina"
    assert card_texts(campaign, 10)["language"] == "en"


def test_the_share_card_url_answers_in_each_language_and_ignores_unknown_ones(client):
    campaign = translated_campaign()
    url = reverse("campaigns:share_card", args=[campaign.slug])

    spanish = client.get(url + "?lang=es")
    english = client.get(url)
    unknown = client.get(url + "?lang=xx")

    assert spanish.status_code == english.status_code == unknown.status_code == 200
    assert spanish["Content-Type"] == "image/png"
    assert spanish.content != english.content
    assert unknown.content == english.content


def test_a_reader_of_an_untranslated_language_reads_the_main_texts_and_is_told_their_language(
    client,
):
    campaign = translated_campaign()

    html = page(client, campaign.get_absolute_url(), "fr")

    title = element(html, "campaign-title")
    assert text_of(title) == "Justice for Regina" and title.attrib["lang"] == "en"
    note = element_with_class(html, "campaign-text-language")
    assert "anglais" in text_of(note).lower()  # "This campaign is written in English", in French
    assert '<p class="lead prose" lang="en" dir="auto">' in html


def test_a_translation_without_a_story_shows_the_main_story_marked_with_its_language(client):
    campaign = translated_campaign()
    CampaignTranslation.objects.filter(campaign=campaign).update(body="")

    html = page(client, campaign.get_absolute_url(), "es")

    assert text_of(element(html, "campaign-title")) == TITLE_ES
    assert '<div lang="en" dir="auto"><p>Regina <strong>Martínez</strong> was killed' in html
    note = element_with_class(html, "campaign-text-language")
    assert "inglés" in text_of(note).lower()  # the story is said to be in English, in Spanish


def test_the_page_cache_keeps_each_language_apart_and_forgets_an_edited_translation(
    django_capture_on_commit_callbacks,
):
    campaign = translated_campaign()
    url = campaign.get_absolute_url()
    assert TITLE_ES in page(Client(), url, "es")
    assert "Justice for Regina" in page(Client(), url, "en")  # not the Spanish page kept above

    translation_row = campaign.translations.get()
    translation_row.title = "Justicia para Regina Martínez"
    with django_capture_on_commit_callbacks(execute=True):
        translation_row.save()

    assert "Justicia para Regina Martínez" in page(Client(), url, "es")


def test_the_campaign_list_shows_each_card_in_the_readers_language(
    client, django_assert_num_queries
):
    translated_campaign()
    open_campaign(title="Only in English", language="en")

    html = page(client, reverse("campaigns:list"), "es")

    assert f'lang="es" dir="auto">{TITLE_ES}</a>' in html
    assert f'<p class="mb-2" lang="es" dir="auto">{SUMMARY_ES}</p>' in html
    assert 'lang="en" dir="auto">Only in English</a>' in html
    assert html.count("campaign-text-language") == 1  # the English-only card says so


def test_the_list_reads_translations_in_one_query_whatever_the_number_of_campaigns(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    translated_campaign()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            page(Client(), reverse("campaigns:list") + "?page=1", "es")
        return len(captured)

    one = queries()
    for _ in range(3):
        translated_campaign()
    assert queries() == one


def test_the_embed_and_the_home_page_show_the_translated_title(client):
    campaign = translated_campaign()

    embed = page(client, reverse("letters:embed", args=[campaign.slug]), "es")
    home = page(Client(), reverse("home"), "es")

    assert f'<span lang="es" dir="auto">{TITLE_ES}</span>' in embed
    assert f'<span lang="es" dir="auto">{TITLE_ES}</span>' in home


def test_the_confirm_and_thank_you_pages_name_the_campaign_in_the_readers_language(client):
    campaign = translated_campaign()
    _signature, token = pending_signature(campaign)

    confirm = page(client, reverse("letters:confirm", args=[token]), "es")
    thanks = page(Client(), reverse("letters:thanks", args=[campaign.slug]), "es")
    english = page(Client(), reverse("letters:thanks", args=[campaign.slug]), "en")

    assert f'<span lang="es" dir="auto">{TITLE_ES}</span>' in confirm
    assert f'<span lang="es" dir="auto">{TITLE_ES}</span>' in thanks
    assert '<span lang="en" dir="auto">Justice for Regina</span>' in english


# -- E-mails -----------------------------------------------------------------------------------


def test_the_confirmation_email_names_the_campaign_in_the_signers_language():
    campaign = translated_campaign()
    SignatureFactory(
        campaign=campaign,
        email="ana@example.org",
        email_key="ana@example.org",
        language="es",
        confirmed_at=None,
        confirmation_due_at=timezone.now(),
    )
    SignatureFactory(
        campaign=campaign,
        email="f@example.org",
        email_key="f@example.org",
        language="fr",
        confirmed_at=None,
        confirmation_due_at=timezone.now(),
    )

    issue_due_confirmations()

    spanish = OutgoingMessage.objects.get(to_email="ana@example.org")
    french = OutgoingMessage.objects.get(to_email="f@example.org")
    assert TITLE_ES in spanish.subject and TITLE_ES in spanish.body_text
    assert f'<span lang="es" dir="auto">{TITLE_ES}</span>' in spanish.body_html
    assert "Justice for Regina" in french.subject
    assert '<span lang="en" dir="auto">Justice for Regina</span>' in french.body_html


def test_a_reminder_lists_open_campaigns_in_the_subscribers_language():
    case = CaseFactory(country="MX")
    campaign = translated_campaign()
    campaign.cases.add(case)
    reminder = ReminderTextFactory(language="es", body="Campañas:\n{open_campaigns}").reminder
    subscription = SubscriptionFactory(country="MX", language="es")

    email = render_reminder(
        subscription,
        reminder,
        observance_year=2026,
        shared=ReminderRunContext.build(),
        signed_campaign_ids=set(),
    )

    assert TITLE_ES in email.text
    assert f'lang="es" dir="auto">{TITLE_ES}</a>' in email.html
    assert "Justice for Regina" not in email.text


# -- The API -----------------------------------------------------------------------------------


def test_the_api_adds_the_language_and_translations_and_keeps_the_main_fields(client):
    campaign = translated_campaign()

    data = client.get(f"/api/v1/campaigns/{campaign.slug}/").json()

    assert data["title"] == "Justice for Regina"
    assert data["summary"] == "Nobody has been convicted of her murder."
    assert data["language"] == "en"
    assert data["translations"] == [{"language": "es", "title": TITLE_ES, "summary": SUMMARY_ES}]
    listed = client.get("/api/v1/campaigns/").json()["results"][0]
    assert listed["translations"][0]["title"] == TITLE_ES


# -- The model and admin -----------------------------------------------------------------------


def test_a_campaign_has_one_text_per_language():
    from django.db import IntegrityError, transaction

    campaign = translated_campaign()
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignTranslation.objects.create(campaign=campaign, language="es", title="x", summary="y")


def test_a_translation_in_the_main_language_is_refused():
    campaign = CampaignFactory(language="en")
    text = CampaignTranslation(campaign=campaign, language="en", title="Again", summary="Again")

    with pytest.raises(ValidationError):
        text.full_clean()


def test_texts_in_follow_the_active_language():
    campaign = translated_campaign()

    with translation.override("es"):
        assert campaign.shown.title == TITLE_ES
    with translation.override("ar"):
        assert campaign.shown.title == "Justice for Regina"
        assert campaign.shown.language == "en"
    assert campaign.text_languages == ["en", "es"]


def test_the_admin_edits_translations_inline(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    campaign = translated_campaign()

    html = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content
    assert b"translations-0-title" in html and TITLE_ES.encode() in html


# -- The dashboard -----------------------------------------------------------------------------


@pytest.fixture
def coordinator_client(client):
    user = UserFactory(username="coordinator")
    membership = MembershipFactory(user=user, organisation__slug="our-org")
    client.force_login(user)
    client.organisation = membership.organisation
    return client


def edit_data(campaign, **texts):
    data = {
        "language": campaign.language,
        "title": campaign.title,
        "slug": campaign.slug,
        "summary": campaign.summary,
        "body": campaign.body,
        "image_credit": "",
        "goal": campaign.goal,
        "opens_at": "",
        "closes_at": "",
        "delivery_mode": campaign.delivery_mode,
        "thank_you_text": "",
        "share_text": "",
        "embed_origins": "",
    }
    for code in ("fr", "es", "ar", "ru", "zh-hans"):
        for name in ("title", "summary", "body"):
            data[f"text-{code}-{name}"] = ""
    data.update(texts)
    return data


def test_a_coordinator_writes_the_title_and_summary_in_other_languages(coordinator_client):
    campaign = CampaignFactory(organisation=coordinator_client.organisation, language="en")
    url = reverse("dashboard:campaign_edit", args=[campaign.slug])

    form = coordinator_client.get(url).content.decode()
    assert 'name="text-ar-title"' in form and 'name="text-en-title"' not in form
    assert 'name="text-ar-summary"' in form
    # Arabic is edited right to left.
    for node in tinyhtml5.parse(form).iter():
        if node.attrib.get("name") in ("text-ar-title", "text-ar-summary", "text-ar-body"):
            assert node.attrib["dir"] == "rtl" and node.attrib["lang"] == "ar"

    response = coordinator_client.post(
        url,
        edit_data(
            campaign,
            **{
                "text-es-title": TITLE_ES,
                "text-es-summary": SUMMARY_ES,
                "text-ar-title": TITLE_AR,
                "text-ar-summary": "لم يُدن أحد.",
            },
        ),
    )

    assert response.status_code == 302
    texts = {t.language: t for t in campaign.translations.all()}
    assert set(texts) == {"es", "ar"}
    assert texts["es"].title == TITLE_ES and texts["ar"].title == TITLE_AR


def test_a_title_without_its_summary_is_refused_and_nothing_is_saved(coordinator_client):
    campaign = CampaignFactory(organisation=coordinator_client.organisation, title="Before")
    url = reverse("dashboard:campaign_edit", args=[campaign.slug])

    response = coordinator_client.post(
        url, edit_data(campaign, title="After", **{"text-es-title": TITLE_ES})
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Write the summary in this language" in html
    assert 'href="#id_text-es-summary"' in html  # in the error summary
    campaign.refresh_from_db()
    assert campaign.title == "Before" and not campaign.translations.exists()


def test_translated_texts_are_checked_like_the_main_ones(coordinator_client):
    campaign = CampaignFactory(organisation=coordinator_client.organisation)
    url = reverse("dashboard:campaign_edit", args=[campaign.slug])

    response = coordinator_client.post(
        url,
        edit_data(
            campaign,
            **{"text-es-title": "<b>x</b>" + "x" * 300, "text-es-summary": "<script>y</script>"},
        ),
    )

    assert response.status_code == 200
    assert not campaign.translations.exists()
    html = response.content.decode()
    assert "HTML tags such as" in html
    assert "at most 200 characters" in html


def test_emptying_a_language_deletes_it_and_leaving_it_out_keeps_it(coordinator_client):
    campaign = translated_campaign(organisation=coordinator_client.organisation)
    url = reverse("dashboard:campaign_edit", args=[campaign.slug])
    left_out = {k: v for k, v in edit_data(campaign, goal=777).items() if not k.startswith("text-")}

    coordinator_client.post(url, left_out)
    assert campaign.translations.filter(language="es").exists()

    coordinator_client.post(url, edit_data(campaign))
    assert not campaign.translations.exists()


def test_choosing_a_translated_language_as_the_main_one_asks_to_empty_it(coordinator_client):
    campaign = translated_campaign(organisation=coordinator_client.organisation)
    url = reverse("dashboard:campaign_edit", args=[campaign.slug])

    response = coordinator_client.post(
        url,
        edit_data(
            campaign,
            language="es",
            **{"text-es-title": TITLE_ES, "text-es-summary": SUMMARY_ES},
        ),
    )

    assert response.status_code == 200
    assert "is the language of the campaign&#x27;s main texts" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).language == "en"


def test_a_new_campaign_is_created_with_its_translations(coordinator_client):
    data = edit_data(
        CampaignFactory.build(language="en", slug="", delivery_mode="each"),
        organisation=coordinator_client.organisation.pk,
        title="Justice for Regina",
        summary="Nobody has been convicted.",
        **{"text-es-title": TITLE_ES, "text-es-summary": SUMMARY_ES},
    )

    response = coordinator_client.post(reverse("dashboard:campaign_create"), data)

    assert response.status_code == 302
    campaign = Campaign.objects.get(title="Justice for Regina")
    assert campaign.translations.get().title == TITLE_ES
