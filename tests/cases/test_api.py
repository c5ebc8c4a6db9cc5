"""The read-only JSON API: /api/v1/cases/ and /api/v1/countries/, and its OpenAPI schema."""

import datetime
import json
import random
import re

import pytest
from django.core.management import call_command
from django.db import connection

from cases.figures import populations
from cases.models import Case, CaseEvent, CaseSource, Medium
from tests.factories import CaseEventFactory, CaseFactory, CaseSourceFactory

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"
COUNTRIES = "/api/v1/countries/"


def get_json(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def names(data) -> set[str]:
    return {case["full_name"] for case in data["results"]}


@pytest.fixture
def varied_cases():
    """One case per value of each filter, so that each filter visibly keeps and drops some."""
    return {
        "mx_2012_murder": CaseFactory(
            full_name="Regina Martinez",
            country="MX",
            place="Xalapa",
            date_of_death=datetime.date(2012, 4, 28),
            type_of_death=Case.TypeOfDeath.MURDER,
            impunity=Case.Impunity.PARTIAL,
            unesco_status=Case.UnescoStatus.ONGOING,
        ),
        "mx_2005_justice": CaseFactory(
            full_name="Francisco Ortiz",
            country="MX",
            place="Tijuana",
            date_of_death=datetime.date(2005, 6, 22),
            impunity=Case.Impunity.FULL_JUSTICE,
            unesco_status="",
        ),
        "ph_2009_complete": CaseFactory(
            full_name="Andres Teodoro",
            country="PH",
            place="Ampatuan",
            date_of_death=datetime.date(2009, 11, 23),
            impunity=Case.Impunity.COMPLETE,
            unesco_status=Case.UnescoStatus.NO_INFORMATION,
        ),
        "sy_2014_crossfire": CaseFactory(
            full_name="Yusuf Hamid",
            country="SY",
            place="Aleppo",
            date_of_death=datetime.date(2014, 3, 1),
            type_of_death=Case.TypeOfDeath.CROSSFIRE,
            impunity="",
            unesco_status=Case.UnescoStatus.RESOLVED,
        ),
        "iq_2018_assignment": CaseFactory(
            full_name="Samir Karim",
            country="IQ",
            place="Mosul",
            date_of_death=datetime.date(2018, 7, 9),
            type_of_death=Case.TypeOfDeath.DANGEROUS_ASSIGNMENT,
            impunity="",
            unesco_status=Case.UnescoStatus.ONGOING,
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"mx_2012_murder", "mx_2005_justice", "ph_2009_complete", "sy_2014_crossfire",
              "iq_2018_assignment"}),
        ({"country": "MX"}, {"mx_2012_murder", "mx_2005_justice"}),
        ({"country": "ph"}, {"ph_2009_complete"}),
        ({"year_min": "2012"}, {"mx_2012_murder", "sy_2014_crossfire", "iq_2018_assignment"}),
        ({"year_max": "2009"}, {"mx_2005_justice", "ph_2009_complete"}),
        ({"year_min": "2009", "year_max": "2012"}, {"mx_2012_murder", "ph_2009_complete"}),
        ({"type_of_death": "crossfire"}, {"sy_2014_crossfire"}),
        ({"type_of_death": "dangerous_assignment"}, {"iq_2018_assignment"}),
        ({"type_of_death": "unknown"}, set()),
        ({"impunity": "complete"}, {"ph_2009_complete"}),
        ({"impunity": "partial"}, {"mx_2012_murder"}),
        ({"impunity": "full_justice"}, {"mx_2005_justice"}),
        ({"unresolved": "true"}, {"mx_2012_murder", "ph_2009_complete", "iq_2018_assignment"}),
        ({"unresolved": "false"}, {"mx_2005_justice", "sy_2014_crossfire"}),
        ({"q": "Xalapa"}, {"mx_2012_murder"}),
        ({"q": "teodoro"}, {"ph_2009_complete"}),
        ({"country": "MX", "year_min": "2010"}, {"mx_2012_murder"}),
        ({"impunity": ["complete", "partial"]}, {"ph_2009_complete", "mx_2012_murder"}),
        ({"q": ""}, {"mx_2012_murder", "mx_2005_justice", "ph_2009_complete",
                                    "sy_2014_crossfire", "iq_2018_assignment"}),
    ],
)  # fmt: skip
def test_each_parameter_filters_the_case_list(client, varied_cases, params, expected):
    data = get_json(client, CASES, params)
    assert names(data) == {varied_cases[key].full_name for key in expected}
    assert data["count"] == len(expected)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "Mexico"}, "country"),
        ({"impunity": "maybe"}, "impunity"),
        ({"type_of_death": "drowned"}, "type_of_death"),
        ({"unresolved": "yes"}, "unresolved"),
        ({"year_min": "abc"}, "year_min"),
        ({"year_max": "20x0"}, "year_max"),
        ({"year_min": "2015", "year_max": "2010"}, "year_max"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"countries": "MX"}, "countries"),
        # An empty value is a mistake to report (free text q excepted), never a dropped filter.
        ({"country": ""}, "country"),
        ({"status": ["unresolved", ""]}, "status"),
        ({"sort": ""}, "sort"),
        ({"medium": ""}, "medium"),
        ({"page": ""}, "page"),
        ({"year_min": "1899"}, "year_min"),
        ({"year_max": "2101"}, "year_max"),
    ],
)
def test_unknown_value_or_parameter_answers_400_naming_the_parameter(client, params, parameter):
    data = get_json(client, CASES, params, status=400)
    assert list(data) == [parameter]
    assert isinstance(data[parameter], list) and data[parameter][0]


