"""Case admin: filters, bulk actions, history, export, import with preview, the review queue."""

import csv
import datetime
import io
import re
import time
from pathlib import Path

import openpyxl
import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.importers import import_file
from cases.models import (
    Case,
    CountryAlias,
    ExternalId,
    ImportRun,
    Incident,
    Medium,
    ReviewItem,
)
from tests.factories import CaseEventFactory, CaseFactory, CaseSourceFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/cases/case/"
IMPORT = "/admin/cases/case/import/"
CONFIRM = "/admin/cases/case/import/confirm/"
HOSTILE = "<script>alert(1)</script>"


def cpj_file(rows: list[dict], name: str = "cpj.csv") -> SimpleUploadedFile:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(), content_type="text/csv")


def cpj_row(**values):
    row = {"year": "2019", "fullName": "Ana Ruiz", "country": "Colombia", "impunityMurder": ""}
    row.update(values)
    return row


def token_from(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


@pytest.fixture
def staff_without_permissions(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture
def case_viewer(client):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_case"))
    client.force_login(user)
    return client


# -- Changelist and change page --------------------------------------------------------------


def test_changelist_runs_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    CaseFactory.create_batch(3, incident=Incident.objects.create(name="Massacre"))
    admin_client.get(CHANGELIST)
    CaseFactory.create_batch(30, incident=Incident.objects.create(name="Another"))
    with django_assert_max_num_queries(25):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "country=CO",
        "year=2019",
        "impunity__exact=partial",
        "unesco_status__exact=resolved",
        "is_unresolved__exact=0",
        "gender__exact=female",
        "is_published__exact=0",
        "type_of_death__exact=crossfire",
    ],
)
def test_changelist_filters_find_the_matching_case_only(admin_client, query):
    CaseFactory(
        full_name="Other Person",
        country="MX",
        gender="male",
        date_of_death=datetime.date(2010, 1, 1),
    )
    target = {
        "country=CO": {"country": "CO"},
        "year=2019": {"year": 2019},
        "impunity__exact=partial": {"impunity": "partial"},
        "unesco_status__exact=resolved": {"unesco_status": "resolved"},
        "is_unresolved__exact=0": {"impunity": "full_justice"},
        "gender__exact=female": {"gender": "female"},
        "is_published__exact=0": {"is_published": False},
        "type_of_death__exact=crossfire": {"type_of_death": "crossfire"},
    }[query]
    CaseFactory(full_name="Wanted Person", **target)
    content = admin_client.get(f"{CHANGELIST}?{query}").content.decode()
    assert "Wanted Person" in content
    assert "Other Person" not in content


def test_changelist_filters_by_medium(admin_client):
    radio = Medium.objects.create(slug="radio", name="Radio")
    CaseFactory(full_name="Wanted Person").media.add(radio)
    CaseFactory(full_name="Other Person")
    content = admin_client.get(f"{CHANGELIST}?media__id__exact={radio.pk}").content.decode()
    assert "Wanted Person" in content and "Other Person" not in content


@pytest.mark.parametrize("term", ["Wanted", "Culiacán", "Río Doce"])
def test_changelist_search_covers_name_place_and_outlets(admin_client, term):
    CaseFactory(full_name="Wanted Person", place="Culiacán", outlets="Río Doce")
    CaseFactory(full_name="Other Person", place="Tijuana", outlets="Zeta")
    content = admin_client.get(CHANGELIST, {"q": term}).content.decode()
    assert "Wanted Person" in content and "Other Person" not in content


def test_change_page_shows_events_sources_and_read_only_external_ids(admin_client):
    case = CaseFactory()
    CaseEventFactory(case=case, description="Prosecutors open an investigation.")
    CaseSourceFactory(case=case, title="A report")
    ExternalId.objects.create(case=case, source="cpj", value="ana-ruiz:CO:2019")
    content = admin_client.get(f"{CHANGELIST}{case.pk}/change/").content.decode()
    assert "Prosecutors open an investigation." in content
    assert "A report" in content
    assert "ana-ruiz:CO:2019" in content
    assert 'name="external_ids-0-value"' not in content  # shown, not editable


def test_incident_autocomplete_answers(admin_client):
    Incident.objects.create(name="Ampatuan massacre")
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "cases", "model_name": "case", "field_name": "incident", "term": "ampa"},
    )
    assert response.json()["results"][0]["text"] == "Ampatuan massacre"


