"""Signing on a phone in a real Chromium: sign, confirm from the e-mail, see the count, get the PDF.

The e-mail comes from the real SMTP test server (the live server runs in this process, so the
`smtp_server` fixture's settings apply to it; Celery runs eagerly in tests).
"""

import re

import pytest
from django.core.cache import cache

from tests.letters.factories import confirmation_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = "/campaigns/justice-for-journalists-in-mexico/"
PHONE = {
    "viewport": {"width": 375, "height": 740},
    "locale": "en-GB",
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
# A person reads before sending; the form refuses what comes faster (letters.abuse).
READING_MS = 3200


@pytest.fixture
def browser_context_args():
    return PHONE


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def shown_count(page) -> int:
    return int(re.sub(r"\D", "", page.locator(".signature-count").first.inner_text()))


def fill_sign_form(page, email="lucia@example.org"):
    page.get_by_label("Your name").fill("Lucía Hernández")
    page.get_by_label("Your e-mail address").fill(email)
    page.get_by_label("Your country").select_option("MX")
    page.get_by_label("Your city (optional)").fill("Puebla")
    page.get_by_label("Show my first name and country on this page").check()


def test_sign_confirm_by_email_see_the_count_go_up_and_download_the_letter(
    page, live_server, demo_data, smtp_server, settings, artifacts_dir
):
    settings.SITE_URL = live_server.url  # links in e-mails lead to this live server
    page.goto(DEMO)
    before = shown_count(page)
    sign = page.locator("#sign")
    assert sign.get_by_role("heading", name="Sign the letter").is_visible()
    for consent in page.locator(".sign-consents input[type=checkbox]").all():
        assert not consent.is_checked()
    fill_sign_form(page)
    page.screenshot(path=str(artifacts_dir / "signing-1-form-phone.png"), full_page=True)
    page.wait_for_timeout(READING_MS)

    url_before = page.url
    page.get_by_role("button", name="Sign the letter").click()

    # With JavaScript the answer replaces the form in place: no page load.
    heading = page.get_by_role("heading", name="Check your e-mail")
    heading.wait_for()
    assert page.url == url_before
    assert page.evaluate("document.activeElement.id") == "sign-heading"
    page.screenshot(path=str(artifacts_dir / "signing-2-check-email-phone.png"), full_page=True)

    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "lucia@example.org"
    text = mail.get_body(("plain",)).get_content()
    link = re.search(r"http\S+/signatures/confirm/\S+/", text).group(0)
    assert confirmation_token(link)

    page.goto(link)
    assert page.get_by_role("heading", name="Confirm your signature").is_visible()
    page.screenshot(path=str(artifacts_dir / "signing-3-confirm-phone.png"), full_page=True)
    page.get_by_role("button", name="Confirm my signature").click()
    page.get_by_role("heading", name="Thank you: your signature counts").wait_for()
    page.screenshot(path=str(artifacts_dir / "signing-4-thanks-phone.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download your letter (PDF)").click()
    pdf_path = download_info.value.path()
    with open(pdf_path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.goto(DEMO)
    assert shown_count(page) == before + 1
    assert "Lucía, Mexico" in page.locator(".recent-signers").inner_text()
    assert "Hernández" not in page.locator(".recent-signers").inner_text()
    page.screenshot(path=str(artifacts_dir / "signing-5-counted-phone.png"), full_page=True)


def test_errors_are_shown_in_place_and_focus_the_summary(page, demo_data):
    page.goto(DEMO)
    fill_sign_form(page, email="not-an-address")
    page.wait_for_timeout(READING_MS)

    page.get_by_role("button", name="Sign the letter").click()

    summary = page.locator("#sign-errors")
    summary.wait_for()
    assert "Your e-mail address" in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "sign-errors"
    assert page.get_by_label("Your name").input_value() == "Lucía Hernández"
    summary.get_by_role("link", name="Your e-mail address").click()
    assert page.evaluate("document.activeElement.name") == "email"


def test_signing_works_without_javascript(browser, live_server, demo_data, artifacts_dir):
    # axe-core needs JavaScript: the same pages are audited in the test below.
    context = browser.new_context(
        base_url=live_server.url, bypass_csp=True, java_script_enabled=False, **PHONE
    )
    page = context.new_page()
    try:
        page.goto(DEMO)
        fill_sign_form(page, email="nojs@example.org")
        page.wait_for_timeout(READING_MS)
        page.get_by_role("button", name="Sign the letter").click()
        page.wait_for_url("**/sign/check-your-email/")
        assert page.get_by_role("heading", name="Check your e-mail").is_visible()
        page.screenshot(path=str(artifacts_dir / "signing-nojs-check-email-phone.png"))
    finally:
        context.close()


def test_signing_pages_of_their_own_pass_axe_on_a_phone(page, demo_data, artifacts_dir):
    for path, name in [
        (DEMO + "sign/", "sign"),
        (DEMO + "sign/check-your-email/", "check-email"),
        (DEMO + "thanks/", "thanks-anonymous"),
        ("/signatures/confirm/forged-token/", "confirm-invalid"),
    ]:
        page.goto(path)
        page.accessibility_audit.run()  # here, not only on load: the loop navigates on at once
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        page.screenshot(path=str(artifacts_dir / f"signing-page-{name}-phone.png"), full_page=True)
    assert len(page.accessibility_audit.audited) >= 4