def test_unknown_parameter_on_country_list_answers_400(client):
    assert "country" in get_json(client, COUNTRIES, {"country": "MX"}, status=400)


def test_pagination_reports_the_total_count_and_links(client):
    CaseFactory.create_batch(25)
    first = get_json(client, CASES, {"page_size": 10})
    assert first["count"] == 25
    assert len(first["results"]) == 10
    assert first["previous"] is None
    assert "page=2" in first["next"]
    last = get_json(client, CASES, {"page_size": 10, "page": 3})
    assert len(last["results"]) == 5
    assert last["next"] is None


def test_page_size_above_the_maximum_is_capped_at_100(client):
    CaseFactory.create_batch(101, type_of_death=Case.TypeOfDeath.UNKNOWN)
    data = get_json(client, CASES, {"page_size": 1000})
    assert data["count"] == 101
    assert len(data["results"]) == 100


def test_pages_do_not_repeat_or_skip_cases_with_the_same_date(client):
    CaseFactory.create_batch(7, date_of_death=datetime.date(2020, 1, 1))
    seen = [
        case["id"]
        for page in (1, 2, 3, 4)
        for case in get_json(client, CASES, {"page_size": 2, "page": page})["results"]
    ]
    assert sorted(seen) == sorted(Case.objects.values_list("id", flat=True))


def test_only_published_cases_are_listed_or_shown(client):
    public = CaseFactory(full_name="Public Case", country="MX")
    hidden = CaseFactory(full_name="Draft Case", country="PK", is_published=False)
    assert names(get_json(client, CASES)) == {"Public Case"}
    get_json(client, f"{CASES}{public.slug}/")
    get_json(client, f"{CASES}{hidden.slug}/", status=404)
    get_json(client, f"{CASES}{hidden.id}/", status=404)
    assert [c["code"] for c in get_json(client, COUNTRIES)["results"]] == ["MX"]
    get_json(client, f"{COUNTRIES}pk/", status=404)


def test_case_representation_has_public_fields_only(client):
    medium = Medium.objects.create(slug="radio", name="Radio")
    case = CaseFactory(
        full_name="Gerardo Ortega",
        country="PH",
        date_of_death=datetime.date(2011, 1, 24),
        impunity="",
        unesco_status=Case.UnescoStatus.NO_INFORMATION,
        last_reviewed=datetime.date(2024, 1, 1),
    )
    case.media.add(medium)
    (item,) = get_json(client, CASES)["results"]
    assert set(item) == {
        "id", "slug", "url", "full_name", "country", "country_name", "place", "date_of_death",
        "date_precision", "year", "role", "gender", "origin", "employment", "media",
        "type_of_death", "impunity", "unesco_status", "unresolved", "status", "outlets",
        "incident", "source_of_record",
    }  # fmt: skip
    assert item["url"] == f"http://testserver/cases/ph/{case.slug}/"
    assert item["country"] == "PH"
    assert item["country_name"] == "Philippines"
    assert item["media"] == ["radio"]
    assert item["impunity"] is None
    assert item["unesco_status"] == "no_information"
    assert item["unresolved"] is True
    assert item["status"] == "noinfo"
    assert item["year"] == 2011


