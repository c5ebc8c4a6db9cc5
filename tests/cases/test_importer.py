"""The case importer: CPJ, UNESCO and native files, real-world mess, bad files, re-imports."""

import csv
import datetime
import importlib.util
import io
from collections import Counter
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError

from cases.importers import ImportRefused, import_file
from cases.importers.native import export_rows
from cases.models import (
    Case,
    CountryAlias,
    ExternalId,
    ImportRun,
    Medium,
    Perpetrator,
    ReviewItem,
    ValueAlias,
    case_slug_base,
    unique_case_slug,
)
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

GENERATOR = Path(__file__).resolve().parents[2] / "bench" / "data" / "cpj_generator.py"
HOSTILE = [
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "Name\r\nSet-Cookie: x=1",
]


@cache
def generator():
    spec = importlib.util.spec_from_file_location("cpj_generator", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def generated(rows: int = 2500, seed: int = 7):
    export = generator().generate_cpj_export(rows, seed)
    return export, generator().newer_export(export, seed + 1)


def cpj_row(**values) -> dict[str, str]:
    row = {
        "year": "2019",
        "fullName": "María López",
        "country": "Mexico",
        "startDisplay": "March 2, 2019",
        "gender": "Female",
        "type": "Journalist",
        "typeOfDeath": "Murder",
        "status": "Killed",
        "impunityMurder": "Complete Impunity",
        "mediums": "Print",
        "organizations": "El Diario",
    }
    row.update(values)
    return row


def to_csv(rows: list[dict], columns: list[str] | None = None) -> bytes:
    columns = columns or list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def run(data: bytes, format: str = "cpj", **options):
    return import_file(data, format=format, file_name="test.csv", **options)


def nothing_written():
    return (
        Case.objects.count() == 0
        and ImportRun.objects.count() == 0
        and ReviewItem.objects.count() == 0
        and CountryAlias.objects.count() == 0
        and Medium.objects.count() == 0
    )


# -- A generated export, imported twice ------------------------------------------------------


def test_generated_export_first_import_gives_the_expected_new_review_and_error_rows():
    export, _newer = generated()
    report = run(generator().csv_bytes(export.rows))
    expected = export.counts()
    assert report.counts["new"] == expected["new"]
    assert report.counts["review"] == expected["review"]
    assert report.counts["error"] == expected["error"]
    assert report.counts["updated"] == report.counts["unchanged"] == 0
    assert Case.objects.count() == expected["new"]


def test_generated_newer_export_gives_the_expected_updates_news_unchanged_and_reviews():
    export, newer = generated()
    run(generator().csv_bytes(export.rows))
    report = run(generator().csv_bytes(newer.rows))
    assert {k: report.counts[k] for k in newer.counts()} == newer.counts()
    assert Case.objects.count() == export.counts()["new"] + newer.counts()["new"]


def test_reimport_reports_each_outcome_on_the_line_where_the_generator_put_it():
    export, newer = generated()
    run(generator().csv_bytes(export.rows))
    report = run(generator().csv_bytes(newer.rows))
    by_line = {row.line: row.outcome for row in report.rows}
    expected = {index + 2: outcome for index, outcome in enumerate(newer.expected) if outcome}
    assert by_line == expected


def test_reimport_updates_the_impunity_status_and_says_which_field_changed():
    export, newer = generated()
    run(generator().csv_bytes(export.rows))
    report = run(generator().csv_bytes(newer.rows))
    line = newer.status_changed[0] + 2
    row = next(r for r in report.rows if r.line == line)
    assert row.outcome == "updated"
    assert [change["field"] for change in row.changes] == ["impunity"]
    assert Case.objects.get(pk=row.case_id).impunity in {"partial", "full_justice"}


def test_reimport_with_a_name_corrected_in_case_and_spacing_updates_the_same_case():
    export, newer = generated()
    first = run(generator().csv_bytes(export.rows))
    line = newer.respaced_name + 2
    case_id = next(r.case_id for r in first.rows if r.line == line)
    run(generator().csv_bytes(newer.rows))
    assert Case.objects.get(pk=case_id).full_name == " ".join(
        newer.rows[newer.respaced_name]["fullName"].split()
    )


def test_reimport_with_a_name_corrected_in_spelling_waits_for_review_linked_to_the_old_case():
    export, newer = generated()
    first = run(generator().csv_bytes(export.rows))
    old_case = next(r.case_id for r in first.rows if r.line == newer.renamed + 2)
    run(generator().csv_bytes(newer.rows))
    item = ReviewItem.objects.get(kind=ReviewItem.Kind.POSSIBLE_DUPLICATE)
    assert item.case_id == old_case
    assert item.line == newer.renamed + 2


def test_reimport_does_not_queue_the_same_country_question_twice():
    export, newer = generated()
    run(generator().csv_bytes(export.rows))
    queued = ReviewItem.objects.count()
    run(generator().csv_bytes(newer.rows))
    assert ReviewItem.objects.count() == queued + 1  # only the renamed case is new


def test_importing_the_same_file_twice_leaves_every_case_unchanged():
    export, _newer = generated()
    data = generator().csv_bytes(export.rows)
    run(data)
    report = run(data)
    assert report.counts["unchanged"] == export.counts()["new"]
    assert report.counts["new"] == report.counts["updated"] == 0


def test_import_run_records_counts_and_the_report_without_unchanged_rows():
    export, newer = generated()
    run(generator().csv_bytes(export.rows))
    report = run(generator().csv_bytes(newer.rows))
    stored = ImportRun.objects.get(pk=report.run_id)
    assert stored.counts["updated"] == newer.counts()["updated"]
    assert {line["outcome"] for line in stored.report} == {"new", "updated", "review", "error"}


# -- Real-world mess -------------------------------------------------------------------------


def test_year_only_date_is_stored_as_first_of_january_with_year_precision():
    run(to_csv([cpj_row(startDisplay="", year="2004")]))
    case = Case.objects.get()
    assert (case.date_of_death, case.date_precision, case.year) == (
        datetime.date(2004, 1, 1),
        "year",
        2004,
    )


def test_month_only_date_keeps_month_precision():
    run(to_csv([cpj_row(startDisplay="March 2019")]))
    case = Case.objects.get()
    assert (case.date_of_death, case.date_precision) == (datetime.date(2019, 3, 1), "month")


def test_cpj_file_without_a_date_column_uses_the_year():
    run(to_csv([cpj_row()], ["year", "fullName", "country"]))
    assert Case.objects.get().date_precision == "year"


def test_stray_spaces_in_names_are_removed():
    run(to_csv([cpj_row(fullName="  María   López \t")]))
    assert Case.objects.get().full_name == "María López"


def test_multi_valued_cells_split_on_commas_with_or_without_space_and_ignore_trailing_ones():
    run(to_csv([cpj_row(mediums="Print,Internet, radio,", organizations="A, B,,")]))
    case = Case.objects.get()
    assert sorted(m.slug for m in case.media.all()) == ["online", "print", "radio"]
    assert case.outlets == "A, B"


def test_slashes_and_semicolons_never_split_a_value():
    outlet = "Radio Free Europe/Radio Liberty"
    run(to_csv([cpj_row(jobs="Columnist/Commentator,Publisher/Owner", organizations=outlet)]))
    case = Case.objects.get()
    assert case.jobs == "Columnist/Commentator, Publisher/Owner"
    assert case.outlets == outlet


def test_case_variants_of_one_value_become_one_vocabulary_term():
    rows = [
        cpj_row(fullName="A One", sourcesOfFire="Criminal Group"),
        cpj_row(fullName="B Two", sourcesOfFire="criminal group"),
        cpj_row(fullName="C Three", sourcesOfFire="CRIMINAL GROUP"),
    ]
    run(to_csv(rows))
    assert Perpetrator.objects.count() == 1
    assert Case.objects.filter(perpetrators__slug="criminal-group").count() == 3


def test_case_variants_of_choice_values_are_understood():
    run(to_csv([cpj_row(gender="FEMALE", typeOfDeath="murder", impunityMurder="partial impunity")]))
    case = Case.objects.get()
    assert (case.gender, case.type_of_death, case.impunity) == ("female", "murder", "partial")


def test_blank_rows_are_skipped_and_counted():
    data = to_csv([cpj_row(), dict.fromkeys(cpj_row(), ""), cpj_row(fullName="Other Person")])
    report = run(data + b",,,,,,,,,,\r\n")
    assert report.counts["new"] == 2
    assert report.counts["blank"] == 2


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("UK", "GB"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("Ivory Coast", "CI"),
        ("East Timor", "TL"),
        ("Bosnia", "BA"),
        ("Republic of Congo", "CG"),
        ("DR Congo", "CD"),
        ("Democratic Republic of the Congo", "CD"),
        ("  mexico ", "MX"),
        ("MEX", "MX"),
    ],
)
def test_country_names_that_are_not_iso_names_resolve(written, code):
    run(to_csv([cpj_row(country=written)]))
    assert Case.objects.get().country.code == code