def test_hostile_text_is_escaped_on_the_changelist_and_change_page(admin_client):
    case = CaseFactory(full_name=HOSTILE, outlets=HOSTILE, place=HOSTILE)
    for url in (CHANGELIST, f"{CHANGELIST}{case.pk}/change/"):
        content = admin_client.get(url).content.decode()
        assert HOSTILE not in content
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_changelist_is_denied_to_anonymous_visitors(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# -- Bulk actions ----------------------------------------------------------------------------


def test_publish_action_publishes_and_records_history(admin_client):
    cases = CaseFactory.create_batch(2, is_published=False)
    admin_client.post(CHANGELIST, {"action": "publish", "_selected_action": [c.pk for c in cases]})
    assert Case.objects.filter(is_published=True).count() == 2
    assert LogEntry.objects.filter(action_flag=CHANGE).count() == 2


def test_unpublish_action_unpublishes(admin_client):
    case = CaseFactory(is_published=True)
    admin_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [case.pk]})
    case.refresh_from_db()
    assert case.is_published is False


def test_change_impunity_action_first_asks_for_the_new_status(admin_client):
    case = CaseFactory(impunity="complete")
    response = admin_client.post(
        CHANGELIST, {"action": "set_impunity", "_selected_action": [case.pk]}
    )
    assert response.status_code == 200
    assert 'name="impunity"' in response.content.decode()
    case.refresh_from_db()
    assert case.impunity == "complete"


def test_change_impunity_action_applies_the_status_and_the_unresolved_rule(admin_client):
    case = CaseFactory(impunity="complete", unesco_status="ongoing")
    admin_client.post(
        CHANGELIST,
        {
            "action": "set_impunity",
            "_selected_action": [case.pk],
            "impunity": "full_justice",
            "apply": "1",
        },
    )
    case.refresh_from_db()
    assert (case.impunity, case.is_unresolved) == ("full_justice", False)
    assert "Full justice" in LogEntry.objects.get().change_message


def test_change_unesco_status_action_keeps_the_cpj_status(admin_client):
    case = CaseFactory(impunity="partial", unesco_status="ongoing")
    admin_client.post(
        CHANGELIST,
        {
            "action": "set_unesco_status",
            "_selected_action": [case.pk],
            "unesco_status": "no_information",
            "apply": "1",
        },
    )
    case.refresh_from_db()
    assert (case.impunity, case.unesco_status) == ("partial", "no_information")


def test_bulk_actions_are_not_offered_to_viewers(case_viewer):
    case = CaseFactory(is_published=False)
    case_viewer.post(CHANGELIST, {"action": "publish", "_selected_action": [case.pk]})
    case.refresh_from_db()
    assert case.is_published is False


# -- Export ----------------------------------------------------------------------------------


def read_export(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_keeps_the_changelist_filters(admin_client):
    CaseFactory(full_name="Wanted Person", country="CO")
    CaseFactory(full_name="Other Person", country="MX")
    rows = read_export(admin_client.get("/admin/cases/case/export/csv/?country=CO"))
    assert [row[1] for row in rows[1:]] == ["Wanted Person"]
    assert rows[0][:3] == ["slug", "full_name", "sort_name"]


def test_csv_export_makes_formula_cells_inert(admin_client):
    CaseFactory(full_name='=HYPERLINK("http://evil.example")', outlets="+cmd", place="@SUM(1)")
    row = read_export(admin_client.get("/admin/cases/case/export/csv/"))[1]
    assert row[1] == '\'=HYPERLINK("http://evil.example")'
    assert row[11] == "'+cmd"
    assert row[14] == "'@SUM(1)"


def test_csv_export_guards_formulas_after_line_breaks_spaces_and_in_full_width(admin_client):
    CaseFactory(place="\n=1+1", outlets="\uff20SUM(1)", jobs="  -1", summary="\uff0b1")
    header, row = read_export(admin_client.get("/admin/cases/case/export/csv/"))
    record = dict(zip(header, row, strict=True))
    assert record["place"] == "'\n=1+1"
    assert record["outlets"] == "'\uff20SUM(1)"
    assert record["jobs"] == "'  -1"
    assert record["summary"] == "'\uff0b1"


def test_csv_export_columns_are_in_their_published_order(admin_client):
    response = admin_client.get("/admin/cases/case/export/csv/")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="idei-cases-' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).decode("utf-8").splitlines()[0] == (
        "\ufeffslug,full_name,sort_name,gender,nationalities,role,employment,origin,media,"
        "beats,jobs,outlets,date_of_death,country,place,type_of_death,motive_confirmed,"
        "perpetrators,threatened,captive,tortured,conflict_zone,impunity,unesco_status,"
        "resolved_on,incident,summary,last_reviewed,published,external_ids"
    )


