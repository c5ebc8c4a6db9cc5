"""The case database in a real Chromium, with axe-core on every page: a reader's journey."""

import datetime

import pytest

from cases.models import Case, CaseEvent
from tests.conftest import AccessibilityAudit
from tests.factories import CampaignFactory, CaseEventFactory, CaseFactory, CaseSourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {
        **settings.CACHES,  # the other aliases (fragments) as configured
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "browser-case-pages",
        },
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def cases():
    lucia = CaseFactory(
        full_name="Lucía Ortega",
        country="MX",
        place="Culiacán",
        outlets="Ríodoce",
        date_of_death=datetime.date(2017, 5, 15),
        impunity=Case.Impunity.COMPLETE,
        unesco_status=Case.UnescoStatus.ONGOING,
        summary="She investigated organised crime in Sinaloa.",
    )
    CaseEventFactory(
        case=lucia,
        date=datetime.date(2017, 5, 16),
        kind=CaseEvent.Kind.INVESTIGATION,
        description="The special prosecutor opens an investigation.",
        source_title="Prosecutor's statement",
    )
    CaseEventFactory(
        case=lucia,
        date=datetime.date(2020, 6, 9),
        kind=CaseEvent.Kind.CONVICTION,
        description="One gunman is sentenced; those who ordered the killing are not charged.",
        source_title="Court ruling",
    )
    CaseSourceFactory(case=lucia, title="CPJ profile", publisher="CPJ")
    CaseFactory(
        full_name="Mario Justo",
        country="MX",
        date_of_death=datetime.date(2012, 3, 1),
        impunity=Case.Impunity.FULL_JUSTICE,
        unesco_status=Case.UnescoStatus.RESOLVED,
    )
    for year in range(2016, 2022):
        CaseFactory(
            full_name=f"Brazil Reporter {year}",
            country="BR",
            date_of_death=datetime.date(year, 2, 1),
        )
    CampaignFactory(title="Justice for Lucía", slug="justice-for-lucia").cases.add(lucia)
    return lucia


def test_reader_filters_by_country_and_status_then_reads_a_case_and_its_country(page, cases):
    page.goto("/cases/")
    page.get_by_label("Country").select_option("MX")
    page.get_by_role("checkbox", name="Unresolved", exact=True).check()
    page.get_by_role("button", name="Show cases").click()
    page.wait_for_url("**/cases/?*country=MX*")
    assert "status=unresolved" in page.url
    results = page.locator(".case-card")
    assert results.count() == 1
    assert "1 case" in page.get_by_role("heading", name="1 case").inner_text()

    results.get_by_role("link", name="Lucía Ortega").click()
    page.wait_for_url("**/cases/mx/lucia-ortega-2017/")
    assert page.get_by_role("heading", level=1).inner_text() == "Lucía Ortega"
    timeline = page.locator("ol.timeline > li")
    assert timeline.count() == 2
    assert "Investigation opened" in timeline.nth(0).inner_text()
    assert "One gunman is sentenced" in timeline.nth(1).inner_text()
    assert page.get_by_role("link", name="Justice for Lucía").get_attribute("href") == (
        "/campaigns/justice-for-lucia/"
    )
    assert page.locator(".status-badge").first.inner_text().strip().endswith("Unresolved")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Mexico").click()
    page.wait_for_url("**/cases/mx/")
    assert "Journalists killed in Mexico" in page.get_by_role("heading", level=1).inner_text()
    numbers = page.locator(".figure-number").all_inner_texts()
    assert numbers[0] == "2"
    assert numbers[1] == "50%"
    assert page.locator("figure.chart svg rect").count() >= 2
    page.get_by_text("The figures as a table").click()
    assert page.get_by_role("row", name="2017").is_visible()


def test_statistics_page_shows_the_map_and_leads_to_a_country(page, cases):
    page.goto("/cases/statistics/")
    assert page.locator("svg.world-map path").count() > 200
    assert page.locator("svg.world-map a[href='/cases/br/']").count() == 1
    assert page.get_by_role("cell", name="Brazil").count() == 0  # a row header, not a cell
    page.get_by_text("Cases and unresolved cases per country, as a table").click()
    page.get_by_role("link", name="Brazil").first.click()
    page.wait_for_url("**/cases/br/")
    assert page.locator(".figure-number").first.inner_text() == "6"


def test_bad_filters_are_explained_on_the_page(page, cases):
    page.goto("/cases/?year_min=abc&country=ZZ")
    alert = page.get_by_role("alert")
    assert "Some filters could not be used" in alert.inner_text()
    assert "ZZ" in alert.inner_text()
    alert.get_by_role("link", name="From year").click()
    assert page.evaluate("document.activeElement.id") == "id_year_min"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_case_pages_fit_a_phone(browser, live_server, cases, artifacts_dir, language):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 375, "height": 740},
        locale=language,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        bypass_csp=True,  # for axe's injected script only
    )
    page = context.new_page()
    audit = AccessibilityAudit(page)
    for path in ["/cases/", "/cases/mx/", cases.get_absolute_url(), "/cases/statistics/"]:
        page.goto(path)
        audit.run()
        direction = page.locator("html").get_attribute("dir")
        assert direction == ("rtl" if language == "ar" else "ltr")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=str(artifacts_dir / f"{name}-phone-{language}.png"), full_page=True)
    context.close()
    assert not audit.violations, "\n".join(audit.violations)


def test_reader_pages_through_a_broad_search_counted_up_to_its_bound(postgres, page, monkeypatch):
    """More matches than the bound: "More than 5 cases", newest first, pages without a total."""
    from cases import search, views

    monkeypatch.setattr(search, "BROAD_SEARCH", 5)
    monkeypatch.setattr(views, "CASES_PER_PAGE", 2)
    for year in range(2010, 2018):
        CaseFactory(
            full_name=f"Radio Reporter {year}",
            summary="A radio journalist.",
            date_of_death=datetime.date(year, 3, 1),
        )
    page.goto("/cases/?q=radio")
    assert page.get_by_role("heading", name="More than 5 cases").is_visible()
    assert page.get_by_text("they are listed newest first").is_visible()
    assert page.locator(".case-card").first.inner_text().startswith("Radio Reporter 2017")
    assert page.locator(".pagination [aria-current=page]").inner_text() == "Page 1"
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url("**/cases/?*page=2*")
    assert page.locator(".pagination [aria-current=page]").inner_text() == "Page 2"
    assert page.locator(".case-card").first.inner_text().startswith("Radio Reporter 2015")
