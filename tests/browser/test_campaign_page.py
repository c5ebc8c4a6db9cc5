"""The campaign page in a real Chromium: the Sign link, the layout on a wide screen and a phone."""

import pytest

from tests.conftest import AccessibilityAudit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = "/campaigns/justice-for-journalists-in-mexico/"
PHONE = {
    "viewport": {"width": 375, "height": 740},
    "locale": "en-GB",
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def test_campaign_page_renders_with_its_cases_officials_and_letter(page, demo_data, artifacts_dir):
    page.goto("/campaigns/")
    page.get_by_role(
        "link", name="Reopen the investigations into journalists killed in Mexico"
    ).click()
    page.wait_for_url(f"**{DEMO}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Reopen the investigations")
    assert page.get_by_role("heading", name="The cases").is_visible()
    assert page.get_by_role("heading", name="Who we write to").is_visible()
    # Unticked by default: the letter as sent is signed "A supporter from [your country]".
    assert "[your country]" in page.locator(".letter-sent").first.inner_text()
    page.screenshot(path=str(artifacts_dir / "campaign-wide.png"), full_page=True)


def test_sign_section_sits_beside_the_text_on_a_wide_screen(page, demo_data):
    page.goto(DEMO)
    sign = page.locator("#sign").bounding_box()
    summary = page.locator(".campaign-intro .lead").bounding_box()
    assert sign["x"] > summary["x"] + summary["width"]
    assert sign["y"] < summary["y"] + summary["height"]


def test_sign_link_jumps_to_the_sign_section(page, demo_data):
    page.goto(DEMO)
    page.get_by_role("link", name="Sign", exact=True).click()
    assert page.evaluate("location.hash") == "#sign"
    page.wait_for_function(
        "() => { const r = document.getElementById('sign').getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }"
    )
    assert page.get_by_role("heading", name="Sign the letter").is_visible()


def test_campaign_page_on_a_phone_has_no_horizontal_scroll_and_signs_after_the_summary(
    browser, live_server, demo_data, artifacts_dir
):
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, **PHONE)
    phone = context.new_page()
    audit = AccessibilityAudit(phone)
    try:
        for path in ["/campaigns/", DEMO]:
            phone.goto(path)
            audit.run()
            overflow = phone.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        summary = phone.locator(".campaign-intro .lead").bounding_box()
        sign = phone.locator("#sign").bounding_box()
        cases = phone.get_by_role("heading", name="The cases").bounding_box()
        # Directly after the summary (and its progress bar), before the rest of the page.
        assert summary["y"] < sign["y"] < cases["y"]
        phone.get_by_role("link", name="Sign", exact=True).click()
        assert phone.evaluate("location.hash") == "#sign"
        phone.screenshot(path=str(artifacts_dir / "campaign-phone.png"), full_page=True)
    finally:
        context.close()
    assert not audit.violations, "\n".join(audit.violations)
