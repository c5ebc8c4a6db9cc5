"""A coordinator's whole journey in a real Chromium, every page checked by axe-core."""

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign, Membership
from tests.factories import CaseFactory, MembershipFactory, TargetFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coordinator_world():
    user = UserFactory(username="maria")
    MembershipFactory(
        user=user,
        role=Membership.Role.COORDINATOR,
        organisation__name="Artículo Libre",
        organisation__slug="articulo-libre",
    )
    CaseFactory(full_name="Lucía Beltrán Ortega", place="Culiacán", country="MX")
    CaseFactory(full_name="Ramón Ibarra Salcedo", place="Veracruz", country="MX")
    CaseFactory(full_name="Somebody Else", place="Bogotá", country="CO")
    TargetFactory(name="Ana Ruiz", position="Attorney General", country="MX", language="en")
    TargetFactory(name="Luis Gómez", position="Governor of Sinaloa", country="MX", language="en")
    TargetFactory(name="Not Chosen", position="Minister", country="CO", language="en")
    return user


def test_a_coordinator_creates_previews_and_publishes_a_campaign(
    page, coordinator_world, artifacts_dir
):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")

    page.get_by_role("link", name="New campaign").click()
    page.get_by_role("textbox", name=re.compile(r"^Title\*?$")).fill(
        "Justice for the journalists of Sinaloa"
    )
    page.get_by_role("textbox", name=re.compile(r"^Summary\*?$")).fill(
        "Two journalists were killed; nobody has been convicted."
    )
    page.get_by_role("textbox", name=re.compile(r"^What happened and what you ask\*?$")).fill(
        "**Reopen** the investigations."
    )
    page.get_by_label("Signature goal").fill("250")
    page.screenshot(path=str(artifacts_dir / "coordinator-new-campaign.png"), full_page=True)
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url("**/dashboard/campaigns/justice-for-the-journalists-of-sinaloa/")
    assert "Link at least one case." in page.content()

    # Two cases, found by two searches.
    page.get_by_role("link", name="Link cases").click()
    for name in ("Lucía", "Ramón"):
        page.get_by_label("Name or place").fill(name)
        page.get_by_role("button", name="Search", exact=True).click()
        page.get_by_label(name, exact=False).check()
        page.get_by_role("button", name="Save linked cases").click()
        page.wait_for_load_state()
    page.screenshot(path=str(artifacts_dir / "coordinator-cases.png"), full_page=True)
    page.get_by_role("link", name="Back to the campaign").click()

    # Two officials: the page suggests those of the cases' country.
    page.get_by_role("link", name="Choose officials").click()
    expect(page.get_by_role("button", name="Save officials")).to_be_visible()
    assert "Not Chosen" not in page.content()
    page.get_by_label("Ana Ruiz").check()
    page.get_by_label("Luis Gómez").check()
    page.get_by_role("button", name="Save officials").click()
    page.get_by_role("link", name="Back to the campaign").click()

    page.get_by_role("link", name="Write the letter").click()
    page.get_by_label("Subject (English)").fill("Justice for {case_names}")
    page.get_by_label("Letter (English)").fill(
        "Dear {target_name},\n\nAs {target_position}, reopen these cases:\n{cases}\n\n"
        "{signer_name}, {signer_city}"
    )
    page.get_by_role("button", name="Save the letter").click()
    page.wait_for_url("**/dashboard/campaigns/justice-for-the-journalists-of-sinaloa/")

    page.get_by_role("link", name="Preview the letters").click()
    letters = page.locator("article.letter-preview")
    assert letters.count() == 2
    assert "Dear Ana Ruiz," in letters.nth(0).inner_text()
    assert "As Governor of Sinaloa, reopen these cases:" in letters.nth(1).inner_text()
    assert "Lucía Beltrán Ortega" in letters.nth(1).inner_text()
    assert "{" not in letters.nth(0).inner_text()
    page.screenshot(path=str(artifacts_dir / "coordinator-preview.png"), full_page=True)
    page.get_by_role("link", name="Back to the campaign").click()

    page.get_by_role("link", name="Publish…").click()
    expect(page.locator("body")).to_contain_text("What will happen")
    page.screenshot(path=str(artifacts_dir / "coordinator-confirm-publish.png"), full_page=True)
    page.get_by_role("button", name="Publish the campaign").click()
    page.wait_for_url("**/dashboard/campaigns/justice-for-the-journalists-of-sinaloa/")
    assert "The campaign is published" in page.content()
    assert "Draft → Published" in page.locator("table").last.inner_text()
    page.screenshot(path=str(artifacts_dir / "coordinator-campaign.png"), full_page=True)

    assert Campaign.objects.get().status == Campaign.Status.PUBLISHED
    page.goto("/campaigns/")
    assert "Justice for the journalists of Sinaloa" in page.content()


