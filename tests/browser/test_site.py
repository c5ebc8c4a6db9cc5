"""The site in a real Chromium: languages, right-to-left Arabic, the switcher, a phone screen."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADLINES = {
    "en": "Nearly nine in ten killings of journalists go unpunished.",
    "fr": "Près de neuf",
    "es": "Casi nueve de cada diez",
    "ar": "ما يقرب من تسع",
}


@pytest.fixture
def seeded():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.parametrize("language", ["en", "fr", "es", "ar"])
def test_home_page_loads_in_each_language(browser, live_server, seeded, language):
    context = browser.new_context(locale=language, bypass_csp=True)
    page = context.new_page()
    from tests.conftest import AccessibilityAudit

    audit = AccessibilityAudit(page)
    page.goto(live_server.url + "/")
    audit.run()
    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert HEADLINES[language] in page.locator("h1").inner_text()
    assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    if language == "ar":
        # The layout mirrors: the brand sits at the right edge, not the left.
        brand = page.locator(".navbar-brand").bounding_box()
        assert brand["x"] > page.viewport_size["width"] / 2
    context.close()
    assert not audit.violations, "\n".join(audit.violations)


def test_language_switcher_changes_the_language(page, seeded):
    page.goto("/")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").click()
    page.wait_for_url("**/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert HEADLINES["es"] in page.locator("h1").inner_text()


def test_skip_link_is_first_and_moves_focus_to_the_content(page, seeded):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


@pytest.fixture
def browser_context_args():
    return {
        "viewport": {"width": 375, "height": 740},
        "locale": "en-GB",
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    }


def test_phone_screen_has_no_horizontal_scrolling(page, seeded, artifacts_dir):
    for path in ["/", "/cases/", "/campaigns/", "/privacy/"]:
        page.goto(path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    page.goto("/")
    shot = artifacts_dir / "home-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