def test_case_detail_by_id_or_slug_has_timeline_and_sources(client):
    case = CaseFactory(full_name="Javier Valdez", country="MX")
    CaseEventFactory(case=case, date=datetime.date(2017, 5, 16), kind=CaseEvent.Kind.ARREST)
    CaseSourceFactory(case=case, url="https://cpj.org/x", title="CPJ report", publisher="CPJ")
    by_slug = get_json(client, f"{CASES}{case.slug}/")
    by_id = get_json(client, f"{CASES}{case.id}/")
    assert by_slug == by_id
    assert by_slug["events"][0]["kind"] == "arrest"
    assert by_slug["events"][0]["date"] == "2017-05-16"
    assert by_slug["sources"] == [
        {
            "url": "https://cpj.org/x",
            "title": "CPJ report",
            "publisher": "CPJ",
            "published_on": None,
        }
    ]
    assert "is_published" not in by_slug
    assert "search_vector" not in by_slug


def test_unknown_case_answers_404_json(client):
    get_json(client, f"{CASES}no-such-case/", status=404)
    get_json(client, f"{CASES}99999999999999999999999/", status=404)


def test_hostile_names_come_back_as_escaped_json_never_html(client):
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    CaseFactory(full_name=hostile, place="<b>Place</b>", outlets="</script>")
    response = client.get(CASES)
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"<" not in response.content
    assert b">" not in response.content
    item = json.loads(response.content)["results"][0]
    assert item["full_name"] == " ".join(hostile.split())
    assert item["place"] == "<b>Place</b>"
    # Even a hostile query parameter is echoed only inside escaped JSON.
    error = client.get(CASES, {"country": "<script>"})
    assert error.status_code == 400
    assert b"<script>" not in error.content


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("url", [CASES, COUNTRIES, "{case}", f"{COUNTRIES}mx/"])
def test_writing_methods_are_refused(client, method, url):
    case = CaseFactory(country="MX")
    url = url.format(case=f"{CASES}{case.slug}/")
    response = getattr(client, method)(url, {}, content_type="application/json")
    assert response.status_code == 405
    assert Case.objects.get(pk=case.pk).full_name == case.full_name


def test_country_list_has_figures_and_impunity_rank(client):
    last_year = datetime.date.today().year - 1
    CaseFactory.create_batch(
        5,
        country="MX",
        impunity=Case.Impunity.COMPLETE,
        date_of_death=datetime.date(last_year, 3, 1),
    )
    CaseFactory(country="MX", impunity=Case.Impunity.FULL_JUSTICE)
    CaseFactory(country="BR", impunity=Case.Impunity.COMPLETE)
    data = get_json(client, COUNTRIES)
    assert data["count"] == 2
    by_code = {row["code"]: row for row in data["results"]}
    mx = by_code["MX"]
    assert (mx["killed"], mx["unresolved"], mx["unresolved_percent"]) == (6, 5, 83)
    assert mx["name"] == "Mexico"
    assert mx["url"] == "http://testserver/cases/mx/"
    assert mx["cases_url"] == "http://testserver/api/v1/cases/?country=MX"
    assert mx["impunity"]["rank"] == 1
    assert mx["impunity"]["unsolved_murders"] == 5
    expected = 5 / (populations()["MX"].people / 1_000_000)
    assert mx["impunity"]["per_million"] == pytest.approx(expected, abs=0.001)
    assert by_code["BR"]["impunity"] is None


