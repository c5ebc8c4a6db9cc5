"""Two-factor sign-in in a real Chromium: an admin sets it up at first sign-in, then signs in
with the code; every page checked by axe-core. Codes are computed from the key the page shows,
as an authenticator app would."""

import base64

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(key: bytes) -> str:
    return f"{TOTP(key).token():06d}"


def test_an_admin_sets_up_two_factor_then_signs_in_with_a_code(page, artifacts_dir):
    UserFactory(username="root", is_staff=True, is_superuser=True)

    page.goto("/admin/")
    page.wait_for_url("**/accounts/login/?next=/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/accounts/two-factor/setup/")
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    page.screenshot(path=str(artifacts_dir / "two-factor-setup.png"), full_page=True)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_role("textbox", name="Code").fill(code_for(key))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept my codes: continue").click()
    page.wait_for_url("**/admin/")
    assert page.get_by_role("heading", name="Site administration").is_visible()

    # Next time: the password, then the code. (The setup's code was used: allow the next one.)
    TOTPDevice.objects.update(last_t=-1)
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/two-factor/verify/")
    page.get_by_role("textbox", name="Code").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That code is not right").first).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "two-factor-verify.png"), full_page=True)
    # django-otp makes the device wait a second after a wrong code; a person takes longer.
    TOTPDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    page.get_by_role("textbox", name="Code").fill(code_for(key))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")


@pytest.mark.parametrize("browser_context_args", [{"viewport": {"width": 375, "height": 740}}])
def test_the_lockout_page_on_a_phone_says_how_long_to_wait(page, artifacts_dir):
    UserFactory(username="ana")
    page.goto("/accounts/login/")
    for _ in range(5):
        page.get_by_label("Username").fill("ana")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
    assert page.get_by_role("heading", name="Too many attempts").is_visible()
    assert "Please wait 15 minutes, then try again." in page.locator("#wait-message").inner_text()
    page.screenshot(path=str(artifacts_dir / "sign-in-locked-out-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