@pytest.mark.parametrize(
    "written", ["Congo", "Korea", "Yugoslavia", "USSR", "Serbia and Montenegro", "Atlantis"]
)
def test_ambiguous_former_and_unknown_countries_wait_in_the_review_queue(written):
    report = run(to_csv([cpj_row(country=written)]))
    assert report.counts["review"] == 1
    assert Case.objects.count() == 0
    item = ReviewItem.objects.get()
    assert item.raw["country"] == written
    assert not CountryAlias.objects.get().country  # waits for an admin's decision


def test_the_review_queue_keeps_the_row_without_its_photo():
    run(to_csv([cpj_row(country="Korea", photoUrl="https://cpj.org/p.jpg", photoCredit="AP")]))
    raw = ReviewItem.objects.get().raw
    assert "photoUrl" not in raw and "photoCredit" not in raw
    assert raw["fullName"] == "María López"


def test_an_alias_set_by_an_admin_resolves_the_name_in_the_next_import():
    CountryAlias.objects.create(name="Yugoslavia", country="RS")
    run(to_csv([cpj_row(country="Yugoslavia")]))
    assert Case.objects.get().country.code == "RS"


def test_two_people_with_the_same_name_country_and_year_become_two_cases():
    rows = [
        cpj_row(startDisplay="March 2, 2019", organizations="El Diario"),
        cpj_row(startDisplay="July 9, 2019", organizations="La Voz"),
    ]
    run(to_csv(rows))
    report = run(to_csv(rows))
    assert Case.objects.count() == 2
    assert report.counts["unchanged"] == 2


