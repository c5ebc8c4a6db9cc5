"""A campaign written in several languages, in a real Chromium (issue 15, point 8).

An Arabic reader on a phone reads the title and summary the coordinators wrote in Arabic, with
Latin names inside, each part marked with its language and an automatic direction; a French
reader, who has no text in French, reads the main texts and is told their language. The pages
pass axe-core and the Nu HTML checker, the dashboard's form with its language sections too.
"""

import pytest
from django.conf import settings
from django.urls import reverse

from campaigns.models import Campaign, CampaignTranslation, Membership
from tests.conftest import AccessibilityAudit, html_errors
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CAMPAIGN = "justice-for-journalists-in-mexico"
PHONE = {"width": 390, "height": 844}
TITLE_AR = "العدالة لـ Regina Martínez (Veracruz، 2012)"
SUMMARY_AR = "لم يُدن أحد بقتل Regina Martínez، مراسلة مجلة Proceso."


@pytest.fixture
def translated(demo_data):
    campaign = Campaign.objects.get(slug=CAMPAIGN)
    CampaignTranslation.objects.create(
        campaign=campaign, language="ar", title=TITLE_AR, summary=SUMMARY_AR
    )
    return campaign


def phone_page(browser, live_server, locale):
    context = browser.new_context(
        base_url=live_server.url,
        locale=locale,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,  # axe is injected as a script
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_an_arabic_reader_reads_the_arabic_texts_marked_with_their_language(
    browser, live_server, translated, artifacts_dir
):
    context, page = phone_page(browser, live_server, "ar-EG")
    audit = AccessibilityAudit(page)
    page.goto(translated.get_absolute_url())
    audit.run()

    title = page.locator("#campaign-title")
    assert title.inner_text() == TITLE_AR
    assert title.get_attribute("lang") == "ar" and title.get_attribute("dir") == "auto"
    # dir="auto" finds the Arabic first: the title runs right to left, Latin names inside it.
    assert title.evaluate("e => getComputedStyle(e).direction") == "rtl"
    summary = page.locator(".campaign-intro .lead")
    assert summary.inner_text() == SUMMARY_AR and summary.get_attribute("lang") == "ar"
    assert page.locator(".campaign-text-language").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("meta[property='og:title']").get_attribute("content") == TITLE_AR
    page.screenshot(path=str(artifacts_dir / "campaign-translated-ar.png"), full_page=False)
    context.close()
    assert not audit.violations, "\n".join(audit.violations)


def test_a_french_reader_reads_the_main_texts_and_is_told_their_language(
    browser, live_server, translated
):
    context, page = phone_page(browser, live_server, "fr-FR")
    audit = AccessibilityAudit(page)
    page.goto(translated.get_absolute_url())
    audit.run()

    title = page.locator("#campaign-title")
    assert title.inner_text() == translated.title
    assert title.get_attribute("lang") == translated.language
    assert "anglais" in page.locator(".campaign-text-language").inner_text().lower()
    context.close()
    assert not audit.violations, "\n".join(audit.violations)


def test_translated_pages_and_the_dashboard_form_are_valid_html(client, translated):
    user = UserFactory(username="writer")
    MembershipFactory(
        user=user, organisation=translated.organisation, role=Membership.Role.COORDINATOR
    )
    pages = {}
    for language in ("ar", "fr", "zh-hans"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in (translated.get_absolute_url(), reverse("campaigns:list"), reverse("home")):
            response = client.get(url)
            assert response.status_code == 200, url
            pages[f"{language} {url}"] = response.content.decode()
    client.force_login(user)
    form = client.get(reverse("dashboard:campaign_edit", args=[translated.slug]))
    assert form.status_code == 200
    assert TITLE_AR in form.content.decode()
    pages["dashboard form"] = form.content.decode()

    errors = html_errors(pages)
    assert not errors, "\n".join(errors)
