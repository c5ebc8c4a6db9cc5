"""The partner screens in a real Chromium, every page checked by axe-core: the lead invites a
partner, the partner accepts for a new organisation and reaches its own page with its embed."""

import re

import pytest

from campaigns.models import Membership, Partnership
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.letters.factories import SignatureFactory, open_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")


def test_a_lead_invites_a_partner_who_accepts_and_sees_its_share(
    page, live_server, smtp_server, settings, artifacts_dir
):
    settings.SITE_URL = live_server.url
    lead = OrganisationFactory(name="Artículo Libre", slug="articulo-libre")
    campaign = open_campaign(organisation=lead, slug="justice", title="Justice for Javier")
    MembershipFactory(user=UserFactory(username="maria"), organisation=lead, role="owner")
    SignatureFactory(campaign=campaign)

    sign_in(page, "maria")
    page.goto("/dashboard/campaigns/justice/")
    page.get_by_role("link", name="Partner organisations").click()
    page.get_by_role("link", name="Invite a partner organisation").click()
    page.get_by_label("E-mail address of someone at the partner organisation").fill(
        "head@partner.example.org"
    )
    page.get_by_role("button", name="Send the invitation").click()
    page.wait_for_url("**/dashboard/campaigns/justice/partners/")
    assert "head@partner.example.org" in page.content()
    page.screenshot(path=str(artifacts_dir / "partners-lead.png"), full_page=True)
    page.goto("/dashboard/campaigns/justice/embed/")
    page.frame_locator("iframe.embed-preview").get_by_role(
        "heading", name="Justice for Javier"
    ).wait_for()
    page.screenshot(path=str(artifacts_dir / "partners-embed-code.png"), full_page=True)
    page.get_by_role("button", name="Sign out").click()

    [mail] = smtp_server.wait_for(1)
    link = re.search(r"http\S+/accounts/invitations/\S+/", mail.get_body(("plain",)).get_content())
    page.goto(link.group(0))
    page.get_by_label("A new organisation").check()
    page.get_by_label("Name of the new organisation").fill("Reporters Together")
    page.get_by_label("Username").fill("rt-head")
    page.locator("#id_password1").fill("a long and unusual passphrase")
    page.get_by_label("Password confirmation").fill("a long and unusual passphrase")
    page.screenshot(path=str(artifacts_dir / "partners-accept.png"), full_page=True)
    page.get_by_role("button", name="Accept the invitation").click()
    page.wait_for_url("**/signatures/partners/reporters-together/")
    assert page.get_by_role("heading", name="Put the form on your website").is_visible()
    code = page.locator("#embed-code").input_value()
    partnership = Partnership.objects.get(campaign=campaign)
    assert f"?source={partnership.source_code}" in code
    assert Membership.objects.get(organisation=partnership.organisation).role == "owner"
    page.screenshot(path=str(artifacts_dir / "partners-partner-page.png"), full_page=True)

    page.get_by_role("link", name="Export signatures…").click()
    page.get_by_role("button", name="Export the CSV file").wait_for()
    page.goto("/campaigns/justice/")
    assert "Reporters Together" in page.locator(".campaign-partners").inner_text()
