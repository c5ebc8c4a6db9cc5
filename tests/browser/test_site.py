"""The site in a real Chromium: languages, right-to-left Arabic, the switcher, a phone screen."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADLINES = {
    "en": "Nearly nine in ten killings of journalists go unpunished.",
    "fr": "Près de neuf",
    "es": "Casi nueve de cada diez",
    "ar": "ما يقرب من تسع",
    "ru": "Почти девять из десяти",
    "zh-hans": "近九成",
}


@pytest.mark.parametrize("language", ["en", "fr", "es", "ar", "ru", "zh-hans"])
def test_home_page_loads_in_each_language(browser, live_server, demo_data, language):
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


def test_language_switcher_changes_the_language(page, demo_data):
    page.goto("/")
    page.get_by_label("Language", exact=True).select_option("es")
    page.get_by_role("button", name="Change").click()
    page.wait_for_url("**/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert HEADLINES["es"] in page.locator("h1").inner_text()


def test_skip_link_is_first_and_moves_focus_to_the_content(page, demo_data):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