def test_a_form_with_errors_summarises_them_with_links(page, coordinator_world, artifacts_dir):
    page.goto("/accounts/login/?next=/dashboard/campaigns/new/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/campaigns/new/")
    page.get_by_role("textbox", name=re.compile(r"^Title\*?$")).fill("<script>alert(1)</script>")
    page.get_by_label("Signature goal").fill("0")
    page.get_by_role("button", name="Save the draft").click()
    summary = page.locator("#error-summary")
    assert "The goal must be at least one signature." in summary.inner_text()
    page.screenshot(path=str(artifacts_dir / "coordinator-form-errors.png"), full_page=True)
    summary.get_by_role("link", name="Signature goal").click()
    assert page.evaluate("document.activeElement.id") == "id_goal"
    assert not Campaign.objects.exists()


def test_an_owner_invites_a_coordinator_who_joins_and_adds_an_official(
    page, coordinator_world, smtp_server, artifacts_dir
):
    import re

    Membership.objects.filter(user=coordinator_world).update(role=Membership.Role.OWNER)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Artículo Libre").click()
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("E-mail").fill("jorge@example.org")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("body")).to_contain_text(
        "The invitation is on its way to jorge@example.org."
    )
    page.screenshot(path=str(artifacts_dir / "coordinator-organisation.png"), full_page=True)
    page.get_by_role("button", name="Sign out").click()

    text = smtp_server.wait_for(1)[0].get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/accounts/invitations/\S+/", text).group(0)
    page.goto(link)
    page.get_by_label("Username").fill("jorge")
    page.locator("#id_password1").fill("a long passphrase")
    page.get_by_label("Password confirmation").fill("a long passphrase")
    page.screenshot(path=str(artifacts_dir / "coordinator-accept-invitation.png"), full_page=True)
    page.get_by_role("button", name="Create my account and join").click()
    expect(page.locator("body")).to_contain_text(
        "Welcome to Artículo Libre. You joined as Coordinator."
    )

    page.get_by_role("link", name="Dashboard").first.click()
    # The dashboard's officials (the first "Officials" link is the public record, /officials/).
    page.locator('a[href="/dashboard/officials/"]').first.click()
    page.get_by_label("Name, position or institution").fill("Ruiz")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("cell", name="Attorney General")).to_have_count(1)
    page.get_by_role("link", name="Add an official").click()
    page.get_by_label("Name").fill("Rocío Nahle")
    page.locator("#id_position").fill("Governor of Veracruz")
    page.get_by_label("Country").select_option("MX")
    page.get_by_label("E-mail").fill("not-an-address")
    page.get_by_role("button", name="Save the official").click()
    expect(page.locator("#error-summary")).to_contain_text("Enter a valid email address.")
    page.get_by_label("E-mail").fill("gobernadora@veracruz.example.org")
    page.get_by_role("button", name="Save the official").click()
    expect(page.locator("body")).to_contain_text("The official Rocío Nahle is saved.")
    page.screenshot(path=str(artifacts_dir / "coordinator-officials.png"), full_page=True)


PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "en-GB"}


@pytest.mark.parametrize("browser_context_args", [PHONE])
def test_the_officials_table_and_the_texts_in_other_languages_fit_a_phone(
    page, coordinator_world, artifacts_dir
):
    """Issue 15, points 8 and 13: choosing officials, and writing the campaign in Arabic."""
    organisation = coordinator_world.memberships.get().organisation
    campaign = Campaign.objects.create(
        organisation=organisation, title="Justice in Sinaloa", slug="sinaloa", summary="Reopen."
    )
    for number in range(4):
        TargetFactory(
            name=f"Official with a long name {number}",
            position="Special Prosecutor for Crimes against Freedom of Expression",
            institution="Fiscalía General de la República",
            country="MX",
        )
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")

    page.goto(f"/dashboard/campaigns/{campaign.slug}/officials/")
    page.screenshot(path=str(artifacts_dir / "coordinator-officials-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"/dashboard/campaigns/{campaign.slug}/edit/")
    arabic = page.locator("details").filter(has_text="Arabic")
    arabic.locator("summary").click()
    title = page.get_by_label("Title (Arabic)")
    assert title.get_attribute("dir") == "rtl" and title.get_attribute("lang") == "ar"
    assert title.evaluate("e => getComputedStyle(e).direction") == "rtl"
    title.fill("العدالة في سينالوا")
    page.get_by_label("Summary (Arabic)").fill("أعيدوا فتح التحقيقات.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/dashboard/campaigns/{campaign.slug}/")
    assert campaign.translations.get(language="ar").title == "العدالة في سينالوا"
