"""Case search ignores accents and case, on PostgreSQL and on SQLite; prefixes on PostgreSQL."""

import datetime
import json

import pytest

from tests.factories import CaseFactory
from tests.sqlite import run_on_sqlite

pytestmark = pytest.mark.django_db

PEOPLE = ["Lucía Cárdenas", "Ana Quintero", "Jonas Petersen"]


def names_on(response) -> list[str]:
    assert response.status_code == 200
    return [case.full_name for case in response.context["page"]]


@pytest.fixture
def people():
    for name in PEOPLE:
        CaseFactory(full_name=name, place="", outlets="", summary="")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Cardenas", ["Lucía Cárdenas"]),
        ("cárdenas", ["Lucía Cárdenas"]),
        ("CARDENAS", ["Lucía Cárdenas"]),
        ("lucia", ["Lucía Cárdenas"]),
        ("LUCÍA cardenas", ["Lucía Cárdenas"]),
        ("Quinte", ["Ana Quintero"]),
        ("quin", ["Ana Quintero"]),
    ],
)
def test_postgres_search_ignores_accents_and_case_and_matches_prefixes(
    client, postgres, people, query, expected
):
    assert names_on(client.get("/cases/", {"q": query})) == expected


@pytest.mark.parametrize(
    "query", ["'", "&|!:*", "a' & b", "(((", "\\", '"', '""', "-", "or", "a or"]
)
def test_postgres_search_with_query_syntax_characters_answers_without_error(
    client, postgres, people, query
):
    assert client.get("/cases/", {"q": query}).status_code == 200


def test_postgres_api_search_uses_the_same_rules(client, postgres, people):
    response = client.get("/api/v1/cases/", {"q": "cardenas"})
    assert response.status_code == 200
    assert [case["full_name"] for case in response.json()["results"]] == ["Lucía Cárdenas"]


def test_postgres_search_vector_is_unaccented_in_the_index(postgres, people):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM cases_case WHERE full_name = %s", ["Lucía Cárdenas"]
        )
        [(vector,)] = cursor.fetchall()
    assert "'cardenas'" in vector and "'lucia'" in vector


SQLITE_SCRIPT = """
import json, sys
from cases.filters import CaseFilter
from cases.models import Case
for name in sys.argv[1].split("|"):
    Case.objects.create(full_name=name, country="MX", year=2020)
found = {}
for query in sys.argv[2].split("|"):
    cases = CaseFilter({"q": query}, queryset=Case.objects.all()).qs
    found[query] = sorted(case.full_name for case in cases)
print(json.dumps(found))
"""


def test_sqlite_search_ignores_accents_and_case(tmp_path):
    """The embedded default: a fresh process on an SQLite file, as `make run` uses."""
    queries = ["Cardenas", "lucia", "LUCÍA", "cárdenas", "Quinte", "petersen"]
    found = json.loads(run_on_sqlite(SQLITE_SCRIPT, tmp_path, "|".join(PEOPLE), "|".join(queries)))
    assert found == {
        "Cardenas": ["Lucía Cárdenas"],
        "lucia": ["Lucía Cárdenas"],
        "LUCÍA": ["Lucía Cárdenas"],
        "cárdenas": ["Lucía Cárdenas"],
        "Quinte": ["Ana Quintero"],
        "petersen": ["Jonas Petersen"],
    }


# -- Broad searches: counted up to a bound, listed newest first (bench/README.md, cases) ------


def heading(response) -> str:
    html = response.content.decode()
    start = html.index('id="results-heading"')
    return " ".join(html[html.index(">", start) + 1 : html.index("</h2>", start)].split())


def current_page(response) -> str:
    html = response.content.decode()
    marker = '<span class="page-link" aria-current="page">'
    start = html.index(marker) + len(marker)
    return " ".join(html[start : html.index("</span>", start)].split())


@pytest.fixture
def small_bounds(monkeypatch):
    """A broad search from 5 matches on, 2 cases a page: the paths of 1,000 with 8 cases."""
    from cases import search, views

    monkeypatch.setattr(search, "BROAD_SEARCH", 5)
    monkeypatch.setattr(views, "CASES_PER_PAGE", 2)


def radio_cases(count: int) -> list[str]:
    """`count` cases that mention radio, one a year from 2000: their names newest first."""
    for year in range(2000, 2000 + count):
        CaseFactory(
            full_name=f"Person {year}",
            place="",
            outlets="",
            summary="A radio journalist.",
            date_of_death=datetime.date(year, 5, 1),
        )
    return [f"Person {year}" for year in reversed(range(2000, 2000 + count))]