def test_csv_export_keeps_hostile_markup_as_text(admin_client):
    CaseFactory(full_name=HOSTILE)
    row = read_export(admin_client.get("/admin/cases/case/export/csv/"))[1]
    assert row[1] == HOSTILE


def test_xlsx_export_writes_every_cell_as_text(admin_client):
    CaseFactory(full_name='=HYPERLINK("http://evil.example")')
    response = admin_client.get("/admin/cases/case/export/xlsx/")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s"
    assert cell.value == '\'=HYPERLINK("http://evil.example")'


def test_export_then_import_changes_nothing(admin_client):
    CaseFactory.create_batch(3)
    response = admin_client.get("/admin/cases/case/export/csv/")
    data = b"".join(response.streaming_content)
    report = import_file(data, format="native", file_name="export.csv")
    assert report.counts["unchanged"] == 3


def test_export_rejects_post(admin_client):
    assert admin_client.post("/admin/cases/case/export/csv/").status_code == 405


def test_export_is_denied_to_staff_without_permission(staff_without_permissions):
    assert staff_without_permissions.get("/admin/cases/case/export/csv/").status_code == 403


def test_export_redirects_anonymous_visitors_to_login(client, preview, confirm):
    response = client.get("/admin/cases/case/export/csv/")
    assert response.status_code == 302


# -- Import: upload, preview, confirm ----------------------------------------------------------


@pytest.fixture
def preview(django_capture_on_commit_callbacks, settings, tmp_path):
    """Upload, let the preview task run (inline here), and follow to the preview page."""
    settings.PRIVATE_FILES_ROOT = tmp_path  # where uploads wait for their confirmation

    def upload(client, rows, **options):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                IMPORT, {"file": cpj_file(rows), "format": "cpj", "publish": "", **options}
            )
        assert response.status_code == 302, response.content
        return client.get(response["Location"])

    return upload


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    """Confirm, let the import task run (inline here), and follow to where the job leads."""

    def post(client, token):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(CONFIRM, {"token": token})
        if response.status_code == 302 and "/import/job/" in response["Location"]:
            return client.get(response["Location"])
        return response

    return post


