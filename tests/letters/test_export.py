"""Exporting a campaign's signatures as CSV: confirmation first, consented fields only, recorded."""

import csv
import io
import tracemalloc

import pytest
from django.conf import settings
from django.core.signals import request_finished
from django.db import close_old_connections
from django.shortcuts import resolve_url
from django.test import RequestFactory
from django.utils import timezone

from campaigns.models import Membership
from letters.dashboard import export_csv
from letters.models import SignatureExport
from tests.factories import CampaignFactory, MembershipFactory, UserFactory
from tests.letters.factories import SignatureFactory, bulk_signatures

pytestmark = pytest.mark.django_db

# The file's header line.
HEADER = (
    "confirmed_at,language,name,email,city,country,message,agreed_to_share_name,agreed_to_updates"
)


def confirm_url(campaign) -> str:
    return f"/dashboard/campaigns/{campaign.slug}/signatures/export/"


def csv_url(campaign) -> str:
    return f"/dashboard/campaigns/{campaign.slug}/signatures/export/csv/"


def member(campaign, role=Membership.Role.COORDINATOR):
    return MembershipFactory(organisation=campaign.organisation, role=role).user


def rows_of(response) -> list[dict]:
    assert response.status_code == 200
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    reader = csv.reader(io.StringIO(text[1:]))
    header = next(reader)
    assert ",".join(header) == HEADER
    return [dict(zip(header, row, strict=True)) for row in reader]


@pytest.fixture
def campaign():
    return CampaignFactory()


@pytest.fixture
def coordinator(client, campaign):
    user = member(campaign)
    client.force_login(user)
    return user


# -- Who may export, and how -----------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in_and_nothing_is_recorded(client, campaign):
    for response in (client.get(confirm_url(campaign)), client.post(csv_url(campaign))):
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    assert not SignatureExport.objects.exists()


def test_another_organisations_coordinator_gets_404(client, campaign):
    client.force_login(MembershipFactory().user)
    assert client.get(confirm_url(campaign)).status_code == 404
    assert client.post(csv_url(campaign)).status_code == 404
    assert not SignatureExport.objects.exists()


def test_viewer_may_not_export(client, campaign):
    client.force_login(member(campaign, Membership.Role.VIEWER))
    assert client.get(confirm_url(campaign)).status_code == 404
    assert client.post(csv_url(campaign)).status_code == 404
    assert not SignatureExport.objects.exists()


def test_owner_and_admin_may_export(client, campaign):
    client.force_login(member(campaign, Membership.Role.OWNER))
    assert client.post(csv_url(campaign)).status_code == 200
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.post(csv_url(campaign)).status_code == 200


def test_download_url_refuses_get_with_405(client, campaign, coordinator):
    assert client.get(csv_url(campaign)).status_code == 405
    assert not SignatureExport.objects.exists()


def test_confirmation_page_refuses_post_with_405(client, campaign, coordinator):
    assert client.post(confirm_url(campaign)).status_code == 405


def test_confirmation_page_says_what_will_be_exported_and_exports_nothing(
    client, campaign, coordinator
):
    SignatureFactory(campaign=campaign, consent_share_name=True)
    SignatureFactory(campaign=campaign, consent_updates=True)
    SignatureFactory(campaign=campaign)
    SignatureFactory(campaign=campaign, confirmed_at=None)

    html = client.get(confirm_url(campaign)).content.decode()

    assert "A CSV file with 3 rows" in html
    assert "2 include a name and 1 an e-mail address" in html
    assert "only if they agreed to share their name with the officials" in html
    assert "only if they asked your organisation to keep them informed" in html
    assert f'action="{csv_url(campaign)}"' in html and 'method="post"' in html
    assert not SignatureExport.objects.exists()


# -- What the file holds ---------------------------------------------------------------------


def test_export_holds_only_the_fields_each_signer_agreed_to_share(client, campaign, coordinator):
    SignatureFactory(
        campaign=campaign,
        name="Ana Name",
        email="ana@example.org",
        city="Puebla",
        country="MX",
        message="Act!",
        consent_share_name=True,
    )
    SignatureFactory(
        campaign=campaign, name="Ben Updates", email="ben@example.org", consent_updates=True
    )
    SignatureFactory(campaign=campaign, name="Cy Private", email="cy@example.org", city="Lyon")

    rows = rows_of(client.post(csv_url(campaign)))

    by_email_or_name = {row["name"] or "(anonymous)": row for row in rows}
    ana = by_email_or_name["Ana Name"]
    assert (ana["email"], ana["city"], ana["country"], ana["message"]) == (
        "",
        "Puebla",
        "MX",
        "Act!",
    )
    assert (ana["agreed_to_share_name"], ana["agreed_to_updates"]) == ("yes", "no")
    ben = by_email_or_name["Ben Updates"]
    assert (ben["email"], ben["city"], ben["country"]) == ("ben@example.org", "", "")
    anonymous = by_email_or_name["(anonymous)"]
    assert set(anonymous.values()) >= {"", "no"}
    assert anonymous["confirmed_at"] and anonymous["language"] == "en"
    body = str(rows)
    assert "Cy Private" not in body and "cy@example.org" not in body and "Lyon" not in body


