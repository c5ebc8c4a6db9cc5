"""The site on a phone-sized screen."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args():
    return {
        "viewport": {"width": 375, "height": 740},
        "locale": "en-GB",
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    }


def test_phone_screen_has_no_horizontal_scrolling(page, demo_data, artifacts_dir):
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


def test_phone_user_switches_language_from_the_menu(page, demo_data):
    page.goto("/")
    page.get_by_role("button", name="Show menu").click()
    page.get_by_label("Language", exact=True).select_option("ar")
    page.get_by_role("button", name="Change").click()
    page.wait_for_url("**/")
    assert page.locator("html").get_attribute("dir") == "rtl"
