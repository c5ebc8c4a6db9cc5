"""The embed: any site may frame it (or those the campaign lists), and it signs without cookies.

The embed's POST carries no CSRF cookie (a cross-site frame never sends one): it is checked by
its Origin and by a form token bound to the client's network, which works once and not too fast,
under the same rate limits as the campaign page.
"""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from letters.models import Signature, Source
from letters.signing import sources
from tests.factories import OrganisationFactory
from tests.letters.factories import embed_form_token, embed_sign_data, open_campaign

pytestmark = pytest.mark.django_db

OUR_ORIGIN = "http://testserver"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def browser_client():
    """A client that enforces CSRF as Django does for browsers, and has no cookie at all."""
    return Client(enforce_csrf_checks=True)


def embed_url(campaign, **query):
    url = reverse("letters:embed", args=[campaign.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def post_embed(client, campaign, data=None, origin=OUR_ORIGIN, headers=None):
    headers = {**({"Origin": origin} if origin else {}), **(headers or {})}
    return client.post(embed_url(campaign), data or embed_sign_data(), headers=headers)


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


# -- Framing --------------------------------------------------------------------------------


def test_the_embed_may_be_framed_by_any_site_by_default(browser_client):
    campaign = open_campaign()

    response = browser_client.get(embed_url(campaign))

    assert response.status_code == 200
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


def test_a_campaign_limits_the_embed_to_the_sites_it_lists(browser_client):
    campaign = open_campaign(embed_origins="https://partner.example.org\nhttps://ifex.example")

    policy = browser_client.get(embed_url(campaign))["Content-Security-Policy"]

    assert "frame-ancestors 'self' https://partner.example.org https://ifex.example" in policy
    assert "frame-ancestors *" not in policy


def test_every_other_page_still_refuses_to_be_framed(browser_client):
    campaign = open_campaign()

    response = browser_client.get(campaign.get_absolute_url())

    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_frame_policy_holds_on_the_cached_copy_too(browser_client):
    campaign = open_campaign(embed_origins="https://partner.example.org")
    browser_client.get(embed_url(campaign))  # now kept in the page cache

    response = Client().get(embed_url(campaign))

    assert (
        "frame-ancestors 'self' https://partner.example.org" in response["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in response


def test_the_embed_sets_no_cookie_and_holds_no_csrf_token(browser_client):
    campaign = open_campaign()

    response = browser_client.get(embed_url(campaign))
    html = response.content.decode()

    assert not response.cookies
    assert "csrfmiddlewaretoken" not in html
    assert f'action="{embed_url(campaign)}"' in html
    assert "js/embed.js" in html


def test_the_embed_shows_title_count_progress_and_the_letter_folded(browser_client):
    campaign = open_campaign(title="Justice for Javier", signature_count=1234, goal=5000)

    html = browser_client.get(embed_url(campaign)).content.decode()

    assert "Justice for Javier" in html
    assert "1,234" in html and "<progress" in html
    assert "<details" in html and "Read the letter" in html


def test_a_visitor_gets_a_form_token_of_their_own_from_the_cached_embed():
    campaign = open_campaign()

    first = Client(REMOTE_ADDR="198.51.100.1").get(embed_url(campaign)).content.decode()
    second = Client(REMOTE_ADDR="198.51.100.2").get(embed_url(campaign)).content.decode()

    assert hidden_value(first, "started") != hidden_value(second, "started")
    assert "embed-form-started-placeholder" not in first + second


# -- Signing without a cookie -----------------------------------------------------------------


def test_the_embed_signs_without_any_cookie(browser_client):
    campaign = open_campaign()

    response = post_embed(browser_client, campaign)

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:embed_check_email", args=[campaign.slug])
    signature = Signature.objects.get(campaign=campaign)
    assert signature.source == Source.EMBED
    assert signature.partner is None


def test_the_embed_check_email_page_may_be_framed_too(browser_client):
    campaign = open_campaign()

    response = browser_client.get(reverse("letters:embed_check_email", args=[campaign.slug]))

    assert response.status_code == 200
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "Check your e-mail" in response.content.decode()


def test_a_form_posted_by_another_site_is_refused(browser_client):
    campaign = open_campaign()

    response = post_embed(browser_client, campaign, origin="https://attacker.example")

    assert response.status_code == 403
    assert not Signature.objects.exists()


def test_a_form_posted_from_a_sandboxed_frame_with_a_null_origin_is_refused(browser_client):
    campaign = open_campaign()

    response = post_embed(browser_client, campaign, origin="null")

    assert response.status_code == 403
    assert not Signature.objects.exists()


def test_without_origin_a_foreign_referer_is_refused(browser_client):
    campaign = open_campaign()

    response = post_embed(
        browser_client, campaign, origin=None, headers={"Referer": "https://evil.example/x"}
    )

    assert response.status_code == 403
    assert not Signature.objects.exists()


def test_a_token_fetched_from_another_network_is_refused_and_replaced(browser_client):
    campaign = open_campaign()
    data = embed_sign_data(started=embed_form_token("203.0.113.9"))

    response = post_embed(browser_client, campaign, data)

    assert response.status_code == 400
    assert not Signature.objects.exists()
    html = response.content.decode()
    assert "Please check your details" in html
    assert hidden_value(html, "started") != data["started"]
    assert 'value="Ana María López"' in html  # the input is kept


def test_a_page_token_does_not_sign_in_the_embed(browser_client):
    from tests.letters.factories import sign_data

    campaign = open_campaign()

    response = post_embed(browser_client, campaign, sign_data(Client()))

    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_an_embed_token_signs_once(browser_client):
    campaign = open_campaign()
    data = embed_sign_data()

    post_embed(browser_client, campaign, data)
    again = post_embed(browser_client, campaign, {**data, "email": "other@example.org"})

    assert again.status_code == 400
    assert Signature.objects.count() == 1


def test_an_embed_form_sent_too_fast_is_shown_again(browser_client):
    campaign = open_campaign()

    response = post_embed(
        browser_client, campaign, embed_sign_data(started=embed_form_token(seconds_ago=0))
    )

    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_the_embed_is_rate_limited_like_the_page(browser_client):
    campaign = open_campaign()
    answers = [
        post_embed(browser_client, campaign, embed_sign_data(email=f"s{n}@example.org")).status_code
        for n in range(21)
    ]

    assert answers[:20] == [302] * 20
    assert answers[20] == 429


def test_a_filled_honeypot_in_the_embed_saves_nothing(browser_client):
    campaign = open_campaign()

    response = post_embed(browser_client, campaign, embed_sign_data(leave_empty="bot"))

    assert response.status_code == 302
    assert not Signature.objects.exists()


def test_the_embed_answers_fetch_with_json_and_an_embed_panel(browser_client):
    campaign = open_campaign()

    response = post_embed(
        browser_client,
        campaign,
        embed_sign_data(email="bad"),
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 400
    html = response.json()["html"]
    assert f'action="{embed_url(campaign)}"' in html
    assert "csrfmiddlewaretoken" not in html


def test_a_closed_campaign_embed_signs_nothing(browser_client):
    campaign = open_campaign()
    campaign.close()

    get = browser_client.get(embed_url(campaign))
    post = post_embed(browser_client, campaign)

    assert get.status_code == 200 and 'name="email"' not in get.content.decode()
    assert post.status_code == 410
    assert not Signature.objects.exists()


def test_the_embed_refuses_other_methods(browser_client):
    campaign = open_campaign()

    assert browser_client.put(embed_url(campaign)).status_code == 405


def test_hostile_input_in_the_embed_is_escaped(browser_client):
    campaign = open_campaign()

    response = post_embed(
        browser_client, campaign, embed_sign_data(name="<script>alert(1)</script>", email="x")
    )

    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()


# -- Sources -----------------------------------------------------------------------------------


def test_a_share_link_code_is_recorded(client):
    from tests.letters.factories import sign_data

    campaign = open_campaign()
    html = client.get(campaign.get_absolute_url() + "?source=whatsapp").content.decode()

    client.post(
        reverse("letters:sign", args=[campaign.slug]),
        sign_data(client, source=hidden_value(html, "source")),
    )

    signature = Signature.objects.get()
    assert (signature.source, signature.source_code) == (Source.LINK, "whatsapp")


@pytest.mark.parametrize("code", ["bogus", "p-not-a-partner", "<script>", "x" * 500, "a&b"])
def test_a_code_nobody_issued_is_recorded_as_unknown(client, code):
    from urllib.parse import quote

    from tests.letters.factories import sign_data

    campaign = open_campaign()
    html = client.get(campaign.get_absolute_url() + "?source=" + quote(code)).content.decode()

    client.post(
        reverse("letters:sign", args=[campaign.slug]),
        sign_data(client, source=hidden_value(html, "source")),
    )

    signature = Signature.objects.get()
    assert (signature.source, signature.source_code, signature.partner) == (
        Source.UNKNOWN,
        "",
        None,
    )


def test_a_tampered_source_value_is_recorded_as_unknown_never_as_a_partner(browser_client):
    campaign = open_campaign()
    partner = OrganisationFactory()
    campaign.partnerships.create(organisation=partner, source_code="abc123")
    forged = sources.sign_value(campaign, sources.SignatureSource())[:-3] + "xyz"

    post_embed(browser_client, campaign, embed_sign_data(source=forged))

    signature = Signature.objects.get()
    assert signature.source == Source.UNKNOWN and signature.partner is None


def test_another_campaigns_partner_value_is_recorded_as_unknown(browser_client):
    campaign, other = open_campaign(), open_campaign()
    partner = OrganisationFactory()
    other.partnerships.create(organisation=partner, source_code="abc123")
    theirs = sources.sign_value(
        other, sources.SignatureSource(Source.EMBED, "", partner.pk, partner.name)
    )

    post_embed(browser_client, campaign, embed_sign_data(source=theirs))

    signature = Signature.objects.get()
    assert signature.source == Source.UNKNOWN and signature.partner is None


def test_a_partner_code_names_the_partner_and_offers_its_consent_alone(browser_client):
    campaign = open_campaign()
    partner = OrganisationFactory(name="Reporters Together")
    OrganisationFactory(name="Another Partner")
    campaign.partnerships.create(organisation=partner, source_code="rt2026")

    html = browser_client.get(embed_url(campaign, source="rt2026")).content.decode()
    post_embed(
        browser_client,
        campaign,
        embed_sign_data(source=hidden_value(html, "source"), consent_partner="on"),
    )

    assert "the work of Reporters Together" in html
    assert "Another Partner" not in html
    assert 'name="consent_partner"' in html and "checked" not in html
    signature = Signature.objects.get()
    assert (signature.source, signature.partner, signature.consent_partner) == (
        Source.EMBED,
        partner,
        True,
    )
    assert "consent_partner" in signature.consent_record["texts"]


def test_a_partner_consent_without_a_partner_is_not_kept(browser_client):
    campaign = open_campaign()

    post_embed(browser_client, campaign, embed_sign_data(consent_partner="on"))

    assert Signature.objects.get().consent_partner is False


def test_a_partner_removed_since_the_page_was_shown_is_not_credited(browser_client):
    campaign = open_campaign()
    partnership = campaign.partnerships.create(
        organisation=OrganisationFactory(), source_code="gone1"
    )
    html = browser_client.get(embed_url(campaign, source="gone1")).content.decode()
    partnership.delete()

    post_embed(browser_client, campaign, embed_sign_data(source=hidden_value(html, "source")))

    assert Signature.objects.get().source == Source.UNKNOWN


def test_pages_with_a_source_code_are_served_from_the_cache(django_assert_max_num_queries):
    campaign = open_campaign()
    url = campaign.get_absolute_url() + "?source=email"
    Client().get(url)

    with django_assert_max_num_queries(0):
        response = Client().get(url)

    assert response.status_code == 200


def test_a_duplicate_source_parameter_is_not_served_from_the_cache(client):
    campaign = open_campaign()

    response = client.get(campaign.get_absolute_url() + "?source=email&source=x")

    assert response.status_code == 200


def test_an_oversized_source_value_is_recorded_as_unknown(browser_client):
    campaign = open_campaign()

    response = post_embed(browser_client, campaign, embed_sign_data(source="A" * 10_000))

    assert response.status_code == 302
    assert Signature.objects.get().source == Source.UNKNOWN


def test_the_same_address_signing_twice_through_the_embed_is_one_signature(browser_client):
    campaign = open_campaign()

    first = post_embed(browser_client, campaign, embed_sign_data())
    second = post_embed(browser_client, campaign, embed_sign_data(email="ANA@example.org"))

    assert first.status_code == second.status_code == 302
    assert Signature.objects.filter(campaign=campaign).count() == 1
