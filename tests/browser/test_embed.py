"""The embed on another website, in a browser that blocks third-party cookies.

A host page is served from 127.0.0.2 (another site to the browser: loopback addresses are
sites of their own) and frames the embed from the live server on 127.0.0.1. Chromium runs with
third-party cookies blocked; the signer signs in the frame, confirms from the e-mail read back
from the real SMTP server, and sees the count rise in the frame. The same without JavaScript.
A campaign that lists other origins is refused by the browser itself (CSP frame-ancestors).
"""

import http.server
import re
import shutil
import threading

import pytest
from django.core.cache import cache

from campaigns.models import Campaign
from letters.models import Signature, Source
from tests.conftest import CHROMIUM_FLAGS, free_port
from tests.factories import OrganisationFactory
from tests.letters.factories import open_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

READING_MS = 3200  # a person reads before sending; the form refuses what comes faster
HOST_ADDRESS = "127.0.0.2"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cookie_blocking_browser(browser):
    """Chromium with third-party cookies blocked (its own test switch for the phase-out),
    launched by the session's Playwright."""
    instance = browser.browser_type.launch(
        executable_path=shutil.which("chromium"),
        args=[*CHROMIUM_FLAGS, "--test-third-party-cookie-phaseout"],
    )
    yield instance
    instance.close()


@pytest.fixture
def site_url(live_server, settings):
    """The live server as 127.0.0.1 (the host page is on 127.0.0.2); e-mails link to it."""
    url = live_server.url.replace("localhost", "127.0.0.1")
    settings.SITE_URL = url
    return url


class HostSite:
    """Another website, on its own loopback address, whose page frames the embed."""

    def __init__(self, html: str):
        body = html.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((HOST_ADDRESS, free_port()), Handler)
        self.url = f"http://{HOST_ADDRESS}:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def host_page(site_url: str, campaign, query: str = "") -> str:
    """A partner's page with the two lines the dashboard gives."""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A partner's website</title></head><body><main><h1>Our partner page</h1>
<iframe src="{site_url}/campaigns/{campaign.slug}/embed/{query}" title="Sign the letter"
 style="width:100%;max-width:640px;height:500px;border:0" data-idei-embed></iframe>
<script src="{site_url}/static/js/embed.js" async></script>
</main></body></html>"""


def frame_of(page):
    page.wait_for_selector("iframe[data-idei-embed]")
    frame = page.frame_locator("iframe[data-idei-embed]")
    frame.locator("h1, #sign-heading").first.wait_for()
    return frame


def shown_count(frame) -> int:
    return int(re.sub(r"\D", "", frame.locator(".signature-count").first.inner_text()))


def sign_in_frame(page, frame, email: str):
    frame.get_by_label("Your name").fill("Lucía Hernández")
    frame.get_by_label("Your e-mail address").fill(email)
    frame.get_by_label("Your country").select_option("MX")
    page.wait_for_timeout(READING_MS)
    frame.get_by_role("button", name="Sign the letter").click()
    frame.get_by_role("heading", name="Check your e-mail").wait_for()


def confirm_from_mail(page, smtp_server, count: int):
    mail = smtp_server.wait_for(count)[-1]
    text = mail.get_body(("plain",)).get_content()
    link = re.search(r"http\S+/signatures/confirm/\S+/", text).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm my signature").click()
    page.get_by_role("heading", name="Thank you: your signature counts").wait_for()


def cookies_blocked_in_frame(page) -> bool:
    frame = next(f for f in page.frames if "/embed/" in f.url)
    return frame.evaluate(
        "() => { document.cookie = 'probe=1; SameSite=None; Secure';"
        " document.cookie = 'probe2=1'; return document.cookie === ''; }"
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_partner_site_frames_the_embed_and_a_signature_counts(
    cookie_blocking_browser, site_url, smtp_server, artifacts_dir, javascript
):
    campaign = open_campaign(title="Justice for Javier Valdez")
    partner = OrganisationFactory(name="Reporters Together")
    campaign.partnerships.create(organisation=partner, source_code="rt2026")
    context = cookie_blocking_browser.new_context(
        java_script_enabled=javascript, viewport={"width": 800, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        with HostSite(host_page(site_url, campaign, "?source=rt2026")) as host:
            page.goto(host.url)
            frame = frame_of(page)
            before = shown_count(frame)
            if javascript:
                assert cookies_blocked_in_frame(page), "third-party cookies are not blocked"
                # embed.js sized the frame to its content.
                page.wait_for_function(
                    "document.querySelector('iframe[data-idei-embed]').style.height !== '500px'"
                )
            sign_in_frame(page, frame, f"lucia-{javascript}@example.org")
            page.screenshot(path=str(artifacts_dir / f"embed-check-email-{javascript}.png"))
            # Nothing relied on a cookie of ours in the frame: the browser holds none of them.
            assert context.cookies([site_url]) == []

            confirm_from_mail(page, smtp_server, 1)

            page.goto(host.url)
            assert shown_count(frame_of(page)) == before + 1
    finally:
        context.close()
    signature = Signature.objects.get(campaign=campaign)
    assert (signature.source, signature.partner) == (Source.EMBED, partner)


@pytest.mark.parametrize("listed", [False, True], ids=["other-site-listed", "host-listed"])
def test_only_the_sites_a_campaign_lists_may_frame_it(cookie_blocking_browser, site_url, listed):
    campaign = open_campaign()
    context = cookie_blocking_browser.new_context()
    page = context.new_page()
    try:
        with HostSite(host_page(site_url, campaign)) as host:
            allowed = host.url.rstrip("/") if listed else "https://only.example.org"
            Campaign.objects.filter(pk=campaign.pk).update(embed_origins=allowed)
            page.goto(host.url)
            page.wait_for_load_state("load")
            page.wait_for_timeout(1000)
            frames = [frame for frame in page.frames if frame != page.main_frame]
            forms = sum(frame.locator("form[data-sign-form]").count() for frame in frames)
    finally:
        context.close()
    assert forms == (1 if listed else 0)


def test_the_embed_passes_axe(page, site_url, artifacts_dir):
    campaign = open_campaign()
    partner = OrganisationFactory(name="Reporters Together")
    campaign.partnerships.create(organisation=partner, source_code="rt2026")

    page.goto(f"{site_url}/campaigns/{campaign.slug}/embed/?source=rt2026")
    page.get_by_text("Read the letter").click()
    page.get_by_label("Your e-mail address").fill("not-an-address")
    page.wait_for_timeout(READING_MS)
    page.get_by_role("button", name="Sign the letter").click()
    page.locator("#sign-errors").wait_for()
    page.screenshot(path=str(artifacts_dir / "embed-errors.png"), full_page=True)
    page.accessibility_audit.run()  # the form with its errors and the partner's consent
    page.goto(f"{site_url}/campaigns/{campaign.slug}/embed/check-your-email/")
    page.accessibility_audit.run()
    assert len(page.accessibility_audit.audited) >= 3