def test_import_preview_shows_what_will_change_and_writes_nothing(admin_client, preview):
    CaseFactory(full_name="Ana Ruiz", country="CO", impunity="complete")
    ExternalId.objects.create(case=Case.objects.get(), source="cpj", value="ana-ruiz:CO:")
    response = preview(
        admin_client,
        [
            cpj_row(impunityMurder="Partial Impunity", year=str(Case.objects.get().year)),
            cpj_row(fullName="New Person"),
            cpj_row(fullName="Somebody", country="Korea"),
            cpj_row(fullName="Broken", year="20x9"),
        ],
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Partial impunity" in content
    assert "New Person" in content
    assert "Korea" in content
    assert "20x9" in content
    assert Case.objects.count() == 1
    assert ImportRun.objects.count() == 0 and ReviewItem.objects.count() == 0


def test_import_confirm_applies_the_previewed_file(admin_client, preview, confirm):
    response = preview(admin_client, [cpj_row(), cpj_row(fullName="Other Person")])
    response = confirm(admin_client, token_from(response))
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cases_importrun_change", args=[run.pk])
    assert Case.objects.count() == 2
    assert run.started_by.is_superuser


def test_import_confirm_twice_applies_once(admin_client, preview, confirm):
    token = token_from(preview(admin_client, [cpj_row()]))
    confirm(admin_client, token)
    response = confirm(admin_client, token)
    assert response.status_code == 302
    assert ImportRun.objects.count() == 1


def test_import_confirm_with_a_tampered_token_writes_nothing(admin_client, preview):
    token = token_from(preview(admin_client, [cpj_row()]))
    response = admin_client.post(CONFIRM, {"token": token[:-2] + "xx"})
    assert response.status_code == 302
    assert Case.objects.count() == 0


def test_import_confirm_refuses_a_token_made_for_another_user(admin_client, client, preview):
    token = token_from(preview(admin_client, [cpj_row()]))
    other = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(other)
    client.post(CONFIRM, {"token": token})
    assert Case.objects.count() == 0


def test_import_confirm_rejects_get(admin_client):
    assert admin_client.get(CONFIRM).status_code == 405


def test_import_rejects_other_methods(admin_client):
    assert admin_client.put(IMPORT).status_code == 405


def test_import_is_denied_to_staff_without_permission(staff_without_permissions):
    assert staff_without_permissions.get(IMPORT).status_code == 403
    assert staff_without_permissions.post(CONFIRM, {"token": "x"}).status_code == 403


def test_import_redirects_anonymous_visitors_to_login(client):
    assert client.post(CONFIRM, {"token": "x"}).status_code == 302
    assert Case.objects.count() == 0


def test_import_of_a_bad_file_says_why_and_writes_nothing(admin_client):
    upload = SimpleUploadedFile(
        "cases.csv", "year,fullName,country\n2019,Jos\xe9,MX\n".encode("latin-1")
    )
    response = admin_client.post(IMPORT, {"file": upload, "format": "cpj"})
    assert "not UTF-8" in response.content.decode()
    assert Case.objects.count() == 0 and ImportRun.objects.count() == 0


def test_import_preview_escapes_hostile_values(admin_client, preview):
    response = preview(admin_client, [cpj_row(fullName=HOSTILE), cpj_row(country=HOSTILE)])
    content = response.content.decode()
    assert HOSTILE not in content
    assert "&lt;script&gt;" in content


def test_import_run_report_page_escapes_hostile_names_and_links_cases(admin_client):
    import_file(cpj_file([cpj_row(fullName=HOSTILE)]).read(), format="cpj", file_name=HOSTILE)
    run = ImportRun.objects.get()
    content = admin_client.get(f"/admin/cases/importrun/{run.pk}/change/").content.decode()
    assert HOSTILE not in content
    assert f"/admin/cases/case/{Case.objects.get().pk}/change/" in content


def test_import_history_shows_on_the_case_history_page(admin_client, preview, confirm):
    token = token_from(preview(admin_client, [cpj_row()]))
    confirm(admin_client, token)
    case = Case.objects.get()
    content = admin_client.get(f"{CHANGELIST}{case.pk}/history/").content.decode()
    assert "cpj.csv" in content


# -- Review queue and aliases ----------------------------------------------------------------


def queue_row(**values):
    import_file(cpj_file([cpj_row(**values)]).read(), format="cpj", file_name="cpj.csv")
    return ReviewItem.objects.get()


def test_choosing_a_country_imports_the_waiting_row_and_remembers_the_alias(admin_client):
    item = queue_row(country="Korea")
    admin_client.post(
        "/admin/cases/reviewitem/",
        {
            "action": "decide_country",
            "_selected_action": [item.pk],
            "country": "KR",
            "remember": "on",
            "apply": "1",
        },
    )
    item.refresh_from_db()
    assert Case.objects.get().country.code == "KR"
    assert item.resolved_at is not None
    assert CountryAlias.objects.get(name="korea").country.code == "KR"


def test_choosing_a_country_for_one_row_does_not_set_an_alias(admin_client):
    item = queue_row(country="Yugoslavia")
    admin_client.post(
        "/admin/cases/reviewitem/",
        {"action": "decide_country", "_selected_action": [item.pk], "country": "BA", "apply": "1"},
    )
    assert Case.objects.get().country.code == "BA"
    assert not CountryAlias.objects.get(name="yugoslavia").country


def test_import_again_after_setting_an_alias_imports_the_row(admin_client):
    item = queue_row(country="Congo")
    CountryAlias.objects.filter(name="congo").update(country="CG")
    admin_client.post(
        "/admin/cases/reviewitem/", {"action": "reapply", "_selected_action": [item.pk]}
    )
    assert Case.objects.get().country.code == "CG"


def test_marking_an_item_decided_imports_nothing(admin_client):
    item = queue_row(country="Atlantis")
    admin_client.post(
        "/admin/cases/reviewitem/", {"action": "resolve", "_selected_action": [item.pk]}
    )
    item.refresh_from_db()
    assert item.resolved_at is not None and Case.objects.count() == 0


def test_applying_a_corrected_name_updates_the_suggested_case(admin_client):
    import_file(
        cpj_file(
            [cpj_row(fullName="Jon Smith", startDisplay="March 2, 2019", organizations="X")]
        ).read(),
        format="cpj",
        file_name="a.csv",
    )
    import_file(
        cpj_file(
            [cpj_row(fullName="John Smith", startDisplay="March 2, 2019", organizations="X")]
        ).read(),
        format="cpj",
        file_name="b.csv",
    )
    item = ReviewItem.objects.get(kind="possible_duplicate")
    admin_client.post(
        "/admin/cases/reviewitem/",
        {"action": "apply_to_suggested_case", "_selected_action": [item.pk]},
    )
    assert list(Case.objects.values_list("full_name", flat=True)) == ["John Smith"]


def test_review_item_page_escapes_the_hostile_row(admin_client):
    item = queue_row(country=HOSTILE, fullName=HOSTILE)
    content = admin_client.get(f"/admin/cases/reviewitem/{item.pk}/change/").content.decode()
    assert HOSTILE not in content


def test_country_alias_list_is_editable_in_place(admin_client):
    CountryAlias.objects.create(name="Ivory Coast", country="CI")
    content = admin_client.get("/admin/cases/countryalias/").content.decode()
    assert 'name="form-0-country"' in content


# -- Import as a Celery task, with a progress page ------------------------------------------


def job_id_of(response) -> str:
    return re.search(r"/import/job/([0-9a-f]{32})/", response["Location"]).group(1)


def test_upload_answers_at_once_with_a_progress_page_while_the_task_waits(
    admin_client, settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path
    response = admin_client.post(IMPORT, {"file": cpj_file([cpj_row()]), "format": "cpj"})
    page = admin_client.get(response["Location"])
    content = page.content.decode()
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in content
    assert 'role="status"' in content and "Waiting for a worker" in content
    assert Case.objects.count() == 0


def test_progress_page_shows_rows_done_of_total(admin_client, admin_user, settings, tmp_path):
    from cases import import_jobs

    settings.PRIVATE_FILES_ROOT = tmp_path
    response = admin_client.post(IMPORT, {"file": cpj_file([cpj_row()]), "format": "cpj"})
    job_id = job_id_of(response)
    job = import_jobs.job_for(job_id, admin_user)
    import_jobs.update(job_id, job, state="running", stage="checking", done=5000, total=20000)
    content = admin_client.get(response["Location"]).content.decode()
    assert "5000 of 20000 rows" in content
    assert '<progress id="import-progress" max="20000" value="5000">' in content


def test_a_job_is_seen_only_by_the_user_who_started_it(admin_client, client, settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path
    response = admin_client.post(IMPORT, {"file": cpj_file([cpj_row()]), "format": "cpj"})
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(response["Location"]).status_code == 404
    assert admin_client.get("/admin/cases/case/import/job/not-a-job/").status_code == 404
    assert admin_client.post(response["Location"]).status_code == 405


def test_preview_lists_warnings_by_column_and_value(admin_client, preview):
    content = preview(admin_client, [cpj_row(employedAs="Contractor")]).content.decode()
    assert "Warnings by column and value" in content
    assert "employedAs" in content and "Contractor" in content


@pytest.mark.django_db(transaction=True)
def test_admin_import_runs_on_a_real_worker_and_ends_on_the_import_report(
    celery_worker, settings, tmp_path
):
    from django.test import Client

    settings.PRIVATE_FILES_ROOT = tmp_path
    admin = UserFactory(username="importer", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    data = (Path(__file__).parent / "data" / "cpj-killed-2024-11-02.csv").read_bytes()
    upload = SimpleUploadedFile("cpj-killed-2024-11-02.csv", data)
    response = client.post(IMPORT, {"file": upload, "format": "cpj"})
    preview_page = wait_for_job(client, response["Location"])
    assert preview_page.status_code == 200
    assert "Preview of the import" in preview_page.content.decode()
    assert Case.objects.count() == 0
    response = client.post(CONFIRM, {"token": token_from(preview_page)})
    report = wait_for_job(client, response["Location"])
    run = ImportRun.objects.get()
    assert report.status_code == 302
    assert report["Location"] == reverse("admin:cases_importrun_change", args=[run.pk])
    assert run.counts["new"] == 9 and run.counts["error"] == 1
    page = client.get(report["Location"]).content.decode()
    assert "Contractor" in page and "Pedro Salas" in page


def wait_for_job(client, url, attempts: int = 150):
    """The job page until it is no longer the progress page (bounded: about 30 s)."""
    for _attempt in range(attempts):
        response = client.get(url)
        if 'http-equiv="refresh"' not in response.content.decode():
            return response
        time.sleep(0.2)
    raise AssertionError("the import job did not finish")


def test_judicial_status_is_in_words_not_a_green_tick(admin_client):
    CaseFactory(full_name="Open Case", impunity=Case.Impunity.COMPLETE)
    CaseFactory(full_name="Closed Case", impunity=Case.Impunity.FULL_JUSTICE)

    html = admin_client.get("/admin/cases/case/").content.decode()

    assert "Judicial status" in html
    assert '<td class="field-judicial_status">Unresolved</td>' in html
    assert '<td class="field-judicial_status">Justice done</td>' in html
    assert "field-is_unresolved" not in html


def test_change_page_shows_the_status_in_words_and_compact_event_fields(admin_client):
    case = CaseFactory(impunity=Case.Impunity.COMPLETE)
    CaseEventFactory(case=case, description="Arrest of a suspect.")

    html = admin_client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()

    assert "Unresolved" in html
    assert 'rows="3"' in html and 'cols="36"' in html  # the event's description
