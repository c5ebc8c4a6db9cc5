"""Django admin for organisations, officials, campaigns (transitions recorded) and invitations."""

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatusChange, Invitation, LetterTemplate
from tests.factories import (
    CampaignFactory,
    CaseFactory,
    MembershipFactory,
    OrganisationFactory,
    TargetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/campaigns/organisation/",
        "/admin/campaigns/organisation/add/",
        "/admin/campaigns/target/",
        "/admin/campaigns/target/add/",
        "/admin/campaigns/campaign/",
        "/admin/campaigns/campaign/add/",
        "/admin/campaigns/invitation/",
    ],
)
def test_admin_pages_load(admin, path):
    MembershipFactory()
    CampaignFactory()
    TargetFactory()
    assert admin.get(path).status_code == 200


def test_change_pages_show_members_letters_and_history(admin):
    membership = MembershipFactory(user__username="member-one")
    campaign = CampaignFactory(organisation=membership.organisation, status="draft")
    campaign.cases.add(CaseFactory())
    campaign.targets.add(TargetFactory())
    LetterTemplate.objects.create(campaign=campaign, language="en", subject="S", body="B")
    campaign.publish(user=admin.user)
    organisation_page = admin.get(
        f"/admin/campaigns/organisation/{membership.organisation.pk}/change/"
    ).content.decode()
    assert "member-one" in organisation_page or str(membership.user.pk) in organisation_page
    campaign_page = admin.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert "status history" in campaign_page.lower()
    assert "root" in campaign_page


def test_officials_are_searchable_and_filterable(admin):
    TargetFactory(name="Ana Ruiz", country="MX")
    TargetFactory(name="Luis Gómez", country="CO")
    html = admin.get("/admin/campaigns/target/?q=ruiz").content.decode()
    assert "Ana Ruiz" in html and "Luis Gómez" not in html
    html = admin.get("/admin/campaigns/target/?country=CO").content.decode()
    assert "Luis Gómez" in html and "Ana Ruiz" not in html


def test_the_publish_action_goes_through_the_transition_and_is_recorded(admin):
    ready = CampaignFactory(status="draft", title="Ready")
    ready.cases.add(CaseFactory())
    ready.targets.add(TargetFactory())
    LetterTemplate.objects.create(campaign=ready, language="en", subject="S", body="B")
    empty = CampaignFactory(status="draft", title="Empty")
    response = admin.post(
        "/admin/campaigns/campaign/",
        {"action": "publish", "_selected_action": [ready.pk, empty.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "Add at least one target official." in html
    assert Campaign.objects.get(pk=ready.pk).status == "published"
    assert Campaign.objects.get(pk=empty.pk).status == "draft"
    (change,) = CampaignStatusChange.objects.all()
    assert change.changed_by == admin.user


def test_the_status_cannot_be_typed_in_the_admin(admin):
    campaign = CampaignFactory(status="draft")
    html = admin.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert 'name="status"' not in html


def test_invitations_are_listed_but_not_created_in_the_admin(admin):
    Invitation.objects.create(
        organisation=OrganisationFactory(),
        email="someone@example.org",
        token_hash="a" * 64,
        expires_at=timezone.now(),
    )
    assert "someone@example.org" in admin.get("/admin/campaigns/invitation/").content.decode()
    assert admin.get("/admin/campaigns/invitation/add/").status_code == 403


def test_the_membership_inline_cannot_leave_an_organisation_without_an_owner(admin):
    owner = MembershipFactory(role="owner")
    organisation = owner.organisation
    url = f"/admin/campaigns/organisation/{organisation.pk}/change/"
    form = {
        "name": organisation.name,
        "slug": organisation.slug,
        "country": "MX",
        "contact_email": "team@example.org",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": str(owner.pk),
        "memberships-0-organisation": str(organisation.pk),
        "memberships-0-user": str(owner.user_id),
        "memberships-0-role": "coordinator",
    }

    response = admin.post(url, form)

    assert response.status_code == 200
    assert "must keep at least one owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == "owner"
