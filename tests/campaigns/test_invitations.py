"""Owners invite people by e-mail, manage members and roles, and edit their organisation."""

import hashlib
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from PIL import Image

from campaigns import services
from campaigns.models import Invitation, Membership
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation():
    return OrganisationFactory(slug="our-org", name="Press Freedom Now")


@pytest.fixture
def owner(organisation):
    user = UserFactory(username="owner", first_name="Olga", last_name="Owner")
    MembershipFactory(user=user, organisation=organisation, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def as_owner(client, owner):
    client.force_login(owner)
    return client


def invite(client, email="new.person@Example.ORG", role="coordinator"):
    # The e-mail goes through the outbox, whose send task starts after commit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            "/dashboard/organisations/our-org/invitations/new/", {"email": email, "role": role}
        )


def link_from(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://testserver(/accounts/invitations/[\w-]+/)", text).group(1)


def test_an_invitation_is_e_mailed_with_a_link_that_is_stored_only_as_a_hash(as_owner, smtp_server):
    response = invite(as_owner)
    assert response["Location"] == "/dashboard/organisations/our-org/"
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "new.person@example.org"
    assert message["Subject"] == "Join Press Freedom Now on IDEI"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Olga Owner invites you to join Press Freedom Now as Coordinator" in text
    assert "ignore it" in text  # why they receive it, and how to stop
    link = link_from(message)
    assert link in html
    token = link.rsplit("/", 2)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert timezone.timedelta(days=6) < invitation.expires_at - timezone.now()


def test_the_link_uses_site_url_outside_a_request(organisation, owner, settings, smtp_server):
    settings.SITE_URL = "https://idei.example.org"
    invitation = Invitation.objects.create(
        organisation=organisation,
        email="a@example.org",
        token_hash="x" * 64,
        expires_at=timezone.now() + timezone.timedelta(days=7),
        invited_by=owner,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.queue_invitation_mail(invitation, "the-token")
    (message,) = smtp_server.wait_for(1)
    text = message.get_body(("plain",)).get_content()
    assert "https://idei.example.org/accounts/invitations/the-token/" in text


def test_a_second_invitation_to_the_same_address_is_refused_while_one_waits(as_owner, smtp_server):
    invite(as_owner)
    response = invite(as_owner, email="NEW.person@example.org")
    assert "still waiting to be accepted" in response.content.decode()
    assert Invitation.objects.count() == 1
    smtp_server.wait_for(1)
    assert len(smtp_server.messages) == 1


def test_a_member_cannot_be_invited_again(as_owner, owner):
    response = invite(as_owner, email=owner.email.upper())
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_invalid_address_is_refused_on_the_form(as_owner):
    response = invite(as_owner, email="not an address")
    assert 'href="#id_email"' in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_new_person_creates_an_account_and_joins(as_owner, client, smtp_server):
    invite(as_owner, role="viewer")
    link = link_from(smtp_server.wait_for(1)[0])
    client.logout()
    page = client.get(link).content.decode()
    assert "Join Press Freedom Now" in page and "Viewer" in page
    response = client.post(
        link,
        {"username": "newbie", "password1": "a long passphrase", "password2": "a long passphrase"},
    )
    assert response["Location"] == "/dashboard/organisations/our-org/"
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "new.person@example.org"
    assert Membership.objects.get(user=user).role == "viewer"
    assert client.get("/dashboard/").status_code == 200  # signed in


def test_a_signed_in_user_joins_with_their_account(as_owner, client, smtp_server):
    invite(as_owner)
    link = link_from(smtp_server.wait_for(1)[0])
    existing = UserFactory(username="existing")
    client.force_login(existing)
    assert "You are signed in as" in client.get(link).content.decode()
    client.post(link)
    assert Membership.objects.get(user=existing).role == "coordinator"


def test_an_invitation_works_once(as_owner, client, smtp_server):
    invite(as_owner)
    link = link_from(smtp_server.wait_for(1)[0])
    client.force_login(UserFactory(username="first"))
    client.post(link)
    client.force_login(UserFactory(username="second"))
    response = client.post(link)
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert not Membership.objects.filter(user__username="second").exists()


def test_an_expired_invitation_is_refused(as_owner, client, smtp_server):
    invite(as_owner)
    link = link_from(smtp_server.wait_for(1)[0])
    Invitation.objects.update(expires_at=timezone.now() - timezone.timedelta(minutes=1))
    client.force_login(UserFactory(username="late"))
    response = client.post(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not Membership.objects.filter(user__username="late").exists()


def test_a_forged_token_is_refused(client):
    client.force_login(UserFactory())
    response = client.post("/accounts/invitations/forged-token/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_a_bad_new_account_is_refused_and_the_invitation_stays_usable(
    as_owner, client, smtp_server
):
    invite(as_owner)
    link = link_from(smtp_server.wait_for(1)[0])
    client.logout()
    response = client.post(link, {"username": "x", "password1": "123", "password2": "456"})
    assert 'id="error-summary"' in response.content.decode()
    assert Invitation.objects.get().accepted_at is None
    assert not get_user_model().objects.filter(username="x").exists()


def test_a_withdrawn_invitation_no_longer_works(as_owner, client, smtp_server):
    invite(as_owner)
    link = link_from(smtp_server.wait_for(1)[0])
    invitation = Invitation.objects.get()
    as_owner.post(f"/dashboard/organisations/our-org/invitations/{invitation.pk}/withdraw/")
    assert client.get(link).status_code == 404


def test_the_invitation_page_refuses_other_methods(client):
    assert client.put("/accounts/invitations/whatever/").status_code == 405


# -- Members -------------------------------------------------------------------------------------


def test_an_owner_changes_a_members_role(as_owner, organisation):
    member = MembershipFactory(organisation=organisation, role="viewer")
    response = as_owner.post(
        f"/dashboard/organisations/our-org/members/{member.pk}/role/", {"role": "coordinator"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == "coordinator"


def test_an_unknown_role_is_refused(as_owner, organisation):
    member = MembershipFactory(organisation=organisation, role="viewer")
    as_owner.post(
        f"/dashboard/organisations/our-org/members/{member.pk}/role/", {"role": "superuser"}
    )
    member.refresh_from_db()
    assert member.role == "viewer"


def test_the_last_owner_cannot_step_down_or_leave(as_owner, owner):
    membership = Membership.objects.get(user=owner)
    response = as_owner.post(
        f"/dashboard/organisations/our-org/members/{membership.pk}/role/",
        {"role": "viewer"},
        follow=True,
    )
    assert "the only owner" in response.content.decode()
    page = as_owner.get(f"/dashboard/organisations/our-org/members/{membership.pk}/remove/")
    assert "only owner" in page.content.decode()
    as_owner.post(f"/dashboard/organisations/our-org/members/{membership.pk}/remove/")
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_an_owner_may_leave_when_another_owner_remains(as_owner, owner, organisation):
    MembershipFactory(organisation=organisation, role="owner")
    membership = Membership.objects.get(user=owner)
    response = as_owner.post(f"/dashboard/organisations/our-org/members/{membership.pk}/remove/")
    assert response["Location"] == "/dashboard/"
    assert not Membership.objects.filter(user=owner).exists()


def test_removing_a_member_asks_first_and_happens_once(as_owner, organisation):
    member = MembershipFactory(organisation=organisation, role="coordinator")
    path = f"/dashboard/organisations/our-org/members/{member.pk}/remove/"
    assert "What will happen" in as_owner.get(path).content.decode()
    assert Membership.objects.filter(pk=member.pk).exists()
    assert as_owner.post(path).status_code == 302
    assert as_owner.post(path).status_code == 404
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_members_of_another_organisation_cannot_be_touched(as_owner):
    stranger = MembershipFactory(organisation=OrganisationFactory(), role="coordinator")
    response = as_owner.post(
        f"/dashboard/organisations/our-org/members/{stranger.pk}/role/", {"role": "viewer"}
    )
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.role == "coordinator"


# -- Organisation settings -----------------------------------------------------------------------


def image_bytes(fmt="PNG", size=(60, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, fmt)
    return buffer.getvalue()


def test_an_owner_edits_the_settings_and_uploads_a_logo(as_owner, organisation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    logo = SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png")
    response = as_owner.post(
        "/dashboard/organisations/our-org/edit/",
        {
            "name": "  Press   Freedom Later ",
            "country": "FR",
            "website": "pfn.example.org",
            "contact_email": "hello@pfn.example.org",
            "logo": logo,
        },
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "Press Freedom Later"
    assert organisation.website == "https://pfn.example.org"
    assert organisation.logo.name.startswith("organisations/logo")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (("logo.svg", b"<svg onload='alert(1)'/>", "image/svg+xml"), "Upload a valid image"),
        (("logo.gif", image_bytes("GIF"), "image/gif"), "Upload a JPEG, PNG or WebP image."),
        (("logo.png", image_bytes() + b"\0" * 1024 * 1024, "image/png"), "the largest allowed"),
    ],
)
def test_a_bad_logo_is_refused(as_owner, organisation, upload, message):
    name, content, content_type = upload
    response = as_owner.post(
        "/dashboard/organisations/our-org/edit/",
        {
            "name": "Renamed",
            "country": "FR",
            "logo": SimpleUploadedFile(name, content, content_type=content_type),
        },
    )
    html = response.content.decode()
    assert 'href="#id_logo"' in html and message in html
    organisation.refresh_from_db()
    assert organisation.name == "Press Freedom Now" and not organisation.logo


@pytest.mark.parametrize(
    ("field", "value"),
    [("website", "javascript:alert(1)"), ("contact_email", "nope"), ("name", "<b>x</b>")],
)
def test_bad_settings_are_refused(as_owner, organisation, field, value):
    data = {"name": "Press Freedom Now", "country": "FR", field: value}
    response = as_owner.post("/dashboard/organisations/our-org/edit/", data)
    assert f'href="#id_{field}"' in response.content.decode()
    organisation.refresh_from_db()
    assert getattr(organisation, field) != value


def test_a_hostile_organisation_name_cannot_add_a_mail_header(as_owner, organisation, smtp_server):
    organisation.name = "Press <b>Now</b>\nBcc: spy@example.org"
    organisation.save()
    invite(as_owner)
    (message,) = smtp_server.wait_for(1)
    assert message["Bcc"] is None
    assert message["Subject"] == "Join Press <b>Now</b> Bcc: spy@example.org on IDEI"
    assert "Press &lt;b&gt;Now&lt;/b&gt;" in message.get_body(("html",)).get_content()
    assert [rcpt for envelope in smtp_server.envelopes for rcpt in envelope.rcpt_tos] == [
        "new.person@example.org"
    ]


# -- Through the outbox, once; hostile input -----------------------------------------------------


def test_an_invitation_is_an_outbox_row_sent_once_even_if_posted_twice(as_owner, mailoutbox):
    from idei.outbox.models import OutgoingMessage

    first = invite(as_owner)
    second = invite(as_owner)
    assert first.status_code == 302
    assert "still waiting to be accepted" in second.content.decode()
    invitation = Invitation.objects.get()
    (message,) = OutgoingMessage.objects.all()
    assert message.kind == "invitation"
    assert message.about == f"campaigns.invitation:{invitation.pk}"
    assert message.group == f"campaigns.organisation:{invitation.organisation_id}"
    assert message.status == OutgoingMessage.Status.SENT
    (sent,) = mailoutbox
    assert sent.to == ["new.person@example.org"]
    assert sent.subject == "Join Press Freedom Now on IDEI"


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        ("a" * 250 + "@example.org", "at most 254 characters"),
        ("new@example.org\r\nBcc: spy@example.org", "Enter a valid email address."),
        ("new@example.org\nBcc: spy@example.org", "Enter a valid email address."),
        ("new@example.org\r\n", None),  # trailing whitespace is stripped: a valid address
        ("<script>alert(1)</script>@example.org", "Enter a valid email address."),
        ('"Spy" <spy@example.org>', "Enter a valid email address."),
        ("new@exa<b>mple</b>.org", "Enter a valid email address."),
    ],
)
def test_a_hostile_address_gets_a_clear_message_and_no_row(as_owner, mailoutbox, email, problem):
    from idei.outbox.models import OutgoingMessage

    response = invite(as_owner, email=email)
    if problem is None:
        assert Invitation.objects.get().email == "new@example.org"
        assert [message.to for message in mailoutbox] == [["new@example.org"]]
        return
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_email"' in html and problem in html
    assert "<script>alert(1)" not in html and "<b>mple" not in html
    assert not Invitation.objects.exists()
    assert not OutgoingMessage.objects.exists()
    assert mailoutbox == []


def test_a_hostile_role_gets_a_clear_message_and_no_row(as_owner, mailoutbox):
    response = invite(as_owner, role="superuser")
    html = response.content.decode()
    assert 'href="#id_role"' in html and "Select a valid choice" in html
    assert not Invitation.objects.exists()
    assert mailoutbox == []