def test_another_person_on_the_same_day_and_outlet_is_not_taken_for_a_renamed_case():
    run(to_csv([cpj_row(fullName="Ana Ruiz")]))
    report = run(to_csv([cpj_row(fullName="Pedro Salcedo")]))
    assert report.counts["new"] == 1


def test_a_namesake_appearing_later_is_a_new_case_and_the_first_stays_matched():
    run(to_csv([cpj_row(startDisplay="March 2, 2019")]))
    report = run(
        to_csv([cpj_row(startDisplay="March 2, 2019"), cpj_row(startDisplay="July 9, 2019")])
    )
    assert [r.outcome for r in report.sorted_rows()] == ["unchanged", "new"]
    assert ExternalId.objects.count() == 3  # the first case now also has its longer key


def test_photo_columns_and_unknown_columns_are_ignored():
    row = cpj_row(photoUrl="https://cpj.org/photo.jpg", photoCredit="AP", mtpage="x", whatever="y")
    report = run(to_csv([row]))
    assert report.counts["new"] == 1
    assert "cpj.org/photo" not in str(Case.objects.values().get())


def test_a_file_with_only_the_required_columns_imports():
    report = run(to_csv([cpj_row()], ["year", "fullName", "country"]))
    assert report.counts["new"] == 1


def test_a_missing_optional_column_leaves_that_field_alone_on_update():
    run(to_csv([cpj_row(impunityMurder="Partial Impunity")]))
    run(to_csv([cpj_row()], ["year", "fullName", "country", "startDisplay"]))
    assert Case.objects.get().impunity == "partial"


def test_a_year_only_date_does_not_overwrite_an_exact_date_of_that_year():
    run(to_csv([cpj_row(startDisplay="March 2, 2019")]))
    report = run(to_csv([cpj_row(startDisplay="")]))
    assert report.counts["unchanged"] == 1
    assert Case.objects.get().date_of_death == datetime.date(2019, 3, 2)


