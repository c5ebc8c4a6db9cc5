"""The site in Russian, Chinese and Arabic on a phone, and valid markup in all six languages."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from cases.models import Case
from tests.conftest import AccessibilityAudit, html_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CAMPAIGN = "justice-for-journalists-in-mexico"
PHONE = {"width": 390, "height": 844}


def words(language: str, *messages: str) -> list[str]:
    with translation.override(language):
        return [translation.gettext(message) for message in messages]


@pytest.mark.parametrize(
    "language, browser_locale, rtl",
    [("ru", "ru-RU", False), ("zh-hans", "zh-CN", False), ("ar", "ar-EG", True)],
)
def test_campaign_page_on_a_phone_in_the_browsers_language(
    browser, live_server, demo_data, language, browser_locale, rtl
):
    # The browser asks for its own language (zh-CN for Chinese): the page answers in it.
    context = browser.new_context(
        base_url=live_server.url,
        locale=browser_locale,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,  # axe is injected as a script
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    audit = AccessibilityAudit(page)
    page.goto(reverse("campaigns:detail", args=[CAMPAIGN]))
    audit.run()

    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == ("rtl" if rtl else "ltr")
    text = page.locator("main").inner_text()
    sign_heading, letter_heading, addressed = words(
        language, "Sign the letter", "The letter", "Who we write to"
    )
    for heading in (sign_heading, letter_heading, addressed):
        assert heading in text, heading
    assert "Sign the letter" not in text and "Who we write to" not in text
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The form is in the reader's language too, its fields reachable by their labels.
    name_label, country_label = words(language, "Your name", "Your country")
    assert page.get_by_label(name_label).is_visible()
    country = page.get_by_label(country_label)
    options = country.locator("option").all_inner_texts()
    with translation.override(language):
        from django_countries import countries

        assert str(countries.name("MX")) in options
    assert "Mexico" not in options
    page.screenshot(path=f"/tmp/idei-campaign-{language}.png", full_page=False)
    context.close()
    assert not audit.violations, "\n".join(audit.violations)


def public_urls() -> list[str]:
    case = Case.objects.published().filter(country="MX").first()
    return [
        reverse("home"),
        reverse("cases:list"),
        reverse("cases:statistics"),
        reverse("cases:country", args=["mx"]),
        case.get_absolute_url(),
        reverse("campaigns:list"),
        reverse("campaigns:detail", args=[CAMPAIGN]),
        reverse("letters:thanks", args=[CAMPAIGN]),
        reverse("letters:reminders:subscribe"),
        reverse("letters:data_request"),
        reverse("letters:erasure_request"),
        reverse("privacy"),
        reverse("login"),
        reverse("password_reset"),
        "/api/docs/",
    ]


def test_public_pages_are_valid_html_in_every_language(client, demo_data):
    pages = {}
    for language, _name in settings.LANGUAGES:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in public_urls():
            response = client.get(url)
            assert response.status_code == 200, url
            pages[f"{language} {url}"] = response.content.decode()
    assert len(pages) == len(settings.LANGUAGES) * len(public_urls())
    errors = html_errors(pages)
    assert not errors, "\n".join(errors)
