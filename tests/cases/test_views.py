"""Public case pages: list, exports, country, case, statistics."""

import csv
import datetime
import io
import json
import random

import pytest
from django import forms
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Campaign
from cases.models import Case, CaseEvent, Medium, Perpetrator, compute_unresolved
from tests.factories import (
    CampaignFactory,
    CaseEventFactory,
    CaseFactory,
    CaseSourceFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """A private cache per test: pages keep figures for minutes, tests change data at once."""
    settings.CACHES = {
        **settings.CACHES,  # the other aliases (fragments) as configured
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-case-pages",
        },
    }
    cache.clear()


HOSTILE = '<script>alert("x")</script>'

COUNTRY_WEIGHTS = {
    "MX": 14, "PH": 12, "IQ": 12, "SY": 11, "PK": 8, "IN": 7, "CO": 6, "BR": 6, "SO": 6,
    "AF": 5, "HN": 4, "RU": 4, "UA": 4, "PS": 4, "YE": 3, "BD": 3, "NG": 2, "TR": 2,
    "GT": 2, "FR": 1, "US": 1, "DE": 1, "CD": 2, "LY": 1, "KE": 1,
}  # fmt: skip


def bulk_cases(count: int, seed: int = 1, published: bool = True) -> None:
    """`count` realistic published cases, fast: bulk_create bypasses Case.save(), so the slug,
    year and unresolved flag are set here; media and perpetrators go in through-table rows."""
    rng = random.Random(seed)
    media = [
        Medium.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]
        for slug in ["print", "radio", "television", "online"]
    ]
    perpetrators = [
        Perpetrator.objects.get_or_create(slug=slug, defaults={"name": slug.replace("-", " ")})[0]
        for slug in ["criminal-group", "government-officials", "military", "unknown"]
    ]
    codes = list(COUNTRY_WEIGHTS)
    weights = list(COUNTRY_WEIGHTS.values())
    impunities = ["complete"] * 7 + ["partial"] * 2 + ["full_justice", ""]
    unesco = ["ongoing"] * 5 + ["no_information"] * 3 + ["resolved", "archived", ""]
    start = Case.objects.count()
    cases = []
    for i in range(start, start + count):
        date = datetime.date(1995, 1, 1) + datetime.timedelta(days=rng.randrange(31 * 365))
        impunity, status = rng.choice(impunities), rng.choice(unesco)
        cases.append(
            Case(
                full_name=f"Bulk Reporter {i}",
                sort_name=f"Reporter {i:06d}",
                slug=f"bulk-reporter-{i}",
                country=rng.choices(codes, weights)[0],
                place=f"Town {i % 500}",
                outlets=f"Outlet {i % 300}",
                date_of_death=date,
                year=date.year,
                gender=rng.choice(["male"] * 8 + ["female", "unknown"]),
                origin=rng.choice(["local"] * 9 + ["foreign"]),
                type_of_death=rng.choice(["murder"] * 6 + ["crossfire", "dangerous_assignment"]),
                impunity=impunity,
                unesco_status=status,
                is_unresolved=compute_unresolved(impunity, status),
                summary=f"Killed in {date.year} after reporting on local politics.",
                is_published=published,
            )
        )
    created = Case.objects.bulk_create(cases, batch_size=2000)
    Case.media.through.objects.bulk_create(
        [Case.media.through(case_id=c.pk, medium_id=rng.choice(media).pk) for c in created],
        batch_size=5000,
    )
    Case.perpetrators.through.objects.bulk_create(
        [
            Case.perpetrators.through(case_id=c.pk, perpetrator_id=rng.choice(perpetrators).pk)
            for c in created
        ],
        batch_size=5000,
    )


def names_on(response) -> list[str]:
    return [case.full_name for case in response.context["page"]]


# -- Methods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/cases/",
        "/cases/export.csv",
        "/cases/export.json",
        "/cases/statistics/",
        "/cases/mx/",
        "/cases/mx/someone-2020/",
    ],
)
def test_every_case_page_rejects_post(client, url):
    assert client.post(url).status_code == 405


# -- List: filters, search, sort, pagination ---------------------------------------------------


def test_list_shows_published_cases_only(client):
    CaseFactory(full_name="Published Person")
    CaseFactory(full_name="Draft Person", is_published=False)
    response = client.get("/cases/")
    assert names_on(response) == ["Published Person"]
    assert "Draft Person" not in response.content.decode()


