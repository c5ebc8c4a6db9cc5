"""Public campaign pages: /campaigns/ (filters, sections, pagination) and /campaigns/<slug>/."""

import re
from html import unescape

import pytest
import tinyhtml5
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, CampaignStatusChange
from campaigns.share_card import card_version
from tests.factories import CampaignFactory, CaseFactory, TargetFactory
from tests.letters.factories import LetterTemplateFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'
# A one-pixel transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a1b30000000049454e44ae426082"
)


def page(client, url, status=200, **headers):
    response = client.get(url, **headers)
    assert response.status_code == status
    return response.content.decode()


def full_campaign(**kwargs):
    """A published campaign with a case, an official and an English letter."""
    campaign = CampaignFactory(**kwargs)
    campaign.cases.add(CaseFactory(full_name="Regina Martinez", country="MX"))
    campaign.targets.add(
        TargetFactory(name="Ana Fiscal", position="Attorney General", email="ana@gov.example.org")
    )
    LetterTemplateFactory(campaign=campaign)
    return campaign


def finish(campaign, *statuses):
    """Move a campaign through its life cycle, recording each step as the model does."""
    for status in statuses:
        CampaignStatusChange.objects.create(
            campaign=campaign, from_status=campaign.status, to_status=status
        )
        campaign.status = status
    campaign.save(update_fields=["status"])


def letter_variants(html: str) -> dict:
    """The letter variants of a page (data-letter-variant): their text and whether hidden."""
    found = {}
    for element in tinyhtml5.parse(html).iter():
        name = element.attrib.get("data-letter-variant")
        if name:
            found[name] = {
                "hidden": "hidden" in element.attrib,
                "text": "".join(element.itertext()),
            }
    return found