def test_export_leaves_out_unconfirmed_erased_and_other_campaigns_signatures(
    client, campaign, coordinator
):
    SignatureFactory(campaign=campaign, name="Kept", consent_share_name=True)
    SignatureFactory(
        campaign=campaign, name="Unconfirmed", consent_share_name=True, confirmed_at=None
    )
    SignatureFactory(
        campaign=campaign, name="Erased", consent_share_name=True, erased_at=timezone.now()
    )
    SignatureFactory(name="Elsewhere", consent_share_name=True)

    rows = rows_of(client.post(csv_url(campaign)))

    assert [row["name"] for row in rows] == ["Kept"]


@pytest.mark.parametrize(
    "hostile",
    [
        '=HYPERLINK("http://evil.example","click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "  =1+1",
        "\n=1+1",
        "\uff20SUM(1)",
        "\uff1d1+1",
        "  \uff0b1",
    ],
)
def test_cells_a_spreadsheet_would_run_are_made_inert(client, campaign, coordinator, hostile):
    SignatureFactory(
        campaign=campaign,
        name=hostile,
        city=hostile,
        message=hostile,
        consent_share_name=True,
    )

    [row] = rows_of(client.post(csv_url(campaign)))

    for column in ("name", "city", "message"):
        assert row[column] == "'" + hostile


def test_markup_in_names_is_plain_text_in_a_download(client, campaign, coordinator):
    SignatureFactory(campaign=campaign, name="<script>alert(1)</script>", consent_share_name=True)
    response = client.post(csv_url(campaign))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Cache-Control"] == "no-store"
    assert rows_of(response)[0]["name"] == "<script>alert(1)</script>"


# -- The record of each export ---------------------------------------------------------------


def test_each_export_is_recorded_with_who_when_and_how_many_rows(client, campaign, coordinator):
    SignatureFactory.create_batch(3, campaign=campaign)
    before = timezone.now()

    rows = rows_of(client.post(csv_url(campaign)))

    [export] = SignatureExport.objects.all()
    assert export.campaign == campaign
    assert export.exported_by == coordinator
    assert export.started_at >= before
    assert export.finished_at >= export.started_at
    assert export.row_count == len(rows) == 3


def test_repeated_export_requests_create_one_record_per_export(client, campaign, coordinator):
    SignatureFactory.create_batch(2, campaign=campaign)
    client.get(confirm_url(campaign))
    rows_of(client.post(csv_url(campaign)))
    SignatureFactory(campaign=campaign)
    rows_of(client.post(csv_url(campaign)))

    assert [e.row_count for e in SignatureExport.objects.order_by("started_at", "pk")] == [2, 3]


def test_a_download_cut_short_is_recorded_as_unfinished_with_the_rows_sent(campaign):
    coordinator = member(campaign)
    SignatureFactory.create_batch(5, campaign=campaign)
    # Straight to the view, as a WSGI server runs it: the server closes the response when the
    # client goes away (the test client would read it to the end).
    request = RequestFactory().post(csv_url(campaign))
    request.user = coordinator
    response = export_csv(request, campaign.slug)
    chunks = iter(response.streaming_content)
    next(chunks)  # the header
    next(chunks)  # one row
    # request_finished would close the test's database connection, as it does after a request.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    export = SignatureExport.objects.get()
    assert export.finished_at is None
    assert export.row_count == 1


def test_export_record_is_shown_on_the_figures_page(client, campaign, coordinator):
    SignatureFactory(campaign=campaign)
    rows_of(client.post(csv_url(campaign)))
    html = client.get(f"/dashboard/campaigns/{campaign.slug}/signatures/").content.decode()
    assert coordinator.username in html


# -- At scale --------------------------------------------------------------------------------


@pytest.mark.slow
def test_export_of_100000_signatures_streams_in_a_fixed_number_of_queries_and_flat_memory(
    client, postgres, django_assert_max_num_queries
):
    campaign = CampaignFactory()
    bulk_signatures(campaign, 100_000)
    client.force_login(member(campaign))

    with django_assert_max_num_queries(8):
        response = client.post(csv_url(campaign))
        assert response.streaming
        tracemalloc.start()
        rows = 0
        try:
            for chunk in response.streaming_content:
                rows += chunk.count(b"\n")
                if rows == 10_001:
                    at_10k = tracemalloc.get_traced_memory()[0]
            at_end, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert rows == 100_001  # header and rows
    assert SignatureExport.objects.get().row_count == 100_000
    # Flat: memory held at 100,000 rows is about what it was at 10,000, and the peak is small.
    assert at_end < at_10k + 1_000_000
    assert peak < 10_000_000
