"""Crediting the data: per case (its source of record) and in aggregate, pages, downloads, API."""

import json

import pytest
from django.core.cache import cache

from cases.models import ExternalId
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

CPJ_CREDIT = "Source: Committee to Protect Journalists (cpj.org/data)"
UNESCO_CREDIT = "Source: UNESCO Observatory of Killed Journalists"
CURATED_CREDIT = "Curated by the IDEI editors"


@pytest.fixture
def cases():
    cache.clear()  # the sources of a country are cached like its figures
    cpj = CaseFactory(full_name="From CPJ", country="MX")
    ExternalId.objects.create(case=cpj, source="cpj", value="from-cpj:MX:2019")
    unesco = CaseFactory(full_name="From UNESCO", country="BR")
    ExternalId.objects.create(case=unesco, source="unesco", value="u-1")
    curated = CaseFactory(full_name="Curated", country="MX")
    return {"cpj": cpj, "unesco": unesco, "curated": curated}


def test_case_page_names_its_source_of_record(client, cases):
    assert CPJ_CREDIT in client.get(cases["cpj"].get_absolute_url()).content.decode()
    assert UNESCO_CREDIT in client.get(cases["unesco"].get_absolute_url()).content.decode()
    curated = client.get(cases["curated"].get_absolute_url()).content.decode()
    assert CURATED_CREDIT in curated and CPJ_CREDIT not in curated


def test_country_page_credits_the_sources_of_its_cases_only(client, cases):
    mexico = client.get("/cases/mx/").content.decode()
    assert CPJ_CREDIT in mexico and CURATED_CREDIT in mexico and UNESCO_CREDIT not in mexico
    brazil = client.get("/cases/br/").content.decode()
    assert UNESCO_CREDIT in brazil and CPJ_CREDIT not in brazil


def test_statistics_and_list_pages_credit_every_source(client, cases):
    for url in ("/cases/statistics/", "/cases/"):
        html = client.get(url).content.decode()
        assert CPJ_CREDIT in html and UNESCO_CREDIT in html and CURATED_CREDIT in html


def test_csv_download_states_sources_and_terms_and_credits_each_case(client, cases):
    text = b"".join(client.get("/cases/export.csv").streaming_content).decode()
    first, header, *rows = text.splitlines()
    assert CPJ_CREDIT in first and "Terms of the data" in first
    assert header.endswith(",source_of_record")
    by_name = {row.split(",")[1]: row for row in rows}
    assert by_name["From CPJ"].endswith(CPJ_CREDIT)
    assert CURATED_CREDIT in by_name["Curated"]


def test_json_download_states_sources_and_terms(client, cases):
    data = json.loads(b"".join(client.get("/cases/export.json").streaming_content))
    assert CPJ_CREDIT in data["sources"] and "Terms of the data" in data["terms"]
    by_name = {case["full_name"]: case for case in data["cases"]}
    assert by_name["From UNESCO"]["source_of_record"][0].startswith(UNESCO_CREDIT)


def test_api_lists_and_cases_state_sources_and_terms(client, cases):
    listing = client.get("/api/v1/cases/").json()
    assert CPJ_CREDIT in listing["sources"] and "Terms of the data" in listing["terms"]
    by_name = {case["full_name"]: case for case in listing["results"]}
    assert by_name["From CPJ"]["source_of_record"] == [CPJ_CREDIT]
    assert by_name["Curated"]["source_of_record"][0].startswith(CURATED_CREDIT)
    detail = client.get(f"/api/v1/cases/{cases['cpj'].slug}/").json()
    assert detail["source_of_record"] == [CPJ_CREDIT] and "Terms of the data" in detail["terms"]
    country = client.get("/api/v1/countries/mx/").json()
    assert CPJ_CREDIT in country["sources"] and UNESCO_CREDIT not in " ".join(country["sources"])
    assert "Terms of the data" in client.get("/api/v1/countries/").json()["terms"]
