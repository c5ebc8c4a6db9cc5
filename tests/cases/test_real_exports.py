"""Imports of files shaped like real CPJ exports: every person once, nothing silently dropped.

The fixtures (tests/cases/data/README.md) are two snapshots two years apart: one as CPJ serves
it, one after a spreadsheet. Line numbers below are the files' own.
"""

from pathlib import Path

import pytest

from cases.importers import import_file
from cases.importers import review as review_queue
from cases.models import Case, ExternalId, ReviewItem, ValueAlias
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
OLDER = DATA / "cpj-killed-2024-11-02.csv"
NEWER = DATA / "cpj-killed-2026-11-02 - Sheet1.csv"


def run(path: Path, **options):
    return import_file(path.read_bytes(), format="cpj", file_name=path.name, **options)


def counts(report) -> dict[str, int]:
    keys = ("new", "updated", "unchanged", "review", "rejected", "error", "blank")
    return {key: report.counts[key] for key in keys}


def test_the_fixtures_look_like_what_they_stand_for():
    older, newer = OLDER.read_bytes(), NEWER.read_bytes()
    assert b"\r\n" in older and older.count(b'"') > 400 and b"photoUrl" in older
    assert b"\r\n" not in newer and b"photoUrl" not in newer and b"yearsSince" in newer
    assert newer.startswith(b"year,combinedStatus,fullName,country,")


def test_older_then_newer_then_newer_again():
    first = run(OLDER)
    assert counts(first) == {
        "new": 9,
        "updated": 0,
        "unchanged": 0,
        "review": 0,
        "rejected": 0,
        "error": 1,
        "blank": 1,
    }
    second = run(NEWER)
    assert counts(second) == {
        "new": 1,
        "updated": 1,
        "unchanged": 7,
        "review": 1,
        "rejected": 0,
        "error": 1,
        "blank": 1,
    }
    assert [row.name for row in second.lines("new")] == ["Regina Salcedo"]
    assert [row.name for row in second.lines("updated")] == ["Lucía Cárdenas"]
    again = run(NEWER)
    assert (again.counts["new"], again.counts["updated"]) == (0, 0)
    assert again.counts["unchanged"] == 9
    assert Case.objects.count() == 10
    assert ReviewItem.objects.count() == 1


# -- 1. Values the importer does not know -------------------------------------------------------


def test_na_and_unknown_types_of_death_import_as_unknown():
    run(OLDER)
    assert Case.objects.get(full_name="Tomás Ibarra").type_of_death == "unknown"
    assert Case.objects.get(full_name="Karim Haddad").type_of_death == "unknown"
    assert Case.objects.get(full_name="Tomás Ibarra").role == "media_worker"


def test_an_unknown_value_imports_the_row_keeps_the_value_and_warns_per_column_and_value():
    report = run(OLDER)
    daniela = Case.objects.get(full_name="Daniela Ortega")
    assert daniela.employment == "unknown"
    assert daniela.raw_values == {"employedAs": "Contractor"}
    unknown = [w for w in report.warnings if w["kind"] == "unknown"]
    assert unknown == [
        {
            "column": "employedAs",
            "value": "Contractor",
            "kind": "unknown",
            "count": 1,
            "lines": [10],
        }
    ]
    assert ValueAlias.objects.get(field="employment", name="contractor").value == ""


def test_a_value_alias_set_by_an_admin_is_applied_by_the_next_import():
    run(OLDER)
    ValueAlias.objects.filter(field="employment", name="contractor").update(value="freelance")
    report = run(OLDER)
    daniela = Case.objects.get(full_name="Daniela Ortega")
    assert (daniela.employment, daniela.raw_values) == ("freelance", {})
    assert [row.name for row in report.lines("updated")] == ["Daniela Ortega"]


def test_the_only_error_is_the_row_without_a_year():
    report = run(OLDER)
    [error] = report.lines("error")
    assert (error.line, error.name) == (11, "Pedro Salas")


# -- 2. Identical rows --------------------------------------------------------------------------


def test_identical_rows_are_two_people_matched_again_by_occurrence():
    run(OLDER)
    ahmads = Case.objects.filter(full_name="Ahmad")
    assert ahmads.count() == 2
    keys = set(ExternalId.objects.filter(case__in=ahmads).values_list("value", flat=True))
    assert keys == {"ahmad:SY:2014", "ahmad:SY:2014:2"}
    run(NEWER)
    run(NEWER)
    assert Case.objects.filter(full_name="Ahmad").count() == 2


# -- 3. Stray values --------------------------------------------------------------------------


def test_a_row_blank_but_for_a_stray_value_is_skipped_as_blank_with_a_warning():
    report = run(OLDER)
    assert report.counts["blank"] == 1
    stray = [w for w in report.warnings if w["kind"] == "stray"]
    assert stray == [{"column": "gender", "value": "3", "kind": "stray", "count": 1, "lines": [12]}]


# -- 4. and 5. Multi-valued cells and variants ---------------------------------------------------


def test_commas_split_cells_and_slashes_do_not():
    run(OLDER)
    karim = Case.objects.get(full_name="Karim Haddad")
    assert karim.jobs == "Columnist/Commentator, Publisher/Owner"
    assert karim.outlets == "Radio Free Europe/Radio Liberty"
    lucia = Case.objects.get(full_name="Lucía Cárdenas")
    assert sorted(m.slug for m in lucia.media.all()) == ["online", "radio"]
    assert lucia.outlets == "Noticias del Puerto, Radio Costa"


