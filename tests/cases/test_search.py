"""Case search ignores accents and case, on PostgreSQL and on SQLite; prefixes on PostgreSQL."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
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
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
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
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT, "|".join(PEOPLE), "|".join(queries)],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "idei.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'search.sqlite3'}",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {
        "Cardenas": ["Lucía Cárdenas"],
        "lucia": ["Lucía Cárdenas"],
        "LUCÍA": ["Lucía Cárdenas"],
        "cárdenas": ["Lucía Cárdenas"],
        "Quinte": ["Ana Quintero"],
        "petersen": ["Jonas Petersen"],
    }
