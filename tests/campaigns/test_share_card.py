"""The share card: a PNG drawn on the server in the campaign's language and script, kept in the
cache, drawn again when the count reaches its next step; Open Graph and Twitter tags point at it."""

import io
import re

import pytest
from django.core.cache import cache
from PIL import Image, ImageChops, ImageDraw, ImageFont

from campaigns import share_card
from campaigns.models import Campaign
from tests.factories import CampaignFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def card_of(client, campaign) -> Image.Image:
    response = client.get(f"/campaigns/{campaign.slug}/share.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


def test_a_campaign_has_a_share_card_of_the_size_cards_expect(client):
    campaign = CampaignFactory(signature_count=1234)

    image = card_of(client, campaign)

    assert image.format == "PNG" and image.size == (1200, 630)


def test_the_card_is_kept_in_the_cache(client):
    campaign = CampaignFactory(signature_count=1234)

    card_of(client, campaign)

    assert cache.get(f"share-card:{campaign.pk}:{share_card.card_version(campaign)}")


@pytest.mark.parametrize(
    ("count", "shown"), [(0, 0), (7, 7), (99, 99), (1234, 1200), (1299, 1200), (98765, 98000)]
)
def test_the_count_moves_by_steps_of_two_significant_figures(count, shown):
    assert share_card.count_step(count) == shown


def test_the_card_changes_only_when_the_count_reaches_its_next_step():
    campaign = CampaignFactory(signature_count=1234)
    first = share_card.card_version(campaign)

    campaign.signature_count = 1299
    same = share_card.card_version(campaign)
    campaign.signature_count = 1300
    next_step = share_card.card_version(campaign)

    assert first == same != next_step


def test_a_draft_has_no_card(client):
    campaign = CampaignFactory(status=Campaign.Status.DRAFT)

    assert client.get(f"/campaigns/{campaign.slug}/share.png").status_code == 404


def test_the_campaign_page_has_open_graph_and_twitter_card_tags(client):
    campaign = CampaignFactory(title='Justice "now" <b>', signature_count=1234)

    html = client.get(campaign.get_absolute_url()).content.decode()

    version = share_card.card_version(campaign)
    card_url = f"http://testserver/campaigns/{campaign.slug}/share.png?v={version}"
    assert f'<meta property="og:image" content="{card_url}">' in html
    assert f'<meta name="twitter:image" content="{card_url}">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<meta property="og:title" content="Justice &quot;now&quot; &lt;b&gt;">' in html


def test_share_links_stay_plain_links_each_with_its_channel(client):
    campaign = CampaignFactory()

    html = client.get(campaign.get_absolute_url()).content.decode()

    assert "source%3Dwhatsapp" in html and "source%3Dx" in html
    assert not re.search(r"<script[^>]+src=\"https?://", html)


def draw_basic(text, path_index, size):
    path, index = path_index
    face = ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.BASIC)
    image = Image.new("L", (900, 120), 255)
    ImageDraw.Draw(image).text((10, 10), text, font=face, fill=0)
    return image


@pytest.mark.needs_font("ar")
def test_an_arabic_card_is_shaped_and_runs_right_to_left():
    assert share_card.raqm_available(), "Pillow needs libraqm to shape Arabic"
    campaign = CampaignFactory(
        title="العدالة للصحفيين",
        language="ar",
        organisation=OrganisationFactory(name="مؤسسة حرية الصحافة"),
    )

    image = Image.open(io.BytesIO(share_card.draw_card(campaign, 12000))).convert("L")

    # The title sits against the right margin, as Arabic is read.
    title_band = image.crop((0, 70, 1200, 170)).point(lambda v: 255 if v > 128 else 0)
    left, _top, right, _bottom = ImageChops.invert(title_band).getbbox()
    assert right > 1200 - share_card.MARGIN - 10
    assert left > 400
    # Shaped: joined letters differ from the same text laid out letter by letter.
    face = share_card.font("العدالة", 64, bold=True)
    shaped = Image.new("L", (900, 120), 255)
    ImageDraw.Draw(shaped).text((10, 10), "العدالة", font=face, fill=0, language="ar")
    basic = draw_basic("العدالة", share_card.font_file("arabic", True), 64)
    assert ImageChops.difference(shaped, basic).getbbox() is not None


@pytest.mark.needs_font("zh")
def test_a_chinese_title_wraps_by_character():
    face = share_card.font("为在墨西哥遇害的记者伸张正义" * 3, 64, bold=True)

    lines = share_card.wrap("为在墨西哥遇害的记者伸张正义" * 3, face, 1056, 4, "zh")

    assert len(lines) >= 2
    assert "".join(lines) == "为在墨西哥遇害的记者伸张正义" * 3


def test_a_very_long_title_is_cut_with_an_ellipsis():
    face = share_card.font("word", 64, bold=True)

    lines = share_card.wrap("word " * 200, face, 1056, 4, "en")

    assert len(lines) == 4 and lines[-1].endswith("…")
