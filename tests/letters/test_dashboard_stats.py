"""A campaign's signature figures for its coordinators: /dashboard/campaigns/<slug>/signatures/."""

import datetime
from html import unescape

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.utils import timezone

from campaigns.models import Membership
from letters.models import SignatureExport
from tests.factories import CampaignFactory, MembershipFactory, UserFactory
from tests.letters.factories import SignatureFactory, bulk_signatures

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


def stats_url(campaign) -> str:
    return f"/dashboard/campaigns/{campaign.slug}/signatures/"


def member(campaign, role=Membership.Role.COORDINATOR):
    return MembershipFactory(organisation=campaign.organisation, role=role).user


@pytest.fixture
def campaign():
    return CampaignFactory(goal=100, signature_count=3)


def test_anonymous_visitor_is_sent_to_sign_in(client, campaign):
    response = client.get(stats_url(campaign))
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def test_another_organisations_coordinator_gets_404(client, campaign):
    outsider = MembershipFactory().user
    client.force_login(outsider)
    assert client.get(stats_url(campaign)).status_code == 404


def test_unknown_campaign_is_404(client):
    client.force_login(MembershipFactory().user)
    assert client.get("/dashboard/campaigns/no-such-campaign/signatures/").status_code == 404


def test_post_is_refused_with_405(client, campaign):
    client.force_login(member(campaign))
    assert client.post(stats_url(campaign)).status_code == 405


@pytest.mark.parametrize(
    "role", [Membership.Role.OWNER, Membership.Role.COORDINATOR, Membership.Role.VIEWER]
)
def test_every_member_reads_the_figures(client, campaign, role):
    client.force_login(member(campaign, role))
    response = client.get(stats_url(campaign))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")


def test_admin_reads_any_campaigns_figures(client, campaign):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(stats_url(campaign)).status_code == 200


def test_viewer_is_told_that_only_coordinators_export(client, campaign):
    client.force_login(member(campaign, Membership.Role.VIEWER))
    html = client.get(stats_url(campaign)).content.decode()
    assert "Only the organisation's owners and coordinators can export" in unescape(html)
    assert "/signatures/export/" not in html


def test_coordinator_gets_the_export_link(client, campaign):
    client.force_login(member(campaign))
    html = client.get(stats_url(campaign)).content.decode()
    assert f'href="/dashboard/campaigns/{campaign.slug}/signatures/export/"' in html


def test_figures_count_confirmed_signatures_per_day_and_per_country(client, campaign):
    day = timezone.now() - datetime.timedelta(days=2)
    SignatureFactory.create_batch(2, campaign=campaign, country="MX", confirmed_at=day)
    SignatureFactory(campaign=campaign, country="CO", confirmed_at=timezone.now())
    SignatureFactory(campaign=campaign, country="CO", confirmed_at=None)  # awaiting confirmation
    SignatureFactory(campaign=CampaignFactory(), country="FR")  # another campaign
    client.force_login(member(campaign))

    response = client.get(stats_url(campaign))

    assert response.context["per_country"] == [
        {"code": "MX", "name": "Mexico", "count": 2, "percent": 67},
        {"code": "CO", "name": "Colombia", "count": 1, "percent": 33},
    ]
    days = response.context["days"]
    assert [count for _, count in days] == [2, 0, 1]
    assert response.context["totals"]["pending"] == 1
    html = response.content.decode()
    assert "<svg" in html and "The figures as a table" in html
    assert "3</p>" in html  # campaign.signature_count, the confirmed count


def test_page_without_signatures_says_so(client, campaign):
    client.force_login(member(campaign))
    html = client.get(stats_url(campaign)).content.decode()
    assert "No confirmed signature yet." in html
    assert "No deliveries yet." in html
    assert "No export yet." in html


def test_past_exports_are_listed_with_who_and_how_many_rows(client, campaign):
    coordinator = member(campaign)
    SignatureExport.objects.create(
        campaign=campaign, exported_by=coordinator, row_count=1234, finished_at=timezone.now()
    )
    client.force_login(member(campaign, Membership.Role.VIEWER))
    html = client.get(stats_url(campaign)).content.decode()
    assert coordinator.username in html
    assert "1,234" in html


def test_hostile_text_is_escaped(client):
    campaign = CampaignFactory(title=HOSTILE)
    SignatureFactory(campaign=campaign, name=HOSTILE, city=HOSTILE)
    client.force_login(member(campaign))
    html = client.get(stats_url(campaign)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.slow
def test_figures_page_runs_a_fixed_number_of_queries_with_100000_signatures(
    client, postgres, django_assert_max_num_queries
):
    campaign = CampaignFactory(goal=200_000, signature_count=100_000)
    bulk_signatures(campaign, 100_000, days=60)
    SignatureExport.objects.create(campaign=campaign, row_count=5)
    client.force_login(member(campaign))

    # Fixed, whatever the number of signatures: one more since the signatures by source (17).
    with django_assert_max_num_queries(10):
        response = client.get(stats_url(campaign))

    assert response.status_code == 200
    assert sum(count for _, count in response.context["days"]) == 100_000
    assert sum(row["count"] for row in response.context["per_country"]) == 100_000


def test_the_headline_count_is_the_sum_of_the_tables_even_before_the_count_catches_up(
    client, campaign
):
    # campaign.signature_count says 3 (the shown count converges every 30 s); five are counted.
    SignatureFactory.create_batch(4, campaign=campaign, country="MX")
    SignatureFactory(campaign=campaign, country="CO")
    client.force_login(member(campaign))

    response = client.get(stats_url(campaign))

    per_country = sum(row["count"] for row in response.context["per_country"])
    per_day = sum(count for _, count in response.context["days"])
    assert response.context["counted"] == per_country == per_day == 5
    assert (
        '<p class="figure-number mb-1" id="counted-signatures">5</p>' in response.content.decode()
    )