def test_list_filters_by_country_in_any_letter_case(client):
    CaseFactory(full_name="In Mexico", country="MX")
    CaseFactory(full_name="In Brazil", country="BR")
    assert names_on(client.get("/cases/?country=mx")) == ["In Mexico"]
    assert names_on(client.get("/cases/?country=BR")) == ["In Brazil"]


def test_list_filters_by_year_range(client):
    for year in (2005, 2010, 2015, 2020):
        CaseFactory(full_name=f"Killed {year}", date_of_death=datetime.date(year, 6, 1))
    response = client.get("/cases/?year_min=2010&year_max=2015")
    assert sorted(names_on(response)) == ["Killed 2010", "Killed 2015"]


@pytest.mark.parametrize(
    ("impunity", "unesco_status", "status"),
    [
        ("full_justice", "ongoing", "justice"),
        ("complete", "resolved", "justice"),
        ("partial", "ongoing", "partial"),
        ("complete", "no_information", "noinfo"),
        ("complete", "ongoing", "unresolved"),
        ("", "", "unresolved"),
    ],
)
def test_list_filters_by_public_status(client, impunity, unesco_status, status):
    case = CaseFactory(impunity=impunity, unesco_status=unesco_status)
    assert case.status_key == status
    for key in ("justice", "partial", "noinfo", "unresolved"):
        found = names_on(client.get(f"/cases/?status={key}"))
        assert found == ([case.full_name] if key == status else [])


def test_list_takes_several_statuses(client):
    CaseFactory(full_name="Justice", impunity="full_justice")
    CaseFactory(full_name="Partial", impunity="partial")
    CaseFactory(full_name="Open", impunity="complete")
    found = names_on(client.get("/cases/?status=justice&status=partial"))
    assert sorted(found) == ["Justice", "Partial"]


def test_list_filters_by_medium_gender_and_origin(client):
    radio = Medium.objects.create(slug="radio", name="Radio")
    match = CaseFactory(full_name="Local radio woman", gender="female", origin="local")
    match.media.add(radio)
    CaseFactory(full_name="Local woman, no medium", gender="female", origin="local")
    other = CaseFactory(full_name="Foreign radio woman", gender="female", origin="foreign")
    other.media.add(radio)
    response = client.get("/cases/?medium=radio&gender=female&origin=local")
    assert names_on(response) == ["Local radio woman"]


def test_filter_selects_render_as_djangos_own_select_template(client):
    """templates/cases/widgets/select.html writes the options Django's template includes."""
    CaseFactory(country="MX", full_name='Ana "<b>" Pérez')
    CaseFactory(country="BR")
    for slug in ("radio", "print", "online"):
        Medium.objects.create(slug=slug, name=f"{slug.title()} <i>")
    response = client.get("/cases/?country=MX&medium=radio&medium=print&gender=female&sort=name")
    form = response.context["filter"].form
    selects = [bound for bound in form if isinstance(bound.field.widget, forms.Select)]
    assert {bound.name for bound in selects} >= {"country", "medium", "gender", "sort"}
    for bound in selects:
        ours = str(bound)
        assert bound.field.widget.template_name == "cases/widgets/select.html"
        bound.field.widget.template_name = "django/forms/widgets/select.html"
        assert str(bound) == ours, bound.name
    html = response.content.decode()
    assert '<option value="MX" selected>' in html
    assert '<option value="print" selected>' in html  # one <select>: one value shown chosen