def test_postgres_broad_search_says_more_than_and_pages_through_every_match_newest_first(
    client, postgres, small_bounds
):
    newest_first = radio_cases(8)
    CaseFactory(full_name="Someone Else", place="", outlets="", summary="A print reporter.")

    first = client.get("/cases/", {"q": "radio journalist"})
    assert heading(first) == "More than 5 cases"
    assert current_page(first) == "Page 1"
    assert 'rel="next"' in first.content.decode()
    assert 'id="broad-search"' in first.content.decode()

    third = client.get("/cases/", {"q": "radio journalist", "page": 3})
    assert heading(third) == "More than 6 cases"  # counted one past the page asked for
    assert current_page(third) == "Page 3"

    last = client.get("/cases/", {"q": "radio journalist", "page": 4})
    assert heading(last) == "8 cases"  # the count reached the end: exact
    assert current_page(last) == "Page 4 of 4"
    assert 'rel="next"' not in last.content.decode()

    listed = [
        name
        for n in (1, 2, 3, 4)
        for name in names_on(client.get("/cases/", {"q": "radio journalist", "page": n}))
    ]
    assert listed == newest_first


def test_postgres_broad_search_past_the_last_page_shows_the_last_page(
    client, postgres, small_bounds
):
    newest_first = radio_cases(8)
    response = client.get("/cases/", {"q": "radio", "page": 99})
    assert names_on(response) == newest_first[-2:]
    assert current_page(response) == "Page 4 of 4"
    assert 'id="broad-search"' in response.content.decode()


def test_postgres_search_up_to_the_bound_is_counted_exactly_and_ranked(
    client, postgres, small_bounds
):
    radio_cases(4)
    CaseFactory(
        full_name="Ana Radio",
        place="",
        outlets="",
        summary="",
        date_of_death=datetime.date(1990, 1, 1),
    )
    response = client.get("/cases/", {"q": "radio"})
    assert heading(response) == "5 cases"
    assert current_page(response) == "Page 1 of 3"
    assert names_on(response) == ["Ana Radio", "Person 2003"]  # the name match first
    assert 'id="broad-search"' not in response.content.decode()


def test_postgres_broad_search_with_a_sort_is_counted_and_sorted_as_asked(
    client, postgres, small_bounds
):
    newest_first = radio_cases(8)
    response = client.get("/cases/", {"q": "radio", "sort": "oldest"})
    assert heading(response) == "8 cases"
    assert names_on(response) == newest_first[::-1][:2]
    assert 'id="broad-search"' not in response.content.decode()


def test_postgres_api_counts_every_match_of_a_broad_search_and_ranks_them(
    client, postgres, small_bounds
):
    radio_cases(8)
    CaseFactory(
        full_name="Ana Radio",
        place="",
        outlets="",
        summary="",
        date_of_death=datetime.date(1990, 1, 1),
    )
    data = client.get("/api/v1/cases/", {"q": "radio"}).json()
    assert data["count"] == 9
    assert data["results"][0]["full_name"] == "Ana Radio"


def test_postgres_search_of_more_than_1000_cases_is_counted_to_1000_and_narrowed_by_a_name(
    client, postgres
):
    """The real bound: 1,030 cases mention radio; one of them is named Radio, the oldest."""
    from cases.models import Case

    Case.objects.bulk_create(
        Case(
            full_name=f"Reporter {i}",
            sort_name=f"Reporter {i:05d}",
            slug=f"reporter-{i}",
            country="MX",
            date_of_death=datetime.date(2000, 1, 1) + datetime.timedelta(days=i),
            year=2000 + i // 365,
            summary="A radio journalist.",
            is_published=True,
        )
        for i in range(1, 1031)
    )
    CaseFactory(
        full_name="Ana Radio",
        place="",
        outlets="",
        summary="",
        date_of_death=datetime.date(1990, 1, 1),
    )
    broad = client.get("/cases/", {"q": "radio"})
    assert heading(broad) == "More than 1,000 cases"
    assert names_on(broad)[:2] == ["Reporter 1030", "Reporter 1029"]  # newest first
    named = client.get("/cases/", {"q": "radio ana"})
    assert heading(named) == "1 case"
    assert names_on(named) == ["Ana Radio"]
    # Filters narrow a broad search back to a ranked one: the name match first.
    narrowed = client.get("/cases/", {"q": "radio", "year_max": 2000})
    assert names_on(narrowed)[0] == "Ana Radio"


@pytest.mark.parametrize("number", ["99999999999999999999999", "-3", "0", "1e3", "last", "x"])
def test_postgres_broad_search_reads_any_page_number_as_paginator_does(
    client, postgres, small_bounds, number
):
    newest_first = radio_cases(8)
    names = names_on(client.get("/cases/", {"q": "radio", "page": number}))
    # Paginator.get_page: past the end or below 1 is the last page, not a number the first.
    last = number in {"99999999999999999999999", "-3", "0"}
    assert names == (newest_first[-2:] if last else newest_first[:2])
