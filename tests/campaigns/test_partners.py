"""Partner organisations: invited by the lead's owner, accepted for an organisation, shown on the
campaign, and seeing (and exporting) only the signatures that came through them."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from PIL import Image

from campaigns.models import Invitation, Membership, Organisation, Partnership
from letters.models import SignatureExport, Source
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.letters.factories import SignatureFactory, open_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def campaign():
    lead = OrganisationFactory(slug="lead-org", name="Lead Org")
    return open_campaign(organisation=lead, slug="justice", title="Justice for Javier")


@pytest.fixture
def lead_owner(client, campaign):
    user = UserFactory(username="lead-owner")
    MembershipFactory(user=user, organisation=campaign.organisation, role="owner")
    client.force_login(user)
    return client


def invite(client, email="head@partner.example.org"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/dashboard/campaigns/justice/partners/invite/", {"email": email})


def accept_path(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://testserver(/accounts/invitations/[\w-]+/)", text).group(1)


def partner_of(campaign, name="Reporters Together", slug="reporters", code="rt2026"):
    organisation = OrganisationFactory(name=name, slug=slug)
    Partnership.objects.create(campaign=campaign, organisation=organisation, source_code=code)
    return organisation


def member(client, organisation, role="coordinator", username="partner-coordinator"):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organisation=organisation, role=role)
    client.force_login(user)
    return client


# -- Inviting and accepting --------------------------------------------------------------------


def test_the_lead_owner_invites_a_partner_by_e_mail(lead_owner, smtp_server):
    response = invite(lead_owner)

    assert response["Location"] == "/dashboard/campaigns/justice/partners/"
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "head@partner.example.org"
    assert "Justice for Javier" in message["Subject"]
    invitation = Invitation.objects.get()
    assert invitation.campaign.slug == "justice"
    assert accept_path(message).startswith("/accounts/invitations/")


def test_a_second_invitation_to_the_same_address_is_refused(lead_owner, smtp_server):
    invite(lead_owner)

    response = invite(lead_owner, email="HEAD@partner.example.org")

    assert response.status_code == 200
    assert "still waiting to be accepted" in response.content.decode()
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize("email", ["not-an-address", "x" * 300 + "@example.org", "a@b\nBcc: c@d"])
def test_a_malformed_partner_address_is_refused(lead_owner, email):
    response = invite(lead_owner, email=email)

    assert response.status_code == 200
    assert not Invitation.objects.exists()


def test_a_partner_invitation_is_not_a_membership_invitation(lead_owner, campaign, smtp_server):
    invite(lead_owner)
    lead_owner.get("/dashboard/campaigns/justice/partners/")  # shows the "on its way" message

    page = lead_owner.get("/dashboard/organisations/lead-org/").content.decode()

    assert "head@partner.example.org" not in page


def test_a_new_person_accepts_for_a_new_organisation(client, lead_owner, campaign, smtp_server):
    invite(lead_owner)
    path = accept_path(smtp_server.wait_for(1)[0])
    client.logout()

    response = client.post(
        path,
        {
            "organisation": "new",
            "new_name": "  Reporters   Together ",
            "username": "rt-head",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
        },
    )

    organisation = Organisation.objects.get(name="Reporters Together")
    assert (
        response["Location"]
        == f"/dashboard/campaigns/justice/signatures/partners/{organisation.slug}/"
    )
    assert Membership.objects.get(organisation=organisation).role == "owner"
    partnership = Partnership.objects.get(campaign=campaign)
    assert partnership.organisation == organisation
    assert re.fullmatch(r"[0-9a-f]{10}", partnership.source_code)
    # The link works once.
    assert client.post(path, {"organisation": "new", "new_name": "Again"}).status_code == 410
    assert Partnership.objects.count() == 1


def test_an_owner_accepts_for_an_organisation_they_own(client, lead_owner, campaign, smtp_server):
    invite(lead_owner)
    path = accept_path(smtp_server.wait_for(1)[0])
    theirs = OrganisationFactory(name="Their Org", slug="their-org")
    member(client, theirs, role="owner", username="their-owner")

    page = client.get(path).content.decode()
    response = client.post(path, {"organisation": str(theirs.pk)})

    assert "Lead Org" not in re.findall(r"<label[^>]*>([^<]*)</label>", page)
    assert response.status_code == 302
    assert Partnership.objects.get().organisation == theirs


def test_nobody_accepts_for_an_organisation_they_do_not_own(
    client, lead_owner, campaign, smtp_server
):
    invite(lead_owner)
    path = accept_path(smtp_server.wait_for(1)[0])
    someone_elses = OrganisationFactory(slug="someone-elses")
    mine = OrganisationFactory(slug="mine")
    MembershipFactory(user=UserFactory(username="boss"), organisation=someone_elses, role="owner")
    member(client, mine, role="coordinator", username="only-a-coordinator")

    for choice in (someone_elses.pk, campaign.organisation_id, mine.pk):
        response = client.post(path, {"organisation": str(choice)})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not Partnership.objects.exists()
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize("name", ["<b>Bold</b>", "", "x" * 201])
def test_a_hostile_or_missing_new_organisation_name_is_refused(
    client, lead_owner, smtp_server, name
):
    invite(lead_owner)
    path = accept_path(smtp_server.wait_for(1)[0])
    member(client, OrganisationFactory(slug="x"), role="owner", username="x-owner")

    response = client.post(path, {"organisation": "new", "new_name": name})

    assert response.status_code == 200
    assert not Partnership.objects.exists()
    assert "<b>Bold</b>" not in response.content.decode()


def test_a_withdrawn_partner_invitation_no_longer_works(client, lead_owner, smtp_server):
    invite(lead_owner)
    path = accept_path(smtp_server.wait_for(1)[0])
    invitation = Invitation.objects.get()

    lead_owner.post(f"/dashboard/campaigns/justice/partners/invitations/{invitation.pk}/withdraw/")

    assert client.get(path).status_code == 404


# -- On the campaign -----------------------------------------------------------------------------


def image_bytes(fmt="PNG", size=(60, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, fmt)
    return buffer.getvalue()


def test_partners_are_shown_with_their_logo_on_the_campaign_and_the_embed(
    client, campaign, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    partner = partner_of(campaign)
    partner.logo.save("rt.png", io.BytesIO(image_bytes()))

    page = client.get("/campaigns/justice/").content.decode()
    embed = client.get("/campaigns/justice/embed/").content.decode()

    for html in (page, embed):
        assert "Reporters Together" in html
        assert partner.logo.url in html


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("logo.png", b"this is not an image", "image/png"),
        (
            "logo.png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/png",
        ),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "image/svg+xml",
        ),
        ("logo.png", image_bytes() + b"\0" * (1024 * 1024), "image/png"),
    ],
)
def test_a_partner_logo_that_is_not_a_small_image_is_refused(
    client, campaign, settings, tmp_path, name, content, content_type
):
    settings.MEDIA_ROOT = tmp_path
    partner = partner_of(campaign)
    member(client, partner, role="owner", username="rt-owner")

    response = client.post(
        f"/dashboard/organisations/{partner.slug}/edit/",
        {"name": partner.name, "logo": SimpleUploadedFile(name, content, content_type)},
    )

    assert response.status_code == 200
    partner.refresh_from_db()
    assert not partner.logo


# -- What a partner sees and exports ------------------------------------------------------------


@pytest.fixture
def signatures(campaign):
    """Signatures through two partners and the campaign page, with and without consents."""
    ours, theirs = partner_of(campaign), partner_of(campaign, "Other Partner", "other", "op1")
    rows = {
        "ours-yes-1": {"partner": ours, "consent_partner": True, "source": Source.EMBED},
        "ours-yes-2": {"partner": ours, "consent_partner": True, "source": Source.LINK},
        "ours-no": {"partner": ours, "consent_partner": False, "source": Source.EMBED},
        "ours-erased": {"partner": ours, "consent_partner": True, "erased_at": "2026-01-01T00:00Z"},
        "ours-pending": {"partner": ours, "consent_partner": True, "confirmed_at": None},
        "theirs-yes": {"partner": theirs, "consent_partner": True, "source": Source.EMBED},
        "page-updates": {"consent_updates": True},
    }
    for name, fields in rows.items():
        SignatureFactory(campaign=campaign, name=name, email=f"{name}@example.org", **fields)
    return ours, theirs


def export_rows(client, path) -> list[dict]:
    response = client.post(path)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_a_partner_export_holds_only_its_own_consenting_signers(client, campaign, signatures):
    ours, _theirs = signatures
    member(client, ours)

    rows = export_rows(
        client, "/dashboard/campaigns/justice/signatures/partners/reporters/export/csv/"
    )

    assert sorted(row["name"] for row in rows) == ["ours-yes-1", "ours-yes-2"]
    assert {row["email"] for row in rows} == {"ours-yes-1@example.org", "ours-yes-2@example.org"}
    export = SignatureExport.objects.get()
    assert (export.partner, export.row_count) == (ours, 2)


def test_a_partner_cannot_export_another_partners_signers(client, campaign, signatures):
    ours, _theirs = signatures
    member(client, ours)

    response = client.post("/dashboard/campaigns/justice/signatures/partners/other/export/csv/")

    assert response.status_code == 404
    assert not SignatureExport.objects.exists()


def test_the_lead_export_never_gives_an_address_consented_only_to_a_partner(
    lead_owner, campaign, signatures
):
    rows = export_rows(lead_owner, "/dashboard/campaigns/justice/signatures/export/csv/")

    emails = {row["email"] for row in rows if row["email"]}
    assert emails == {"page-updates@example.org"}


def test_a_partner_page_shows_the_campaign_figures_and_only_its_own_signatures(
    client, campaign, signatures
):
    ours, _theirs = signatures
    campaign.signature_count = 6
    campaign.save()
    member(client, ours, role="viewer", username="partner-viewer")

    html = client.get(
        "/dashboard/campaigns/justice/signatures/partners/reporters/"
    ).content.decode()

    figures = re.findall(r'<p class="figure-number mb-1">(\d+)</p>', html)
    # The campaign; counted through this partner; who consented and can be exported (the
    # erased signer is counted, never exported).
    assert figures == ["6", "4", "2"]
    assert "Other Partner" not in html
    assert "ours-yes-1" not in html  # figures only, no names
    assert "?source=rt2026" in html  # their own embed code and link
    assert "Export signatures" not in html  # a viewer may not export


def test_the_lead_sees_signatures_by_source(lead_owner, campaign, signatures):
    html = lead_owner.get("/dashboard/campaigns/justice/signatures/").content.decode()

    assert "Where the signatures came from" in html
    assert "Reporters Together (partner)" in html and "Other Partner (partner)" in html
    assert "Campaign page" in html


def test_the_lead_gets_the_two_lines_to_paste_with_a_preview(lead_owner, campaign):
    html = lead_owner.get("/dashboard/campaigns/justice/embed/").content.decode()

    assert "&lt;iframe src=&quot;http://testserver/campaigns/justice/embed/&quot;" in html
    assert "&lt;script src=&quot;http://testserver/static/js/embed.js&quot; async&gt;" in html
    assert '<iframe class="embed-preview" src="http://testserver/campaigns/justice/embed/"' in html


def test_ending_a_partnership_stops_its_code_crediting_it(lead_owner, campaign):
    partner = partner_of(campaign)
    partnership = Partnership.objects.get(organisation=partner)

    lead_owner.post(f"/dashboard/campaigns/justice/partners/{partnership.pk}/remove/")
    html = lead_owner.get("/campaigns/justice/embed/?source=rt2026").content.decode()

    assert not Partnership.objects.exists()
    assert "the work of Reporters Together" not in html


# -- The campaign's embed setting ----------------------------------------------------------------


@pytest.mark.parametrize(
    "origins",
    [
        "javascript:alert(1)",
        "https://a.example; script-src *",
        "https://a.example 'unsafe-inline'",
        "*",
        "https://a.example/path?x=1",
        "\n".join(f"https://s{n}.example" for n in range(51)),
    ],
)
def test_embed_origins_that_are_not_plain_website_addresses_are_refused(
    lead_owner, campaign, origins
):
    campaign.status = "draft"
    campaign.save()
    response = lead_owner.post(
        "/dashboard/campaigns/justice/edit/",
        {
            "title": campaign.title,
            "slug": campaign.slug,
            "summary": "x",
            "goal": 5,
            "delivery_mode": "each",
            "language": "en",
            "embed_origins": origins,
        },
    )

    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.embed_origins == ""