def test_filter_form_is_kept_rendered_yet_shows_each_query_its_choices_and_language(client):
    """The form's markup is cached per process (the "fragments" cache), keyed on what it shows."""
    CaseFactory(country="MX")
    CaseFactory(country="BR")
    assert (
        '<option value="MX" selected>Mexico (1)</option>'
        in client.get("/cases/?country=MX").content.decode()
    )
    html = client.get("/cases/?country=BR&year_min=abc").content.decode()
    assert '<option value="BR" selected>Brazil (1)</option>' in html
    assert 'value="MX" selected' not in html
    assert 'name="year_min" value="abc"' in html and 'aria-invalid="true"' in html
    CaseFactory(country="MX")
    cache.clear()  # the country counts are kept for minutes; once recounted, a new key
    assert "Mexico (2)" in client.get("/cases/?country=BR&year_min=abc").content.decode()
    french = client.get("/cases/?country=BR", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Brésil (1)" in french and "Afficher les cas" in french


def test_a_medium_added_by_an_editor_is_a_filter_at_once(
    client, django_capture_on_commit_callbacks
):
    """The vocabularies' choices are kept for minutes, and dropped when a term is added."""
    CaseFactory(country="MX").media.add(Medium.objects.create(slug="radio", name="Radio"))
    assert client.get("/api/v1/cases/?medium=radio").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        podcast = Medium.objects.create(slug="podcast", name="Podcast")
    CaseFactory(country="BR", full_name="Podcaster").media.add(podcast)
    assert names_on(client.get("/cases/?medium=podcast")) == ["Podcaster"]
    assert client.get("/api/v1/cases/?medium=podcast").status_code == 200


def test_list_filters_by_the_api_parameters(client):
    CaseFactory(full_name="Crossfire", type_of_death="crossfire", impunity="")
    CaseFactory(full_name="Murder, partial", impunity="partial", unesco_status="ongoing")
    CaseFactory(full_name="Resolved", impunity="full_justice", unesco_status="resolved")
    assert names_on(client.get("/cases/?type_of_death=crossfire")) == ["Crossfire"]
    assert names_on(client.get("/cases/?impunity=partial")) == ["Murder, partial"]
    assert names_on(client.get("/cases/?unesco=resolved")) == ["Resolved"]
    assert names_on(client.get("/cases/?unresolved=false")) == ["Resolved"]
    assert len(names_on(client.get("/cases/?unresolved=true"))) == 2


def test_filters_on_the_cases_own_columns_add_no_distinct(client):
    """DISTINCT would keep PostgreSQL off the newest-first indexes; each case is listed once."""
    CaseFactory(full_name="Two kinds", impunity="complete", gender="female", origin="local")
    CaseFactory(full_name="Other", impunity="partial", gender="male", origin="foreign")
    query = "impunity=complete&impunity=partial&gender=female&gender=male&origin=local"
    with CaptureQueriesContext(connection) as queries:
        names = names_on(client.get(f"/cases/?{query}"))
        body = client.get(f"/api/v1/cases/?{query}").json()
    assert names == ["Two kinds"]
    assert [case["full_name"] for case in body["results"]] == ["Two kinds"]
    case_queries = [q["sql"] for q in queries.captured_queries if '"cases_case"' in q["sql"]]
    assert case_queries and not [sql for sql in case_queries if "DISTINCT" in sql]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Ortega", "Lucía Ortega"),
        ("Culiacán", "Lucía Ortega"),
        ("Ríodoce", "Lucía Ortega"),
        ("cartel", "Lucía Ortega"),
    ],
)
def test_search_finds_names_places_outlets_and_summaries(client, query, expected):
    CaseFactory(
        full_name="Lucía Ortega",
        place="Culiacán",
        outlets="Ríodoce",
        summary="She investigated a cartel.",
    )
    CaseFactory(full_name="Someone Else", place="Lima", outlets="Diario", summary="Other.")
    assert names_on(client.get("/cases/", {"q": query})) == [expected]


def test_search_ranks_name_matches_above_summary_matches(client, postgres):
    CaseFactory(
        full_name="Ana Torres", summary="Nothing to see.", date_of_death=datetime.date(2010, 1, 1)
    )
    CaseFactory(
        full_name="Pedro Ruiz",
        summary="A friend of Torres.",
        date_of_death=datetime.date(2020, 1, 1),
    )
    assert names_on(client.get("/cases/?q=torres")) == ["Ana Torres", "Pedro Ruiz"]


def test_search_ranks_name_then_place_and_outlet_then_summary_matches(client, postgres):
    CaseFactory(full_name="Ana Quintero", summary="", date_of_death=datetime.date(2001, 1, 1))
    CaseFactory(
        full_name="Pedro Ruiz", place="Quintana Roo", date_of_death=datetime.date(2015, 1, 1)
    )
    CaseFactory(
        full_name="Rosa Díaz",
        summary="She wrote about the Quintero case.",
        date_of_death=datetime.date(2020, 1, 1),
    )
    CaseFactory(full_name="Someone Else", summary="Other.", date_of_death=datetime.date(2022, 1, 1))
    expected = ["Ana Quintero", "Pedro Ruiz", "Rosa Díaz"]
    assert names_on(client.get("/cases/?q=quint")) == expected
    api = client.get("/api/v1/cases/?q=quint").json()["results"]
    assert [case["full_name"] for case in api] == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["Carla", "Alba", "Berta"]),
        ("newest", ["Carla", "Alba", "Berta"]),
        ("oldest", ["Berta", "Alba", "Carla"]),
        ("name", ["Alba", "Berta", "Carla"]),
        ("country", ["Berta", "Carla", "Alba"]),
    ],
)
def test_list_sorts(client, sort, expected):
    CaseFactory(full_name="Alba", country="MX", date_of_death=datetime.date(2015, 1, 1))
    CaseFactory(full_name="Berta", country="BR", date_of_death=datetime.date(2010, 1, 1))
    CaseFactory(full_name="Carla", country="CO", date_of_death=datetime.date(2020, 1, 1))
    assert names_on(client.get("/cases/", {"sort": sort})) == expected


