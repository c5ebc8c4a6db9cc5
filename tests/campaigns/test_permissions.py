"""Every dashboard URL, for every kind of visitor.

Anonymous visitors are sent to sign in; another organisation's coordinator gets 404 everywhere;
viewers read but every URL that changes something answers them 404 (the same answer as for
another organisation's object: "not yours to change"); coordinators do everything except manage
members and settings, which is for owners; admins (superusers) do everything.

Partner organisations' members are outsiders to every page of the lead's campaign; they reach
their own partner's page only (viewers read it, coordinators export from it), never another
partner's, and the lead's members do not reach a partner's page either.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignStatusChange,
    Invitation,
    LetterTemplate,
    Membership,
    Partnership,
    Target,
)
from tests.factories import (
    CampaignFactory,
    CaseFactory,
    MembershipFactory,
    OrganisationFactory,
    TargetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# Who may GET the URL: "read" = any member, "change" = owners and coordinators, "owner" = owners.
# URLs that name none of our objects (the lists, the "new" forms) answer another organisation's
# coordinator with their own data; URLS_OF_OUR_OBJECTS answer them 404.
# POST-only URLs are listed separately below.
DASHBOARD_URLS = [
    ("home", "/dashboard/", "read"),
    ("campaign", "/dashboard/campaigns/{campaign}/", "read"),
    ("preview", "/dashboard/campaigns/{campaign}/preview/", "read"),
    ("targets", "/dashboard/officials/", "read"),
    ("organisation", "/dashboard/organisations/{organisation}/", "read"),
    ("campaign_create", "/dashboard/campaigns/new/", "change"),
    ("campaign_edit", "/dashboard/campaigns/{campaign}/edit/", "change"),
    ("campaign_cases", "/dashboard/campaigns/{campaign}/cases/", "change"),
    ("campaign_targets", "/dashboard/campaigns/{campaign}/officials/", "change"),
    ("campaign_letters", "/dashboard/campaigns/{campaign}/letter/", "change"),
    ("campaign_publish", "/dashboard/campaigns/{campaign}/publish/", "change"),
    ("campaign_close", "/dashboard/campaigns/{campaign}/close/", "change"),
    ("campaign_deliver", "/dashboard/campaigns/{campaign}/deliver/", "change"),
    ("target_create", "/dashboard/officials/new/", "change"),
    ("target_edit", "/dashboard/officials/{target}/edit/", "change"),
    ("campaign_partners", "/dashboard/campaigns/{campaign}/partners/", "read"),
    ("campaign_embed", "/dashboard/campaigns/{campaign}/embed/", "read"),
    ("signatures", "/dashboard/campaigns/{campaign}/signatures/", "read"),
    ("export", "/dashboard/campaigns/{campaign}/signatures/export/", "change"),
    ("partner_invite", "/dashboard/campaigns/{campaign}/partners/invite/", "owner"),
    ("partner_page", "/dashboard/campaigns/{campaign}/signatures/partners/{partner}/", "partner"),
    (
        "partner_export",
        "/dashboard/campaigns/{campaign}/signatures/partners/{partner}/export/",
        "partner_change",
    ),
    (
        "other_partner_page",
        "/dashboard/campaigns/{campaign}/signatures/partners/{other_partner}/",
        "admin",
    ),
    (
        "other_partner_export",
        "/dashboard/campaigns/{campaign}/signatures/partners/{other_partner}/export/",
        "admin",
    ),
    ("organisation_edit", "/dashboard/organisations/{organisation}/edit/", "owner"),
    ("invitation_create", "/dashboard/organisations/{organisation}/invitations/new/", "owner"),
    (
        "member_remove",
        "/dashboard/organisations/{organisation}/members/{membership}/remove/",
        "owner",
    ),
]
POST_ONLY_URLS = [
    (
        "member_role",
        "/dashboard/organisations/{organisation}/members/{membership}/role/",
        {"role": "coordinator"},
    ),
    (
        "invitation_withdraw",
        "/dashboard/organisations/{organisation}/invitations/{invitation}/withdraw/",
        {},
    ),
    (
        "partner_invitation_withdraw",
        "/dashboard/campaigns/{campaign}/partners/invitations/{partner_invitation}/withdraw/",
        {},
    ),
    (
        "partner_remove",
        "/dashboard/campaigns/{campaign}/partners/{partnership}/remove/",
        {},
    ),
]
UNSCOPED = {"home", "targets", "campaign_create", "target_create"}
VISITORS = [
    "anonymous",
    "outsider",
    "partner_viewer",
    "partner",
    "viewer",
    "coordinator",
    "owner",
    "admin",
]
# Members of another organisation: a stranger, and the two members of a partner organisation.
OUTSIDERS = {"outsider", "partner", "partner_viewer"}
ALLOWED = {
    "read": {"viewer", "coordinator", "owner", "admin"},
    "change": {"coordinator", "owner", "admin"},
    "owner": {"owner", "admin"},
    "partner": {"partner_viewer", "partner", "admin"},
    "partner_change": {"partner", "admin"},
    "admin": {"admin"},
}


@dataclass
class World:
    users: dict
    paths: dict
    campaign: Campaign


def build_world() -> World:
    organisation = OrganisationFactory(slug="our-org")
    other = OrganisationFactory(slug="their-org")
    users = {"anonymous": None, "admin": UserFactory(username="admin", is_superuser=True)}
    for role in ("owner", "coordinator", "viewer"):
        users[role] = UserFactory(username=role)
        MembershipFactory(user=users[role], organisation=organisation, role=role)
    users["outsider"] = UserFactory(username="outsider")
    MembershipFactory(user=users["outsider"], organisation=other, role=Membership.Role.OWNER)
    CampaignFactory(organisation=other, slug="their-campaign")  # so outsiders have a dashboard

    campaign = CampaignFactory(
        organisation=organisation, slug="our-campaign", status="draft", title="Our secret draft"
    )
    partner = OrganisationFactory(slug="partner-org")
    other_partner = OrganisationFactory(slug="other-partner-org")
    for role, name in (("coordinator", "partner"), ("viewer", "partner_viewer")):
        users[name] = UserFactory(username=name)
        MembershipFactory(user=users[name], organisation=partner, role=role)
    partnership = Partnership.objects.create(
        campaign=campaign, organisation=partner, source_code="partner1"
    )
    Partnership.objects.create(
        campaign=campaign, organisation=other_partner, source_code="partner2"
    )
    partner_invitation = Invitation.objects.create(
        organisation=organisation,
        campaign=campaign,
        email="partner@example.org",
        token_hash="1" * 64,
        expires_at=timezone.now() + timezone.timedelta(days=7),
    )
    # Shared, so an outsider can see it but still must not change it.
    target = TargetFactory(
        created_by_organisation=organisation, is_shared=True, name="Our Shared Official"
    )
    campaign.targets.add(target)
    campaign.cases.add(CaseFactory())
    LetterTemplate.objects.create(
        campaign=campaign, language="en", subject="Justice", body="Dear {target_name},"
    )
    invitation = Invitation.objects.create(
        organisation=organisation,
        email="new@example.org",
        token_hash="0" * 64,
        expires_at=timezone.now() + timezone.timedelta(days=7),
    )
    viewer_membership = Membership.objects.get(user=users["viewer"])
    values = {
        "campaign": campaign.slug,
        "organisation": organisation.slug,
        "target": target.pk,
        "membership": viewer_membership.pk,
        "invitation": invitation.pk,
        "partner": partner.slug,
        "other_partner": other_partner.slug,
        "partnership": partnership.pk,
        "partner_invitation": partner_invitation.pk,
    }
    paths = {name: path.format(**values) for name, path, _kind in DASHBOARD_URLS}
    paths.update({name: path.format(**values) for name, path, _data in POST_ONLY_URLS})
    return World(users=users, paths=paths, campaign=campaign)


def client_for(client, world, visitor):
    if world.users[visitor] is not None:
        client.force_login(world.users[visitor])
    return client


def snapshot(world):
    """What a denied request must leave untouched."""
    campaign = Campaign.objects.get(pk=world.campaign.pk)
    return (
        campaign.status,
        campaign.title,
        sorted(campaign.targets.values_list("pk", flat=True)),
        CampaignStatusChange.objects.count(),
        sorted(Membership.objects.values_list("pk", "role")),
        Invitation.objects.count(),
        get_user_model().objects.count(),
        sorted(Partnership.objects.values_list("pk", flat=True)),
    )


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(("name", "kind"), [(name, kind) for name, _path, kind in DASHBOARD_URLS])
def test_dashboard_url_answers_each_visitor(client, visitor, name, kind):
    world = build_world()
    path = world.paths[name]
    response = client_for(client, world, visitor).get(path)
    if visitor == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={path}"
    elif visitor in ALLOWED[kind]:
        assert response.status_code == 200, f"{visitor} should reach {path}"
    elif (
        visitor in OUTSIDERS
        and name in UNSCOPED
        and (kind == "read" or visitor != "partner_viewer")
    ):
        # Their own list or form: nothing of ours in it but a shared official.
        html = response.content.decode()
        assert response.status_code == 200
        assert "Our secret draft" not in html and "our-campaign" not in html
        assert world.paths["target_edit"] not in html
        assert f'value="{world.campaign.organisation_id}"' not in html
    else:
        assert response.status_code == 404, f"{visitor} must get 404 on {path}"


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(("name", "data"), [(name, data) for name, _path, data in POST_ONLY_URLS])
def test_post_only_url_answers_each_visitor(client, visitor, name, data):
    world = build_world()
    path = world.paths[name]
    before = snapshot(world)
    response = client_for(client, world, visitor).post(path, data)
    if visitor == "anonymous":
        assert response["Location"] == f"/accounts/login/?next={path}"
    elif visitor in ALLOWED["owner"]:
        assert response.status_code == 302
        assert snapshot(world) != before
        return
    else:
        assert response.status_code == 404
    assert snapshot(world) == before


@pytest.mark.parametrize("visitor", ["owner", "admin"])
@pytest.mark.parametrize("name", [name for name, _path, _data in POST_ONLY_URLS])
def test_post_only_url_refuses_get(client, visitor, name):
    world = build_world()
    before = snapshot(world)
    response = client_for(client, world, visitor).get(world.paths[name])
    assert response.status_code == 405
    assert snapshot(world) == before


CHANGE_POSTS = {
    "campaign_create": {"organisation": "", "title": "Taken over", "summary": "x", "goal": 5},
    "campaign_edit": {"title": "Taken over", "summary": "x", "goal": 5, "delivery_mode": "each"},
    "campaign_cases": {"cases": []},
    "campaign_targets": {"targets": []},
    "campaign_letters": {"letter-en-subject": "", "letter-en-body": ""},
    "campaign_publish": {},
    "campaign_close": {},
    "campaign_deliver": {},
    "target_create": {
        "created_by_organisation": "",
        "name": "X",
        "position": "Y",
        "country": "MX",
        "language": "en",
    },
    "target_edit": {"name": "X", "position": "Y", "country": "MX", "language": "en"},
    "organisation_edit": {"name": "Taken over"},
    "invitation_create": {"email": "spy@example.org", "role": "owner"},
    "partner_invite": {"email": "spy@example.org"},
    "member_remove": {},
}


@pytest.mark.parametrize("visitor", ["anonymous", "outsider", "partner", "viewer"])
@pytest.mark.parametrize("name", list(CHANGE_POSTS))
def test_denied_visitors_change_nothing_by_posting(client, visitor, name):
    world = build_world()
    data = dict(CHANGE_POSTS[name])
    for field in ("organisation", "created_by_organisation"):
        if field in data:  # a "new" form aimed at our organisation
            data[field] = world.campaign.organisation_id
    before = snapshot(world)
    targets_before = Target.objects.count()
    organisation_name = world.campaign.organisation.name
    response = client_for(client, world, visitor).post(world.paths[name], data)
    if visitor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    elif visitor in {"outsider", "partner"} and name in UNSCOPED:
        # Their own "new" form refuses our organisation as a choice.
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    else:
        assert response.status_code == 404
    assert snapshot(world) == before
    assert Target.objects.count() == targets_before
    world.campaign.organisation.refresh_from_db()
    assert world.campaign.organisation.name == organisation_name
    assert not Campaign.objects.filter(title="Taken over").exists()


def test_coordinators_cannot_manage_members_even_by_posting(client):
    world = build_world()
    before = snapshot(world)
    client.force_login(world.users["coordinator"])
    for name in ("member_role", "invitation_withdraw"):
        assert client.post(world.paths[name], {"role": "owner"}).status_code == 404
    assert snapshot(world) == before


def test_a_viewer_sees_no_change_buttons(client):
    world = build_world()
    client.force_login(world.users["viewer"])
    html = client.get(world.paths["campaign"]).content.decode()
    assert world.paths["preview"] in html
    for name in ("campaign_edit", "campaign_publish", "campaign_letters"):
        assert world.paths[name] not in html
