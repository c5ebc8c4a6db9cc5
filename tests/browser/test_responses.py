"""The moderation screen and the officials' pages (and the campaign, case and country pages that
show published responses) in a real Chromium, in English and Arabic, every page checked by
axe-core (WCAG 2.1 AA), on a desktop and on a phone."""

import pytest
from django.test import Client

from letters.models import Response
from letters.responses import services as responses
from tests.conftest import AccessibilityAudit
from tests.letters.responses_world import DOMAIN, delivered_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def answered(settings, tmp_path):
    settings.INBOUND_EMAIL_DOMAIN = DOMAIN
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    world = delivered_world()
    published = Response.objects.create(
        campaign=world.campaign,
        target=world.target,
        channel=Response.Channel.POST,
        text="The investigation is reopened.",
    )
    published.cases.set([world.case])
    responses.decide(
        published, "publish", user=world.coordinator, public_text="The investigation is reopened."
    )
    world.pending = Response.objects.create(
        campaign=world.campaign,
        target=world.target,
        channel=Response.Channel.EMAIL,
        subject="Re: Justice for Lucía",
        text="Thank you for your letter. We will answer.\n\n> Dear Ana Ruiz",
        from_address="someone@elsewhere.example",
        from_matches_official=False,
    )
    return world


def session_cookie(live_server, user) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
        "url": live_server.url,
    }


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("viewport", [(1280, 900), (375, 740)])
def test_moderation_and_officials_pages_are_accessible(
    browser, live_server, answered, artifacts_dir, language, viewport
):
    width, height = viewport
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        locale=language,
        bypass_csp=True,  # for axe's injected script only
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    audit = AccessibilityAudit(page)
    size = "phone" if width < 600 else "desktop"

    public_pages = [
        "/officials/",
        "/officials/?country=MX",
        f"/officials/{answered.target.pk}/",
        # Where published responses also appear: the campaign, the case's timeline, the country.
        answered.campaign.get_absolute_url(),
        answered.case.get_absolute_url(),
        "/cases/mx/",
    ]
    for path in public_pages:
        page.goto(path)
        audit.run()
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        assert "Ana Ruiz" in page.content()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if size == "phone":
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    assert "The investigation is reopened." in page.content()
    page.screenshot(path=str(artifacts_dir / f"official-{language}-{size}.png"), full_page=True)

    context.add_cookies([session_cookie(live_server, answered.coordinator)])
    page.goto("/dashboard/responses/")
    audit.run()
    page.locator(f"a[href='/dashboard/responses/{answered.pending.pk}/']").click()
    page.wait_for_url(f"**/dashboard/responses/{answered.pending.pk}/")
    audit.run()
    assert "someone@elsewhere.example" in page.content()
    page.screenshot(path=str(artifacts_dir / f"moderation-{language}-{size}.png"), full_page=True)
    # Keyboard: the decision is reachable and chosen without a mouse.
    page.locator("input[name=decision][value=private]").focus()
    page.keyboard.press("Space")
    page.locator("button[type=submit].btn-primary").last.click()
    page.wait_for_url(f"**/dashboard/responses/{answered.pending.pk}/")
    audit.run()
    answered.pending.refresh_from_db()
    assert answered.pending.status == Response.Status.PRIVATE
    context.close()
    assert audit.audited
    assert not audit.violations, "WCAG 2.1 AA violations:\n" + "\n".join(audit.violations)
