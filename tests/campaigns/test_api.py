"""The read-only campaigns API: /api/v1/campaigns/ and /api/v1/campaigns/<slug>/."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign
from tests.factories import CampaignFactory, CaseFactory, OrganisationFactory, TargetFactory

pytestmark = pytest.mark.django_db

CAMPAIGNS = "/api/v1/campaigns/"
HOSTILE = '<script>alert("x")</script>'


def get_json(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def slugs(data) -> list[str]:
    return [campaign["slug"] for campaign in data["results"]]


def campaign_about(country="MX", **kwargs):
    campaign = CampaignFactory(**kwargs)
    campaign.cases.add(CaseFactory(country=country))
    campaign.targets.add(TargetFactory(country=country, email="official@gov.example.org"))
    return campaign


def test_list_gives_the_public_figures_of_each_campaign(client):
    organisation = OrganisationFactory(name="Article 19 demo")
    campaign = CampaignFactory(
        slug="reopen", title="Reopen", organisation=organisation, goal=500, signature_count=123
    )
    case = CaseFactory(full_name="Regina Martinez", country="MX")
    campaign.cases.add(case)
    campaign.targets.add(TargetFactory(country="CO"))

    [result] = get_json(client, CAMPAIGNS)["results"]

    assert result["slug"] == "reopen"
    assert result["title"] == "Reopen"
    assert result["status"] == "published"
    assert result["organisation"] == "Article 19 demo"
    assert result["goal"] == 500
    assert result["signatures"] == 123
    assert result["countries"] == ["CO", "MX"]
    assert result["cases"] == [
        {
            "id": case.id,
            "slug": case.slug,
            "full_name": "Regina Martinez",
            "country": "MX",
            "url": f"http://testserver{case.get_absolute_url()}",
        }
    ]
    assert result["url"] == "http://testserver/campaigns/reopen/"


def test_list_leaves_out_drafts_and_keeps_finished_campaigns_with_their_status(client):
    CampaignFactory(slug="draft", status=Campaign.Status.DRAFT)
    CampaignFactory(slug="open")
    CampaignFactory(slug="closed", status=Campaign.Status.CLOSED)
    CampaignFactory(slug="delivered", status=Campaign.Status.DELIVERED)

    data = get_json(client, CAMPAIGNS)

    assert sorted(slugs(data)) == ["closed", "delivered", "open"]
    assert {r["slug"]: r["status"] for r in data["results"]}["delivered"] == "delivered"


def test_list_filters_by_status(client):
    CampaignFactory(slug="open")
    CampaignFactory(slug="closed", status=Campaign.Status.CLOSED)

    assert slugs(get_json(client, CAMPAIGNS, {"status": "closed"})) == ["closed"]


def test_list_filters_by_country_of_a_case_or_an_official(client):
    campaign_about("MX", slug="mexico")
    campaign_about("PH", slug="philippines")
    writes_to_mexico = CampaignFactory(slug="writes-to-mexico")
    writes_to_mexico.targets.add(TargetFactory(country="MX"))

    assert sorted(slugs(get_json(client, CAMPAIGNS, {"country": "mx"}))) == [
        "mexico",
        "writes-to-mexico",
    ]


def test_list_filters_by_case(client):
    case = CaseFactory()
    CampaignFactory(slug="about").cases.add(case)
    campaign_about(slug="other")

    assert slugs(get_json(client, CAMPAIGNS, {"case": case.slug})) == ["about"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "draft"}, "status"),
        ({"country": "XX"}, "country"),
        ({"colour": "red"}, "colour"),
        ({"status": ""}, "status"),
        ({"case": ""}, "case"),
    ],
)
def test_bad_parameters_answer_400_naming_them(client, params, parameter):
    data = get_json(client, CAMPAIGNS, params, status=400)
    assert parameter in data


def test_detail_lists_the_officials_without_their_addresses(client):
    campaign = campaign_about(slug="reopen")

    data = get_json(client, f"{CAMPAIGNS}reopen/")

    assert data["slug"] == campaign.slug
    assert data["targets"][0]["country"] == "MX"
    assert set(data["targets"][0]) == {"name", "position", "institution", "country"}
    assert "official@gov.example.org" not in str(data)


def test_detail_of_a_draft_is_404(client):
    CampaignFactory(slug="draft", status=Campaign.Status.DRAFT)
    get_json(client, f"{CAMPAIGNS}draft/", status=404)


def test_detail_of_an_unknown_slug_is_404(client):
    get_json(client, f"{CAMPAIGNS}nothing-here/", status=404)


def test_detail_of_a_delivered_campaign_is_public(client):
    CampaignFactory(slug="done", status=Campaign.Status.DELIVERED, signature_count=9)
    data = get_json(client, f"{CAMPAIGNS}done/")
    assert data["status"] == "delivered" and data["signatures"] == 9


def test_writes_are_refused_with_405(client):
    CampaignFactory(slug="reopen")
    assert client.post(CAMPAIGNS, {"title": "x"}).status_code == 405
    for method in (client.put, client.patch, client.delete, client.post):
        assert method(f"{CAMPAIGNS}reopen/").status_code == 405


def test_hostile_text_is_escaped_in_the_json(client):
    campaign = CampaignFactory(slug="hostile", title=HOSTILE, summary=HOSTILE)
    campaign.cases.add(CaseFactory(full_name=HOSTILE))

    for url in (CAMPAIGNS, f"{CAMPAIGNS}hostile/"):
        response = client.get(url)
        assert b"<script>" not in response.content
        assert HOSTILE in str(response.json())


def count_queries(client, url) -> int:
    """The queries of one request once the site's caches are warm (a cached figure, such as
    the sources' count, costs one more query on its first request only)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_and_detail_run_a_fixed_number_of_queries(client):
    campaign_about(slug="first")
    few_list = count_queries(client, CAMPAIGNS)
    few_detail = count_queries(client, f"{CAMPAIGNS}first/")
    for n in range(25):
        campaign = campaign_about(slug=f"more-{n}")
        campaign.cases.add(CaseFactory(), CaseFactory())
    big = Campaign.objects.get(slug="more-0")
    big.targets.add(*[TargetFactory() for _ in range(5)])

    assert (
        count_queries(client, CAMPAIGNS + "?page_size=100") == few_list <= 5
    )  # one more: the translations
    assert count_queries(client, f"{CAMPAIGNS}more-0/") == few_detail <= 4


def test_schema_documents_the_campaign_endpoints(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    listing = schema["paths"]["/api/v1/campaigns/"]["get"]
    assert "Drafts never appear" in listing["description"]
    assert {p["name"] for p in listing["parameters"]} >= {"status", "country", "case", "page"}
    assert "/api/v1/campaigns/{slug}/" in schema["paths"]
    properties = schema["components"]["schemas"]["Campaign"]["properties"]
    assert {"slug", "title", "status", "countries", "cases", "goal", "signatures"} <= set(
        properties
    )