def test_only_rows_without_a_name_or_year_are_errors_and_unknown_values_are_warnings():
    rows = [
        cpj_row(fullName="Good One"),
        cpj_row(fullName="Bad Year", year="20x9"),
        cpj_row(fullName="Bad Gender", gender="Mle"),
        cpj_row(fullName="", year="2019"),
        cpj_row(fullName="Bad Date", startDisplay="Smarch 40, 2019"),
        cpj_row(fullName="Good Two"),
    ]
    report = run(to_csv(rows))
    errors = {row.line: row.message for row in report.lines("error")}
    assert sorted(errors) == [3, 5]
    assert "20x9" in errors[3]
    assert "fullName" in errors[5]
    assert Case.objects.count() == 4
    assert Case.objects.get(full_name="Bad Gender").raw_values == {"gender": "Mle"}
    assert Case.objects.get(full_name="Bad Date").date_precision == "year"
    warned = {(w["column"], w["value"]): w["lines"] for w in report.warnings}
    assert warned == {("gender", "Mle"): [4], ("startDisplay", "Smarch 40, 2019"): [6]}


def test_the_same_row_twice_in_a_file_is_two_people():
    report = run(to_csv([cpj_row(), cpj_row()]))
    assert report.counts["new"] == 2
    assert report.counts["error"] == 0


def test_a_record_that_is_not_a_killing_is_refused_as_a_row_error():
    report = run(to_csv([cpj_row(status="Imprisoned")]))
    assert "Imprisoned" in report.lines("error")[0].message


# -- Both justice vocabularies kept ----------------------------------------------------------


def unesco_csv(**values) -> bytes:
    row = {
        "name": "María López",
        "country_code": "MX",
        "date": "2019-03-02",
        "gender": "F",
        "enquiry_status": "Ongoing",
        "staff": "Staff",
        "local": "Local",
        "conflict_zone": "No",
        "media": "Print, Radio",
        "date_of_resolution": "",
    }
    row.update(values)
    return to_csv([row])


def test_unesco_import_reads_every_documented_column():
    run(unesco_csv(enquiry_status="Resolved", date_of_resolution="15/06/2022"), "unesco")
    case = Case.objects.get()
    assert case.unesco_status == "resolved"
    assert case.resolved_on == datetime.date(2022, 6, 15)
    assert (case.gender, case.employment, case.origin, case.conflict_zone) == (
        "female",
        "staff",
        "local",
        False,
    )
    assert sorted(m.slug for m in case.media.all()) == ["print", "radio"]
    assert case.is_unresolved is False


def test_unesco_import_of_a_cpj_case_keeps_the_cpj_impunity_status():
    run(to_csv([cpj_row(impunityMurder="Partial Impunity")]))
    run(unesco_csv(enquiry_status="No information received"), "unesco")
    case = Case.objects.get()
    assert (case.impunity, case.unesco_status) == ("partial", "no_information")


def test_cpj_reimport_keeps_the_unesco_status():
    run(unesco_csv(enquiry_status="Killer(s) identified"), "unesco")
    run(to_csv([cpj_row(impunityMurder="Complete Impunity")]))
    case = Case.objects.get()
    assert (case.impunity, case.unesco_status) == ("complete", "killers_identified")


def test_unesco_rows_with_an_id_are_matched_by_it_on_reimport():
    run(unesco_csv(id="U-17"), "unesco")
    run(unesco_csv(id="U-17", name="Maria Lopes"), "unesco")
    assert Case.objects.get().full_name == "Maria Lopes"


# -- Bad files: refused, nothing written -----------------------------------------------------


def test_a_file_that_is_not_utf8_is_refused_with_a_clear_message():
    data = to_csv([cpj_row()]).decode().encode("latin-1")
    with pytest.raises(ImportRefused, match="not UTF-8"):
        run(data)
    assert nothing_written()


def test_utf8_with_a_bom_is_read():
    run(b"\xef\xbb\xbf" + to_csv([cpj_row()]))
    assert Case.objects.get().full_name == "María López"


def test_utf16_with_a_bom_is_read():
    run(to_csv([cpj_row()]).decode().encode("utf-16"))
    assert Case.objects.get().full_name == "María López"


def test_semicolon_separated_csv_is_read():
    run(to_csv([cpj_row(startDisplay="2019-03-02")]).decode().replace(",", ";").encode())
    assert Case.objects.get().country.code == "MX"


def test_a_file_without_the_required_columns_is_refused():
    with pytest.raises(ImportRefused, match="missing fullName"):
        run(to_csv([{"year": "2019", "name": "x", "country": "MX"}], ["year", "nom", "country"]))
    assert nothing_written()