def test_variants_of_one_value_become_one_value():
    run(OLDER)
    employment = dict(Case.objects.values_list("full_name", "employment"))
    assert employment["Lucía Cárdenas"] == employment["Tomás Ibarra"] == "freelance"
    assert employment["Karim Haddad"] == "freelance"
    jobs = dict(Case.objects.values_list("full_name", "jobs"))
    assert jobs["Lucía Cárdenas"] == jobs["Daniela Ortega"] == "Broadcast Reporter"


# -- 6. Re-importing the same file ----------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing_with_two_nationalities():
    run(OLDER)
    assert Case.objects.get(full_name="Jonas Petersen").nationalities == ["DE", "DK"]
    for _attempt in range(2):
        report = run(OLDER)
        assert (report.counts["new"], report.counts["updated"]) == (0, 0)


# -- 7. and 8. Renames, the review queue, decisions ---------------------------------------------


def test_a_corrected_transliteration_waits_for_review_beside_the_case_and_is_not_published():
    run(OLDER, publish=True)
    report = run(NEWER, publish=True)
    [held] = report.lines("review")
    assert held.name == "Muhammad Al-Sharif"
    item = ReviewItem.objects.get()
    old = Case.objects.get(full_name="Mohammed Al-Sharif")
    assert item.case == old and item.kind == "possible_duplicate"
    assert not Case.objects.filter(full_name="Muhammad Al-Sharif").exists()
    side_by_side = {
        label: (ours, theirs) for label, ours, theirs in review_queue.side_by_side(item)
    }
    assert side_by_side["full name"] == ("Mohammed Al-Sharif", "Muhammad Al-Sharif")
    assert side_by_side["outlets"] == ("Al-Nahar TV", "Al-Nahar TV")


def test_a_later_import_refreshes_the_waiting_item_instead_of_adding_one():
    run(OLDER)
    run(NEWER)
    first = ReviewItem.objects.get()
    later = NEWER.read_bytes().replace(
        b"Muhammad Al-Sharif,Iraq,,", b'Muhammad Al-Sharif,Iraq,"Al-Sharif, Muhammad",'
    )
    report = import_file(later, format="cpj", file_name="cpj-killed-2027.csv")
    assert report.counts["review"] == 1
    refreshed = ReviewItem.objects.get()
    assert refreshed.pk == first.pk
    assert refreshed.run_id == report.run_id != first.run_id
    assert refreshed.raw["sortName"] == "Al-Sharif, Muhammad"


def test_same_person_decision_updates_the_case_and_later_imports_match_it():
    run(OLDER)
    run(NEWER)
    user = UserFactory(is_staff=True, is_superuser=True)
    item = ReviewItem.objects.get()
    results = review_queue.reapply([item], user, mode=review_queue.MATCH)
    assert results["applied"] == 1
    item.refresh_from_db()
    assert item.decision == "same" and item.resolved_by == user
    assert Case.objects.filter(full_name__endswith="Al-Sharif").get().full_name == (
        "Muhammad Al-Sharif"
    )
    again = run(NEWER)
    assert (again.counts["new"], again.counts["updated"], again.counts["review"]) == (0, 0, 0)
    assert ReviewItem.objects.filter(resolved_at=None).count() == 0


def test_different_person_decision_creates_a_case_and_later_imports_match_both():
    run(OLDER)
    run(NEWER)
    user = UserFactory(is_staff=True, is_superuser=True)
    item = ReviewItem.objects.get()
    review_queue.reapply([item], user, mode=review_queue.NEW_CASE)
    item.refresh_from_db()
    assert item.decision == "different"
    assert Case.objects.filter(full_name__endswith="Al-Sharif").count() == 2
    again = run(NEWER)
    assert (again.counts["new"], again.counts["updated"], again.counts["review"]) == (0, 0, 0)


def test_rejected_decision_is_respected_by_later_imports():
    run(OLDER)
    run(NEWER)
    user = UserFactory(is_staff=True, is_superuser=True)
    item = ReviewItem.objects.get()
    assert review_queue.resolve([item], user) == 1
    again = run(NEWER)
    assert again.counts["rejected"] == 1 and again.counts["review"] == 0
    assert [row.name for row in again.lines("rejected")] == ["Muhammad Al-Sharif"]
    assert ReviewItem.objects.count() == 1
    assert not Case.objects.filter(full_name="Muhammad Al-Sharif").exists()


# -- 9. Column sets ------------------------------------------------------------------------------


def test_columns_are_mapped_by_header_whatever_their_order_quoting_and_line_ends():
    run(OLDER)
    spreadsheet = run(NEWER)
    assert spreadsheet.counts["unchanged"] == 7
    ana = Case.objects.get(full_name="Ana Quintero")
    assert (ana.country.code, ana.place, ana.impunity) == ("MX", "Culiacán, Sinaloa", "complete")


def test_identical_rows_waiting_for_a_country_are_two_items_and_stay_two():
    row = "2014,Ahmad,Congo\r\n"
    data = ("year,fullName,country\r\n" + row + row).encode()
    assert import_file(data, format="cpj", file_name="congo.csv").counts["review"] == 2
    import_file(data, format="cpj", file_name="congo.csv")
    assert ReviewItem.objects.count() == 2