def test_list_paginates_shows_the_total_and_keeps_filters_in_page_links(client):
    bulk_cases(30)
    CaseFactory(country="FR", full_name="Not in Mexico")
    response = client.get("/cases/?country=MX&page=1")
    total = Case.objects.filter(country="MX").count()
    page = response.context["page"]
    assert page.paginator.count == total
    html = response.content.decode()
    assert f"{total} cases" in html or f"{total} case" in html
    if page.has_next():
        assert "?country=MX&amp;page=2" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"country": "ZZ"}, "is not a country code we know"),
        ({"year_min": "abc"}, "Enter a whole number"),
        ({"year_min": "2020", "year_max": "2010"}, "is before the start year"),
        ({"status": "nonsense"}, "Select a valid choice"),
        ({"medium": "carrier-pigeon"}, "Select a valid choice"),
        ({"sort": "random"}, "Select a valid choice"),
        ({"q": "x" * 500}, "at most 200 characters"),
        ({"year_max": "99999999999999999999"}, "less than or equal to"),
    ],
)
def test_bad_filters_give_a_message_not_an_error(client, query, message):
    CaseFactory(full_name="Still listed", date_of_death=datetime.date(2023, 1, 1))
    response = client.get("/cases/", query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters could not be used" in html
    assert message in html
    assert names_on(response) == ["Still listed"]


def test_a_page_number_out_of_range_shows_the_last_page(client):
    CaseFactory(full_name="Only one")
    for page in ("abc", "999", "-1"):
        response = client.get("/cases/", {"page": page})
        assert response.status_code == 200
        assert names_on(response) == ["Only one"]


def test_hostile_query_parameters_are_escaped(client):
    response = client.get("/cases/", {"q": HOSTILE, "country": HOSTILE, "sort": HOSTILE})
    html = response.content.decode()
    assert response.status_code == 200
    assert HOSTILE not in html
    assert "&lt;script&gt;" in html


# -- Exports -----------------------------------------------------------------------------------


def read_stream(response) -> str:
    assert response.streaming, "exports must stream"
    return b"".join(response.streaming_content).decode("utf-8")


def test_csv_export_streams_the_filtered_list_with_attribution(client):
    radio = Medium.objects.create(slug="radio", name="Radio")
    case = CaseFactory(full_name="Exported Person", country="MX")
    case.media.add(radio)
    CaseFactory(full_name="Filtered Out", country="BR")
    response = client.get("/cases/export.csv?country=MX")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="idei-cases-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(read_stream(response).lstrip("\ufeff"))))
    assert rows[0][0].startswith("# IDEI case database")
    assert "credit IDEI" in rows[0][0]
    header, data = rows[1], rows[2:]
    assert len(data) == 1
    record = dict(zip(header, data[0], strict=True))
    assert record["full_name"] == "Exported Person"
    assert record["media"] == "radio"
    assert record["url"].endswith(case.get_absolute_url())


def test_csv_export_makes_formula_cells_inert(client):
    CaseFactory(full_name='=HYPERLINK("http://evil")', place="+1", outlets="@SUM(A1)")
    CaseFactory(full_name="-2+3", summary=HOSTILE)
    text = read_stream(client.get("/cases/export.csv"))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[2:]
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert '\'=HYPERLINK("http://evil")' in cells
    assert "'-2+3" in cells


def test_csv_export_guards_formulas_after_line_breaks_spaces_and_in_full_width(client):
    CaseFactory(place="\n=1+1", outlets="\uff20SUM(1)", jobs="  =1+1", summary="\uff1d2")
    text = read_stream(client.get("/cases/export.csv"))
    header, row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    record = dict(zip(header, row, strict=True))
    assert record["place"] == "'\n=1+1"
    assert record["outlets"] == "'\uff20SUM(1)"
    assert record["jobs"] == "'  =1+1"
    assert record["summary"] == "'\uff1d2"


def test_csv_export_columns_are_in_their_published_order(client):
    text = read_stream(client.get("/cases/export.csv"))
    assert text.splitlines()[1] == (
        "url,full_name,country,country_name,place,date_of_death,date_precision,year,role,"
        "employment,origin,gender,outlets,jobs,media,type_of_death,perpetrators,"
        "motive_confirmed,impunity,unesco_status,status,unresolved,resolved_on,summary,"
        "last_reviewed,source_of_record"
    )


def test_json_export_streams_with_attribution_and_inert_markup(client):
    CaseFactory(full_name=HOSTILE, country="MX")
    CaseFactory(full_name="Brazil case", country="BR")
    response = client.get("/cases/export.json?country=mx")
    assert response["Content-Type"] == "application/json"
    assert 'filename="idei-cases-' in response["Content-Disposition"]
    text = read_stream(response)
    assert "<script>" not in text
    data = json.loads(text)
    assert "credit IDEI" in data["attribution"]
    assert data["filters"] == {"country": "MX"}
    assert [case["full_name"] for case in data["cases"]] == [HOSTILE]


@pytest.mark.parametrize("url", ["/cases/export.csv", "/cases/export.json"])
def test_export_with_bad_filters_answers_400_naming_the_parameter(client, url):
    response = client.get(url, {"year_min": "abc", "country": "ZZ"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "year_min:" in text
    assert "country:" in text


# -- Country page ------------------------------------------------------------------------------


def test_country_page_shows_translated_name_figures_and_cases(client):
    CaseFactory(full_name="Unsolved One", country="MX", date_of_death=datetime.date(2020, 5, 1))
    CaseFactory(
        full_name="Solved One",
        country="MX",
        impunity="full_justice",
        date_of_death=datetime.date(2021, 5, 1),
    )
    CaseFactory(full_name="Elsewhere", country="BR")
    response = client.get("/cases/mx/")
    html = response.content.decode()
    assert "Journalists killed in Mexico" in html
    assert response.context["figures"]["killed"] == 2
    assert response.context["figures"]["unresolved_percent"] == 50
    assert sorted(names_on(response)) == ["Solved One", "Unsolved One"]
    assert "<svg" in html and "Killings per year, by judicial status" in html
    assert "<table" in html
    response = client.get("/cases/mx/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Mexique" in response.content.decode()


def test_per_year_chart_is_kept_rendered_yet_follows_its_figures_and_language(client):
    """The chart's markup is cached per process (the "fragments" cache), keyed on what it shows."""
    CaseFactory(country="MX", date_of_death=datetime.date(2020, 5, 1))
    assert "<title>2020: 1</title>" in client.get("/cases/mx/").content.decode()
    CaseFactory(country="MX", date_of_death=datetime.date(2020, 7, 1), impunity="full_justice")
    html = client.get("/cases/mx/").content.decode()
    assert "<title>2020: 2</title>" in html and "<title>2020: 1</title>" not in html

    arabic = client.get("/cases/mx/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "جرائم القتل سنويًا، حسب الحالة القضائية" in arabic
    assert 'text-anchor="start" class="chart-axis"' in arabic  # the value axis on the right
    english = client.get("/cases/mx/").content.decode()
    assert "Killings per year, by judicial status" in english
    assert 'text-anchor="end" class="chart-axis"' in english


def test_case_cards_are_kept_rendered_yet_follow_every_field_they_show(client):
    """Each card is cached per process under Case.card_key: what it shows, in the language."""
    case = CaseFactory(
        full_name="Ana Pérez",
        country="MX",
        place="Culiacán",
        outlets="Ríodoce",
        date_of_death=datetime.date(2017, 5, 15),
        date_precision="day",
    )
    html = client.get("/cases/").content.decode()
    assert "Ana Pérez" in html and "Culiacán" in html and "May 15, 2017" in html
    # Changed without save() (as a bulk update would): each shown field changes the card.
    changes = {
        "full_name": "Ana Peres",
        "place": "Mazatlán",
        "outlets": "Noroeste",
        "role": Case.Role.MEDIA_WORKER,
        "date_precision": "month",
        "impunity": "full_justice",
        "is_unresolved": False,
    }
    Case.objects.filter(pk=case.pk).update(**changes)
    html = client.get("/cases/").content.decode()
    for text in ["Ana Peres", "Mazatlán", "Noroeste", "Media worker", "May 2017", "Justice done"]:
        assert text in html, text
    assert "Ana Pérez" not in html and "Culiacán" not in html
    french = client.get("/cases/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Mexique" in french and "mai 2017" in french
    assert client.get(case.get_absolute_url()).status_code == 200


def test_country_without_cases_still_has_a_page(client):
    response = client.get("/cases/is/")
    assert response.status_code == 200
    assert response.context["figures"]["killed"] == 0
    assert "Iceland" in response.content.decode()


@pytest.mark.parametrize("code", ["zz", "xx", "qq"])
def test_unknown_country_code_is_404(client, code):
    assert client.get(f"/cases/{code}/").status_code == 404


def test_country_page_shows_its_impunity_rank_with_the_method(client):
    for year in range(2016, 2022):
        CaseFactory(country="MX", date_of_death=datetime.date(year, 3, 1), impunity="complete")
    response = client.get("/cases/mx/")
    html = response.content.decode()
    impunity = response.context["figures"]["impunity"]
    assert impunity is not None and impunity.rank == 1
    assert "No. 1" in html
    assert 'id="impunity-method"' in html
    assert "Global Impunity Index" in html


def test_country_page_lists_open_campaigns_and_their_officials(client):
    case = CaseFactory(country="MX")
    target = TargetFactory(name="Fiscal General")
    open_campaign = CampaignFactory(title="Open campaign")
    open_campaign.cases.add(case)
    open_campaign.targets.add(target)
    draft = CampaignFactory(title="Draft campaign", status=Campaign.Status.DRAFT)
    draft.cases.add(case)
    elsewhere = CampaignFactory(title="Brazil campaign")
    elsewhere.cases.add(CaseFactory(country="BR"))
    html = client.get("/cases/mx/").content.decode()
    assert "Open campaign" in html
    assert "Fiscal General" in html
    assert "Draft campaign" not in html
    assert "Brazil campaign" not in html


# -- Case page ---------------------------------------------------------------------------------


def test_case_page_shows_header_story_timeline_sources_and_the_rule(client):
    case = CaseFactory(
        full_name="Javier Valdez",
        country="MX",
        place="Culiacán",
        outlets="Ríodoce",
        date_of_death=datetime.date(2017, 5, 15),
        summary="Founder of a weekly.",
        impunity="partial",
        unesco_status="ongoing",
    )
    CaseEventFactory(
        case=case,
        kind=CaseEvent.Kind.CONVICTION,
        date=datetime.date(2020, 6, 9),
        description="A gunman is sentenced.",
        source_url="https://example.org/ruling",
        source_title="The ruling",
    )
    CaseSourceFactory(case=case, url="https://example.org/cpj", title="CPJ profile")
    response = client.get(case.get_absolute_url())
    html = response.content.decode()
    for text in [
        "Javier Valdez",
        "Ríodoce",
        "Culiacán",
        "Partial justice",
        "Founder of a weekly.",
        "Judicial timeline",
        "Conviction",
        "A gunman is sentenced.",
        "CPJ profile",
        "Partial impunity",
        "Ongoing / unresolved",
        "Partial justice counts as unresolved",
    ]:
        assert text in html, text
    assert 'href="https://example.org/ruling" rel="noopener noreferrer nofollow"' in html
    assert 'href="https://example.org/cpj" rel="noopener noreferrer nofollow"' in html


def test_case_page_never_links_a_non_web_source(client):
    case = CaseFactory()
    CaseSourceFactory(case=case, url="javascript:alert(1)", title="Trap")
    CaseEventFactory(case=case, source_url="javascript:alert(2)", source_title="Trap 2")
    html = client.get(case.get_absolute_url()).content.decode()
    assert "javascript:" not in html
    assert "Trap" in html


def test_case_under_the_wrong_country_redirects_permanently(client):
    case = CaseFactory(country="MX")
    response = client.get(f"/cases/br/{case.slug}/")
    assert response.status_code == 301
    assert response["Location"] == f"/cases/mx/{case.slug}/"


@pytest.mark.parametrize("url", ["/cases/mx/nobody-2020/", "/cases/zz/nobody-2020/"])
def test_unknown_case_is_404(client, url):
    assert client.get(url).status_code == 404


def test_unpublished_case_is_404(client):
    case = CaseFactory(is_published=False)
    assert client.get(case.get_absolute_url()).status_code == 404


def test_case_page_offers_open_campaigns_about_this_case_only(client):
    case = CaseFactory()
    CampaignFactory(title="About this case", slug="about-this").cases.add(case)
    CampaignFactory(title="Closed one", status=Campaign.Status.CLOSED).cases.add(case)
    CampaignFactory(title="About another").cases.add(CaseFactory())
    html = client.get(case.get_absolute_url()).content.decode()
    assert 'href="/campaigns/about-this/"' in html
    assert "Closed one" not in html
    assert "About another" not in html


def test_hostile_case_content_is_escaped_everywhere(client):
    case = CaseFactory(
        full_name=HOSTILE,
        place=HOSTILE,
        outlets=HOSTILE,
        summary=HOSTILE,
        country="MX",
        impunity="complete",
    )
    CaseEventFactory(case=case, description=HOSTILE, source_title=HOSTILE)
    CaseSourceFactory(case=case, title=HOSTILE, publisher=HOSTILE)
    CampaignFactory(title=HOSTILE).cases.add(case)
    for url in [case.get_absolute_url(), "/cases/", "/cases/mx/", "/cases/statistics/"]:
        html = client.get(url).content.decode()
        assert HOSTILE not in html, url
        assert "<script>" not in html, url


# -- Statistics --------------------------------------------------------------------------------


def test_statistics_page_shows_breakdowns_index_and_map(client):
    radio = Medium.objects.create(slug="radio", name="Radio")
    for year in range(2016, 2022):
        CaseFactory(country="PH", date_of_death=datetime.date(year, 1, 1)).media.add(radio)
    CaseFactory(country="FR", gender="female", impunity="full_justice")
    response = client.get(reverse("cases:statistics"))
    html = response.content.decode()
    for text in [
        "Killings per year, by judicial status",
        "By medium",
        "By gender",
        "Local or foreign",
        "By suspected perpetrator",
        "By type of death",
        "Impunity index",
        "Global Impunity Index",
        "Philippines",
        'class="world-map"',
    ]:
        assert text in html, text
    assert response.context["stats"]["impunity"][0].country == "PH"
    # Each country with cases is a link on the map and in the table.
    assert html.count('href="/cases/ph/"') >= 2
    assert 'href="/cases/fr/"' in html
    assert 'href="/cases/de/"' not in html


def test_statistics_map_is_kept_rendered_yet_follows_the_counts_and_language(client):
    """The map and its table are cached per process, keyed on the counts per country."""
    CaseFactory(country="PH")
    html = client.get(reverse("cases:statistics")).content.decode()
    assert "<title>Philippines: 1</title>" in html and 'href="/cases/fr/"' not in html
    CaseFactory(country="PH")
    CaseFactory(country="FR")
    cache.clear()  # the statistics are kept for minutes; once recounted, a new key
    html = client.get(reverse("cases:statistics")).content.decode()
    assert "<title>Philippines: 2</title>" in html and "<title>France: 1</title>" in html
    french = client.get(reverse("cases:statistics"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<title>Philippines : 2</title>" in french or "<title>Philippines: 2</title>" in french
    assert '<a href="/cases/fr/">France</a>' in french and "Cas par pays" in french


# -- Query counts and scale (PostgreSQL) ---------------------------------------------------------

# Each page also credits its sources (cases/attribution.py): one query, cached.
LIST_QUERIES = 7
# The country page also shows its officials' answer rate and their published responses
# (letters/templatetags/responses.py): two more here, where no official was written to; a
# fixed handful more where some were (letters/responses/records.py), whatever their number.
# Its open campaigns come with their titles in other languages (campaigns' translations): one.
# Its own figures (totals, years, answers to UNESCO) are one query (cases.figures).
COUNTRY_QUERIES = 10
STATISTICS_QUERIES = 13
# The case page's timeline also reads the published responses about the case: one query; its
# campaigns come with their titles in other languages: one more.
CASE_QUERIES = 8


def pages_to_check(case_url):
    return [
        ("/cases/", LIST_QUERIES),
        ("/cases/?country=MX&status=unresolved&medium=radio&sort=name&page=3", LIST_QUERIES + 1),
        ("/cases/?q=reporter&year_min=2000&year_max=2020", LIST_QUERIES),
        ("/cases/mx/", COUNTRY_QUERIES),
        ("/cases/mx/?page=5", COUNTRY_QUERIES),
        ("/cases/statistics/", STATISTICS_QUERIES),
        (case_url, CASE_QUERIES),
    ]


@pytest.mark.slow
@pytest.mark.postgres
def test_pages_run_a_fixed_number_of_queries_whatever_the_number_of_cases(
    client, postgres, django_assert_max_num_queries
):
    bulk_cases(40)
    case = CaseFactory(country="MX")
    CampaignFactory().cases.add(case)
    for url, queries in pages_to_check(case.get_absolute_url()):
        with django_assert_max_num_queries(queries):
            assert client.get(url).status_code == 200
    bulk_cases(20_000, seed=2)
    cache.clear()  # the cold path: figures computed, not read from the cache
    for url, queries in pages_to_check(case.get_absolute_url()):
        with django_assert_max_num_queries(queries):
            response = client.get(url)
            assert response.status_code == 200
    assert client.get("/cases/").context["page"].paginator.count == 20_041


@pytest.mark.slow
@pytest.mark.postgres
def test_export_of_20000_cases_streams_in_chunks(client, postgres, django_assert_max_num_queries):
    bulk_cases(20_000)
    # One query per chunk of 1,000 cases plus three prefetches each: bounded, and memory flat.
    with django_assert_max_num_queries(4 * 20 + 5):
        response = client.get("/cases/export.csv")
        lines = read_stream(response).count("\n")
    assert lines == 20_000 + 2


# -- One figure, one meaning -----------------------------------------------------------------


def mixed_cases():
    """Cases of every status in two countries: the narrow "Unresolved" badge is only one of
    the three statuses that count as unresolved (partial justice, no information, unresolved)."""
    statuses = [
        (Case.Impunity.COMPLETE, Case.UnescoStatus.ONGOING),  # unresolved
        (Case.Impunity.PARTIAL, Case.UnescoStatus.ONGOING),  # partial: still unresolved
        (Case.Impunity.COMPLETE, Case.UnescoStatus.NO_INFORMATION),  # no information
        (Case.Impunity.FULL_JUSTICE, Case.UnescoStatus.ONGOING),  # justice done
        (Case.Impunity.COMPLETE, Case.UnescoStatus.RESOLVED),  # resolved for the state
    ]
    for country, repeat in (("MX", 3), ("PH", 2)):
        for impunity, unesco in statuses * repeat:
            CaseFactory(country=country, impunity=impunity, unesco_status=unesco)
    CaseFactory(country="MX", is_published=False, impunity=Case.Impunity.COMPLETE)


def test_home_statistics_and_country_pages_show_the_same_unresolved_share(client):
    mixed_cases()
    published = Case.objects.published()
    killed, unresolved = published.count(), published.unresolved().count()
    assert (killed, unresolved) == (25, 15)

    home = client.get(reverse("home"))
    statistics = client.get(reverse("cases:statistics"))
    mexico = client.get(reverse("cases:country", args=["mx"]))

    assert home.context["unresolved_percent"] == 60
    assert statistics.context["headline"]["unresolved_percent"] == 60
    assert home.context["case_count"] == statistics.context["headline"]["killed"] == killed
    for response in (home, statistics):
        assert ">60%</p>" in response.content.decode()
    # The country page: the same rule on the country's cases, and the same numbers as the
    # statistics page's table of countries.
    row = statistics.context["stats"]["countries"]["MX"]
    figures = mexico.context["figures"]
    assert (figures["killed"], figures["unresolved"]) == (row["killed"], row["unresolved"])
    assert (figures["killed"], figures["unresolved"], figures["unresolved_percent"]) == (15, 9, 60)
    assert ">60%</p>" in mexico.content.decode()


def test_every_count_of_unresolved_cases_uses_the_queryset_rule():
    from cases import figures

    mixed_cases()
    rule = {case.pk for case in Case.objects.published() if case.is_unresolved}
    assert set(Case.objects.published().unresolved().values_list("pk", flat=True)) == rule
    assert figures.published_totals()["unresolved"] == len(rule)
    by_status = figures.counts_by(
        Case.objects.published().annotate(status=figures.STATUS_EXPRESSION), "status"
    )
    assert by_status["unresolved"] + by_status["partial"] + by_status["noinfo"] == len(rule)


def test_statistics_status_table_groups_the_unresolved_kinds_under_the_headline_share(client):
    mixed_cases()
    rows = client.get(reverse("cases:statistics")).context["by_status"]
    assert [(row.key, row.percent, row.part_of) for row in rows] == [
        ("counted-unresolved", 60, ""),
        ("unresolved", 20, "counted-unresolved"),
        ("noinfo", 20, "counted-unresolved"),
        ("partial", 20, "counted-unresolved"),
        ("justice", 40, ""),
    ]