def test_a_unesco_file_given_as_cpj_is_refused_as_the_wrong_format():
    with pytest.raises(ImportRefused, match="right format"):
        run(unesco_csv())
    assert nothing_written()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "an image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "PDF"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
        (b"PK\x03\x04not really a zip", "XLSX"),
        (b"year,fullName,country\n2019,\x00\x01,MX\n", "binary"),
        (b"   \n\n", "empty"),
        (b'year,fullName,country\n2019,"Maria "Lopez"" x,MX\n', "not a readable CSV"),
    ],
)
def test_a_file_that_is_not_a_csv_is_refused_with_a_clear_message(data, message):
    with pytest.raises(ImportRefused, match=message):
        run(data)
    assert nothing_written()


def test_an_oversized_file_is_refused_before_it_is_read():
    data = to_csv([cpj_row()]) + b" " * (50 * 1024 * 1024)
    with pytest.raises(ImportRefused, match="too large"):
        run(data)
    assert nothing_written()


def test_a_refused_file_leaves_existing_cases_untouched():
    case = CaseFactory(full_name="María López", impunity="complete")
    with pytest.raises(ImportRefused):
        run(to_csv([cpj_row(impunityMurder="Full Justice")]).replace(b"Mar", b"M\xe9r"))
    case.refresh_from_db()
    assert case.impunity == "complete"


# -- Hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_every_cpj_field_is_stored_as_plain_text(hostile):
    fields = ["fullName", "sortName", "organizations", "jobs", "location"]
    row = cpj_row(**dict.fromkeys(fields, hostile))
    run(to_csv([row]))
    case = Case.objects.get()
    flat = " ".join(hostile.split())
    assert case.full_name == flat
    assert case.sort_name == flat
    assert case.place == flat
    assert "\n" not in case.full_name and "\r" not in case.outlets


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_vocabulary_and_choice_cells_is_kept_as_plain_text_with_a_warning(
    hostile,
):
    report = run(to_csv([cpj_row(mediums=hostile, gender=hostile)]))
    assert report.counts["error"] == 0
    case = Case.objects.get()
    assert case.gender == "unknown"
    assert case.raw_values["gender"] == " ".join(hostile.split())
    assert [w["column"] for w in report.warnings] == ["gender"]


def test_hostile_country_name_goes_to_review_as_plain_text():
    run(to_csv([cpj_row(country="<script>alert(1)</script>")]))
    assert ReviewItem.objects.get().raw["country"] == "<script>alert(1)</script>"


# -- Dry run ---------------------------------------------------------------------------------


def test_dry_run_reports_what_would_happen_and_writes_nothing():
    rows = [cpj_row(), cpj_row(fullName="X", country="Congo"), cpj_row(fullName="Y", year="x")]
    report = run(to_csv(rows), dry_run=True)
    assert (report.counts["new"], report.counts["review"], report.counts["error"]) == (1, 1, 1)
    assert report.run_id is None
    assert nothing_written()


def test_dry_run_of_a_reimport_shows_changes_but_keeps_the_old_values():
    run(to_csv([cpj_row()]))
    report = run(to_csv([cpj_row(impunityMurder="Full Justice")]), dry_run=True)
    assert report.lines("updated")[0].changes[0]["new"] == "Full justice"
    assert Case.objects.get().impunity == "complete"
    assert ImportRun.objects.count() == 1


# -- Publishing, history, slugs --------------------------------------------------------------


def test_imported_cases_wait_unpublished_unless_publish_is_asked():
    run(to_csv([cpj_row()]))
    run(to_csv([cpj_row(fullName="Other")]), publish=True)
    assert dict(Case.objects.values_list("full_name", "is_published")) == {
        "María López": False,
        "Other": True,
    }


def test_changes_are_written_to_the_admin_history_of_each_case_with_the_user():
    user = UserFactory()
    run(to_csv([cpj_row()]), user=user)
    run(to_csv([cpj_row(impunityMurder="Full Justice")]), user=user)
    entry = LogEntry.objects.filter(action_flag=CHANGE).get()
    assert entry.user == user
    assert "Complete impunity" in entry.change_message and "Full justice" in entry.change_message
    assert entry.object_id == str(Case.objects.get().pk)


def test_new_case_slugs_follow_the_model_rule_and_stay_unique():
    CaseFactory(full_name="María López", date_of_death=datetime.date(2019, 5, 5), country="CO")
    expected = unique_case_slug("María López", 2019)
    run(to_csv([cpj_row(startDisplay="")]))
    assert Case.objects.filter(slug=expected).exists()
    assert case_slug_base("María López", 2019) == "maria-lopez-2019"