def meta(html: str, key: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    return unescape(match.group(1)) if match else None


# -- The list --------------------------------------------------------------------------------


def test_list_shows_open_campaigns_and_finished_ones_in_their_own_section(client):
    full_campaign(title="Open one")
    closed = full_campaign(title="Closed one", signature_count=1234)
    finish(closed, Campaign.Status.CLOSED)
    delivered = full_campaign(title="Delivered one")
    finish(delivered, Campaign.Status.CLOSED, Campaign.Status.DELIVERED)

    html = page(client, "/campaigns/")

    open_part, finished_part = html.split('id="finished-heading"')
    assert "Open one" in open_part and "Closed one" not in open_part
    assert "Closed one" in finished_part and "Delivered one" in finished_part
    assert "Closed on" in finished_part and "1,234 signatures" in finished_part
    assert "Letters delivered on" in finished_part


def test_draft_campaign_is_not_listed(client):
    full_campaign(title="Secret draft", status=Campaign.Status.DRAFT)
    assert "Secret draft" not in page(client, "/campaigns/")


def test_list_filters_by_country_of_a_case(client):
    mexico = full_campaign(title="About Mexico")
    philippines = CampaignFactory(title="About the Philippines")
    philippines.cases.add(CaseFactory(country="PH"))

    html = page(client, "/campaigns/?country=ph")

    assert "About the Philippines" in html
    assert mexico.title not in html


def test_list_filters_by_country_of_an_official(client):
    campaign = CampaignFactory(title="Writes to Colombia")
    campaign.cases.add(CaseFactory(country="MX"))
    campaign.targets.add(TargetFactory(country="CO"), TargetFactory(country="CO"))
    CampaignFactory(title="Unrelated").cases.add(CaseFactory(country="MX"))

    html = page(client, "/campaigns/?country=CO")

    assert "Writes to Colombia" in html
    assert "Unrelated" not in html
    # Two officials in the country: still listed once.
    assert html.count("Writes to Colombia") == 1


def test_list_filters_by_case(client):
    case = CaseFactory(full_name="Javier Valdez")
    about = CampaignFactory(title="For Javier")
    about.cases.add(case)
    CampaignFactory(title="Someone else").cases.add(CaseFactory())

    html = page(client, f"/campaigns/?case={case.slug}")

    assert "For Javier" in html and "Someone else" not in html


def test_unknown_filter_values_are_reported_and_ignored(client):
    full_campaign(title="Still listed")

    html = page(client, "/campaigns/?country=ZZ&case=nobody")

    assert "Some filters could not be used" in html
    assert "Still listed" in html


def test_list_paginates_open_campaigns(client):
    for n in range(15):
        CampaignFactory(title=f"Campaign number {n:02d}")

    first = page(client, "/campaigns/")
    second = page(client, "/campaigns/?page=2")

    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert first.count("Campaign number") == 12
    assert second.count("Campaign number") == 3


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_runs_the_same_number_of_queries_for_few_or_many_campaigns(client):
    def make(n):
        for _ in range(n):
            finish(full_campaign(), Campaign.Status.CLOSED)
            full_campaign()

    make(2)
    few = count_queries(client, "/campaigns/?country=MX")
    make(20)
    many = count_queries(client, "/campaigns/?country=MX")
    assert few == many <= 13  # one more: the titles and summaries in other languages


def test_list_rejects_post(client):
    assert client.post("/campaigns/").status_code == 405


# -- A campaign's page -----------------------------------------------------------------------


def test_campaign_page_shows_cases_officials_letter_and_progress(client):
    campaign = full_campaign(goal=200, signature_count=50, body="We ask for **justice**.")

    html = page(client, campaign.get_absolute_url())

    assert campaign.title in html
    assert campaign.organisation.name in html
    assert "<strong>justice</strong>" in html
    assert "Regina Martinez" in html  # the case card
    assert "Ana Fiscal" in html and "Attorney General" in html
    assert 'value="50" max="200"' in html
    assert "50</strong> of 200 signatures" in html
    assert 'id="sign"' in html and 'href="#sign"' in html


def test_campaign_page_never_shows_the_officials_email(client):
    campaign = full_campaign()
    assert "ana@gov.example.org" not in page(client, campaign.get_absolute_url())


def test_letter_is_shown_as_the_official_receives_it_signed_by_consent(client):
    campaign = full_campaign()

    html = unescape(page(client, campaign.get_absolute_url()))
    variants = letter_variants(page(client, campaign.get_absolute_url()))

    assert "Sent in English to Ana Fiscal, Attorney General" in html
    assert "Reopen the case of Regina Martinez" in html
    assert "Dear Ana Fiscal," in html
    # Unticked by default: the letter shown is signed as it is sent without the consent.
    assert variants["anonymous"]["hidden"] is False and variants["named"]["hidden"] is True
    assert "A supporter from [your country]" in variants["anonymous"]["text"]
    assert "[your name]" not in variants["anonymous"]["text"]
    assert "[your name], [your city]" in variants["named"]["text"]
    assert "{signer_name}" not in html and "{target_name}" not in html


def test_letter_without_officials_leaves_the_official_as_words(client):
    campaign = CampaignFactory()
    LetterTemplateFactory(campaign=campaign)

    html = unescape(page(client, campaign.get_absolute_url()))

    assert "Dear [the official's name]," in html


def test_letter_is_in_the_readers_language_when_there_is_one(client):
    campaign = full_campaign()
    LetterTemplateFactory(campaign=campaign, language="es", subject="Reabran el caso", body="Hola")

    html = page(client, campaign.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es")

    assert "Reabran el caso" in html


def test_letter_falls_back_to_an_existing_language(client):
    campaign = CampaignFactory()
    LetterTemplateFactory(campaign=campaign, language="es", subject="Reabran el caso", body="Hola")

    html = page(client, campaign.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")

    assert "Reabran el caso" in html
    assert 'lang="es"' in html


def test_draft_campaign_page_is_404(client):
    campaign = full_campaign(status=Campaign.Status.DRAFT)
    page(client, campaign.get_absolute_url(), status=404)


def test_unknown_campaign_is_404(client):
    page(client, "/campaigns/no-such-campaign/", status=404)


def test_closed_campaign_stays_readable_with_its_outcome(client):
    campaign = full_campaign(signature_count=4321)
    finish(campaign, Campaign.Status.CLOSED, Campaign.Status.DELIVERED)

    html = page(client, campaign.get_absolute_url())

    assert "This campaign is closed" in html
    assert "Letters delivered on" in html and "4,321 signatures" in html
    assert "letters delivered" in html  # the timeline
    assert "Sign the letter" not in html
    assert "Regina Martinez" in html


def test_campaign_page_has_open_graph_and_twitter_tags(client):
    campaign = full_campaign(share_text="Sign for Regina")

    html = page(client, campaign.get_absolute_url())

    assert meta(html, "og:title") == campaign.title
    assert meta(html, "og:description") == "Sign for Regina"
    assert meta(html, "og:url") == f"http://testserver/campaigns/{campaign.slug}/"
    assert meta(html, "twitter:card") == "summary_large_image"
    # The share card drawn on the server (campaigns/share_card.py), with or without an image.
    assert meta(html, "og:image").startswith(
        f"http://testserver/campaigns/{campaign.slug}/share.png?v="
    )


def test_campaign_image_is_shown_with_its_credit_and_shared(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    campaign = full_campaign(image_credit="Photo: Family archive")
    campaign.image.save("regina.png", SimpleUploadedFile("regina.png", PNG))

    html = page(client, campaign.get_absolute_url())

    assert campaign.image.url in html
    assert meta(html, "og:image").endswith("/share.png?v=" + card_version(campaign))
    assert "Image: Photo: Family archive" in html


def test_share_links_are_plain_links_and_the_page_loads_nothing_from_other_sites(client):
    campaign = full_campaign(share_text="Justice for Regina")

    html = page(client, campaign.get_absolute_url())

    assert 'href="mailto:?subject=' in html
    assert 'href="https://wa.me/?text=Justice+for+Regina' in html
    assert 'href="https://t.me/share/url?' in html
    assert 'href="https://x.com/intent/post?' in html
    # Nothing is fetched from elsewhere on load: no external script, image, frame or style.
    external = r'<(script|img|iframe|link)[^>]+(src|href)="(?!http://testserver/)(https?:)?//'
    assert not re.search(external, html)


def test_campaign_page_escapes_hostile_text(client):
    campaign = CampaignFactory(
        title=HOSTILE, summary=HOSTILE, body=HOSTILE, share_text=HOSTILE, image_credit=HOSTILE
    )
    campaign.cases.add(CaseFactory(full_name=HOSTILE))
    campaign.targets.add(TargetFactory(name=HOSTILE, position=HOSTILE, institution=HOSTILE))
    LetterTemplateFactory(campaign=campaign, subject=HOSTILE, body=HOSTILE + " {case_names}")

    html = page(client, campaign.get_absolute_url())

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_list_escapes_hostile_text(client):
    campaign = CampaignFactory(title=HOSTILE, summary=HOSTILE)
    campaign.cases.add(CaseFactory(full_name=HOSTILE))

    html = page(client, "/campaigns/")

    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_campaign_page_rejects_post(client):
    campaign = full_campaign()
    assert client.post(campaign.get_absolute_url()).status_code == 405


def larger(campaign):
    campaign.cases.add(*[CaseFactory() for _ in range(15)])
    campaign.targets.add(*[TargetFactory() for _ in range(10)])
    LetterTemplateFactory(campaign=campaign, language="fr")
    return campaign


def test_campaign_page_runs_the_same_number_of_queries_whatever_its_size(client):
    # Both open: an open page also shows the sign form and recent signers.
    small, large = full_campaign(), larger(full_campaign())
    assert count_queries(client, small.get_absolute_url()) == count_queries(
        client, large.get_absolute_url()
    )


def test_finished_campaign_page_runs_the_same_number_of_queries_whatever_its_size(client):
    small, large = full_campaign(), larger(full_campaign())
    finish(small, Campaign.Status.CLOSED, Campaign.Status.DELIVERED)
    finish(large, Campaign.Status.CLOSED, Campaign.Status.DELIVERED)
    assert count_queries(client, small.get_absolute_url()) == count_queries(
        client, large.get_absolute_url()
    )


def test_user_written_text_carries_its_language_and_direction(client):
    campaign = full_campaign(language="ar", title="العدالة للصحفيين", summary="لم يُدن أحد.")

    html = page(client, campaign.get_absolute_url())

    assert '<h1 id="campaign-title" lang="ar" dir="auto">' in html
    assert '<p class="lead prose" lang="ar" dir="auto">' in html
    assert "This campaign is written in Arabic." in html
    assert 'class="letter-text" dir="auto"' in html


def test_readers_of_the_campaigns_language_are_not_told_its_language(client):
    campaign = full_campaign(language="en")

    assert "This campaign is written in" not in page(client, campaign.get_absolute_url())