def test_country_detail_has_per_year_by_status_and_unesco_replies(client):
    CaseFactory(
        country="PH", date_of_death=datetime.date(2009, 11, 23), impunity=Case.Impunity.PARTIAL
    )
    CaseFactory(
        country="PH",
        date_of_death=datetime.date(2011, 1, 24),
        impunity="",
        unesco_status=Case.UnescoStatus.NO_INFORMATION,
    )
    CaseFactory(
        country="PH",
        date_of_death=datetime.date(2011, 6, 1),
        impunity="",
        unesco_status=Case.UnescoStatus.RESOLVED,
    )
    data = get_json(client, f"{COUNTRIES}ph/")
    assert (data["code"], data["killed"], data["unresolved"]) == ("PH", 3, 2)
    assert [row["year"] for row in data["per_year"]] == [2009, 2010, 2011]
    assert data["per_year"][0]["by_status"] == {
        "unresolved": 0, "noinfo": 0, "partial": 1, "justice": 0
    }  # fmt: skip
    assert data["per_year"][2]["total"] == 2
    assert data["unesco_replies"] == {"ongoing": 1, "no_information": 1, "resolved": 1}
    assert data["population"]["people"] == populations()["PH"].people
    assert "SP.POP.TOTL" in data["population"]["source"]
    assert "Impunity index" in data["impunity_method"]
    assert data["impunity"] is None


def test_unknown_country_code_answers_404(client):
    get_json(client, f"{COUNTRIES}xx/", status=404)


# -- OpenAPI schema --------------------------------------------------------------------------


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_documents_every_case_filter_with_its_allowed_values(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}

    def allowed(name):
        schema = parameters[name]["schema"]
        return set(schema.get("enum") or schema["items"]["enum"])

    assert allowed("type_of_death") == {"murder", "crossfire", "dangerous_assignment", "unknown"}
    assert allowed("impunity") == {"complete", "partial", "full_justice"}
    assert allowed("unresolved") == {"true", "false"}
    assert "MX" in allowed("country")
    # Multi-valued filters take the parameter more than once, as on the /cases/ page.
    assert parameters["impunity"]["explode"] is True
    assert parameters["year_min"]["schema"]["type"] == "integer"
    assert parameters["year_max"]["schema"]["type"] == "integer"
    assert parameters["q"]["schema"]["type"] == "string"
    assert parameters["page_size"]["schema"]["type"] == "integer"
    assert all(p["in"] == "query" and p.get("description") for p in parameters.values())


def test_schema_gives_the_range_of_each_numeric_filter(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}

    for name in ("year_min", "year_max"):
        assert parameters[name]["schema"]["minimum"] == 1900
        assert parameters[name]["schema"]["maximum"] == 2100
    assert parameters["q"]["schema"]["maxLength"] == 200
    assert re.fullmatch(parameters["q"]["schema"]["pattern"], "justice") is not None
    assert re.fullmatch(parameters["q"]["schema"]["pattern"], "a\x00b") is None
    assert parameters["page"]["schema"]["minimum"] == 1


def test_schema_documents_a_json_404_on_every_operation(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            not_found = operation["responses"].get("404")
            assert not_found, f"{method.upper()} {path} does not document its 404"
            assert "application/json" in not_found["content"]
            assert not_found["description"]


@pytest.mark.parametrize(
    "path", ["/api/v1/cases/with space/", "/api/v1/countries/MEX/", "/api/v1/nothing/"]
)
def test_an_address_no_route_takes_answers_404_in_json(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"detail": "Not found."}


def test_schema_lists_the_read_only_endpoints(schema):
    paths = schema["paths"]
    for path in ["/api/v1/cases/", "/api/v1/cases/{id_or_slug}/", "/api/v1/countries/",
                 "/api/v1/countries/{code}/"]:  # fmt: skip
        assert set(paths[path]) == {"get"}, path


def test_schema_validates_without_warnings(tmp_path):
    output = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(output))
    assert output.read_text().startswith("openapi:")


# -- Query counts at scale (PostgreSQL) ------------------------------------------------------

COUNTRY_CODES = ["MX", "PH", "IN", "BR", "PK", "RU", "SY", "IQ", "SO", "CO", "HN", "AF"]


