"""Django admin on a 1280-pixel screen (issue 15, point 14), in a real Chromium.

A staff member signs in with their password and a two-factor code; the case list's key columns
and a case's judicial events fit the width without a horizontal scroll bar, and "unresolved"
is said in words, never as a green tick. Every page passes axe-core (the `page` fixture).
"""

import binascii
import os

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.models import Case, CaseEvent
from tests.factories import CaseEventFactory, CaseFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 1280
KEY_COLUMNS = ["Full name", "Country", "Year", "Judicial status", "CPJ", "UNESCO", "Published"]


def sign_in_as_staff(page):
    """Password, then the code of the authenticator app the staff member already set up."""
    user = UserFactory(username="editor", is_staff=True, is_superuser=True)
    key = os.urandom(20)
    TOTPDevice.objects.create(
        user=user, name="phone", confirmed=True, key=binascii.hexlify(key).decode()
    )
    page.goto("/admin/")
    page.wait_for_url("**/accounts/login/?next=/admin/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/two-factor/verify/**")
    page.get_by_role("textbox", name="Code").fill(f"{TOTP(key).token():06d}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scroll)."""
    return page.evaluate("() => document.documentElement.scrollWidth") - WIDTH


@pytest.fixture
def page(browser, live_server):
    """A 1280 by 800 Chromium window on the live server."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": WIDTH, "height": 800}, locale="en-GB"
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def widest(page) -> list[str]:
    """The elements that reach past the window's right edge, for the failure message."""
    return page.evaluate(
        """w => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w)
            .slice(0, 12)
            .map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' '
                 + Math.round(e.getBoundingClientRect().right))""",
        WIDTH,
    )


def test_the_case_list_and_a_case_with_its_events_fit_a_1280_pixel_screen(page, artifacts_dir):
    case = CaseFactory(
        full_name="Regina Martínez Pérez de la Concepción Hernández",
        country="MX",
        impunity=Case.Impunity.COMPLETE,
        unesco_status=Case.UnescoStatus.ONGOING,
    )
    CaseFactory(
        full_name="Justice Done Example",
        country="PH",
        impunity=Case.Impunity.FULL_JUSTICE,
        unesco_status=Case.UnescoStatus.RESOLVED,
    )
    for number, kind in enumerate(
        [CaseEvent.Kind.INVESTIGATION, CaseEvent.Kind.ARREST, CaseEvent.Kind.TRIAL]
    ):
        CaseEventFactory(
            case=case,
            kind=kind,
            description=(
                f"Event {number}: the state prosecutor's office announced a new line of inquiry "
                "after the press freedom organisations published their findings on the case."
            ),
            source_url="https://www.example.org/a/very/long/path/to/the/source/article/" * 2,
            source_title="A long source title from a national newspaper's website",
        )
    sign_in_as_staff(page)

    page.goto("/admin/cases/case/")
    page.screenshot(path=str(artifacts_dir / "admin-case-list-1280.png"), full_page=True)
    assert overflow(page) <= 0, f"the case list is {overflow(page)} px too wide: {widest(page)}"
    # Django scrolls a list too wide for its box inside it: no hidden column either.
    results = page.locator("#changelist-form .results")
    assert results.evaluate("e => e.scrollWidth <= e.clientWidth"), "the list scrolls sideways"
    visible_right = results.bounding_box()["x"] + results.bounding_box()["width"]
    headers = page.locator("#result_list thead th")
    for label in KEY_COLUMNS:
        header = headers.filter(has_text=label).first
        assert header.is_visible(), label
        box = header.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= visible_right + 1, label
    row = page.locator("#result_list tbody tr").filter(has_text="Regina Martínez")
    status_cell = row.locator("td.field-judicial_status")
    assert status_cell.inner_text().strip() == "Unresolved"
    # In words, never as Django's boolean icon (a green tick would read as good news): the
    # only ticks on the list are in the "Published" column.
    assert page.locator("#result_list td.field-judicial_status img").count() == 0
    icons = page.locator("#result_list tbody img[src*='icon-']")
    assert icons.count() == page.locator("#result_list td.field-is_published img").count() == 2
    assert page.locator("#result_list td.field-is_unresolved").count() == 0

    page.goto(f"/admin/cases/case/{case.pk}/change/")
    page.screenshot(path=str(artifacts_dir / "admin-case-change-1280.png"), full_page=True)
    assert overflow(page) <= 0, f"the case page is {overflow(page)} px too wide: {widest(page)}"
    events = page.locator("#events-group table, [id$='event_set-group'] table").first
    assert events.is_visible()
    box = events.bounding_box()
    assert box and box["x"] + box["width"] <= WIDTH
    for column in ["Date", "What happened", "Description", "Source URL", "Delete"]:
        header = events.locator("thead th").filter(has_text=column).first
        assert header.is_visible(), column
        header_box = header.bounding_box()
        assert header_box and header_box["x"] + header_box["width"] <= WIDTH, column
    assert events.locator("tbody tr.form-row.has_original").count() == 3
    assert page.locator(".field-judicial_status .readonly").inner_text().strip() == "Unresolved"