def test_new_cases_get_the_unresolved_flag_of_the_model_rule():
    run(to_csv([cpj_row(impunityMurder="Full Justice"), cpj_row(fullName="Other")]))
    assert dict(Case.objects.values_list("full_name", "is_unresolved")) == {
        "María López": False,
        "Other": True,
    }


# -- Native format: the admin's export, imported back ----------------------------------------


def native_export() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(export_rows(Case.objects.order_by("pk")))
    return buffer.getvalue().encode()


def test_native_export_imports_back_unchanged():
    run(to_csv([cpj_row(), cpj_row(fullName="=HYPERLINK(1)", sourcesOfFire="Criminal Group")]))
    report = run(native_export(), "native")
    assert report.counts["unchanged"] == 2
    assert report.counts["new"] == 0


def test_native_import_applies_an_edited_export():
    run(to_csv([cpj_row()]))
    data = native_export().replace(b",complete,", b",partial,")
    report = run(data, "native")
    assert report.counts["updated"] == 1
    assert Case.objects.get().impunity == "partial"


def test_native_import_creates_a_case_with_its_slug_when_free():
    data = to_csv(
        [
            {
                "slug": "ana-ruiz-2001",
                "full_name": "Ana Ruiz",
                "country": "CO",
                "date_of_death": "2001",
            }
        ]
    )
    run(data, "native")
    assert Case.objects.get().slug == "ana-ruiz-2001"


def test_native_export_neutralises_formula_cells():
    run(to_csv([cpj_row(fullName="=HYPERLINK(1)", organizations="@SUM(1)")]))
    rows = list(export_rows(Case.objects.all()))
    assert rows[1][1] == "'=HYPERLINK(1)"
    assert rows[1][11] == "'@SUM(1)"


def test_xlsx_workbook_imports_like_csv_and_formulas_stay_text():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["year", "fullName", "country", "organizations"])
    sheet.append([2019, '=HYPERLINK("http://x","y")', "Colombia", "El Tiempo"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    run(buffer.getvalue())
    case = Case.objects.get()
    assert (case.full_name, case.outlets) == ('=HYPERLINK("http://x","y")', "El Tiempo")


def test_generated_export_has_the_rows_real_exports_have():
    export, newer = generated()
    rows = export.rows
    deaths = {row["typeOfDeath"] for row in rows}
    assert {"N/A", "Unknown"} <= deaths
    assert any(rows[i] == rows[i + 1] and rows[i]["fullName"] for i in range(len(rows) - 1))
    assert any(not row["fullName"] and row["gender"] for row in rows)  # stray-value blank rows
    assert any("/" in row["organizations"] or "/" in row["jobs"] for row in rows)
    assert not any(sep in row["mediums"] for row in rows for sep in (";", "|", " / "))
    assert any(row["employedAs"] in ("Contractor", "Stringer") for row in rows)
    assert newer.rows[newer.renamed]["fullName"] != export.rows[newer.renamed]["fullName"]


def test_generated_identical_rows_become_one_case_each_and_unknown_values_warn():
    export, _newer = generated()
    report = run(generator().csv_bytes(export.rows))
    identical = Counter(
        (row["fullName"], row["country"], row["year"])
        for row, outcome in zip(export.rows, export.expected, strict=True)
        if outcome == "new" and row["fullName"] in generator().SINGLE_NAMES
    )
    codes = {written: code for written, code, *_rest in generator().COUNTRIES}
    assert identical
    for (name, country, year), copies in identical.items():
        cases = Case.objects.filter(full_name=name, country=codes[country], year=int(year))
        assert cases.count() == copies
    assert {w["value"] for w in report.warnings if w["kind"] == "unknown"} >= {"Contractor"}
    assert any(w["kind"] == "stray" for w in report.warnings)


def test_a_value_alias_maps_a_job_spelling_to_the_one_kept():
    ValueAlias.objects.create(field="jobs", name="Cameraman", value="Camera Operator")
    run(to_csv([cpj_row(jobs="cameraman, Editor,")]))
    assert Case.objects.get().jobs == "Camera Operator, Editor"


def test_a_value_alias_with_a_code_that_is_not_a_choice_is_refused_by_the_admin_form():
    alias = ValueAlias(field="employment", name="Stringer", value="stringer")
    with pytest.raises(ValidationError, match="Use one of the codes"):
        alias.full_clean()