def bulk_cases(n: int):
    """n published cases via bulk_create, which bypasses Case.save(): derived fields set here."""
    rng = random.Random(3)
    media = [Medium.objects.create(slug=slug, name=slug) for slug in ("print", "radio", "online")]
    cases = []
    for i in range(n):
        date = datetime.date(1995, 1, 1) + datetime.timedelta(days=rng.randrange(30 * 365))
        impunity = rng.choice(["complete", "complete", "partial", "full_justice", ""])
        unesco = rng.choice(["ongoing", "resolved", "no_information", ""])
        cases.append(
            Case(
                full_name=f"Journalist {i}",
                sort_name=f"Journalist {i}",
                slug=f"journalist-{i}-{date.year}",
                country=rng.choice(COUNTRY_CODES),
                place="City",
                date_of_death=date,
                year=date.year,
                type_of_death=rng.choice(Case.TypeOfDeath.values),
                impunity=impunity,
                unesco_status=unesco,
                is_unresolved=not (impunity == "full_justice" or unesco == "resolved"),
                is_published=True,
            )
        )
    created = Case.objects.bulk_create(cases, batch_size=2000)
    through = Case.media.through
    through.objects.bulk_create(
        [through(case_id=case.id, medium_id=media[case.id % 3].id) for case in created],
        batch_size=5000,
    )
    some = created[:50]
    CaseEvent.objects.bulk_create(
        CaseEvent(case=c, date=c.date_of_death, kind=CaseEvent.Kind.INVESTIGATION) for c in some
    )
    CaseSource.objects.bulk_create(CaseSource(case=c, url="https://example.org/") for c in some)
    return created


@pytest.fixture
def twenty_thousand_cases(postgres):
    return bulk_cases(20_000)


@pytest.mark.slow
def test_api_runs_a_fixed_number_of_queries_at_20000_cases(
    client, twenty_thousand_cases, django_assert_max_num_queries
):
    assert connection.vendor == "postgresql"
    # count, page of cases with their incident, media and sources of record of the page, and
    # the sources of all the data (attribution, cached)
    for page_size in (1, 100):
        with django_assert_max_num_queries(5):
            data = get_json(client, CASES, {"page_size": page_size})
        assert data["count"] == 20_000
        assert len(data["results"]) == page_size
    with django_assert_max_num_queries(5):
        data = get_json(client, CASES, {"country": "MX", "impunity": "complete", "q": "journalist"})
    assert data["count"] > 0
    # case, media, sources of record, events, sources
    with django_assert_max_num_queries(5):
        get_json(client, f"{CASES}{twenty_thousand_cases[0].slug}/")
    # killed and unresolved per country, impunity index, sources of the data
    with django_assert_max_num_queries(3):
        data = get_json(client, COUNTRIES, {"page_size": 100})
    assert data["count"] == len(COUNTRY_CODES)
    assert sum(row["killed"] for row in data["results"]) == 20_000
    # totals, per year by status, UNESCO replies, impunity index, the country's sources
    with django_assert_max_num_queries(5):
        get_json(client, f"{COUNTRIES}mx/")


def test_full_text_search_uses_the_trigger_kept_vector(client, postgres):
    CaseFactory(full_name="Miroslava Breach", place="Chihuahua", summary="Shot outside her home.")
    CaseFactory(full_name="Javier Valdez", place="Culiacán", summary="Founder of Ríodoce.")
    assert names(get_json(client, CASES, {"q": "breach chihuahua"})) == {"Miroslava Breach"}
    assert names(get_json(client, CASES, {"q": "ríodoce"})) == {"Javier Valdez"}
    assert names(get_json(client, CASES, {"q": "valdez -culiacán"})) == set()
    assert names(get_json(client, CASES, {"q": '"miroslava breach" or valdez'})) == {
        "Miroslava Breach",
        "Javier Valdez",
    }


@pytest.mark.parametrize(
    "language, unknown, not_allowed",
    [
        ("ru", "Неизвестный параметр.", "не разрешен"),
        ("zh-hans", "未知参数。", "不被允许"),
        ("zh-CN", "未知参数。", "不被允许"),  # as a browser asks for it
        ("ar", "معامل غير معروف", "غير مسموح"),
    ],
)
def test_api_error_messages_come_in_the_requested_language(client, language, unknown, not_allowed):
    response = client.get("/api/v1/cases/?foo=1", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert unknown in response.json()["foo"][0]
    # DRF's own messages come from its catalogues, in the same language.
    response = client.post("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 405
    assert not_allowed in response.json()["detail"]
