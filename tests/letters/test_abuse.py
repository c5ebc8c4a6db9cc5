"""Abuse defences: honeypot, time on page, rate limits kept narrow, blocked domains, admin."""

import json
import re

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from idei import rate_limits
from idei.client_address import client_ip, client_network
from idei.outbox.models import OutgoingMessage
from idei.redis_client import redis_client
from letters.models import BlockedEmailDomain, Signature
from letters.signing import abuse, confirmations
from letters.signing import services as signing
from tests.factories import UserFactory
from tests.letters.factories import SignatureFactory, open_campaign, sign_data, visitor_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits(abuse_clock):
    """No count left from another test, and a clock that moves only when a test moves it."""
    cache.clear()
    yield
    cache.clear()


def post_sign(client, campaign, ip="203.0.113.7", json_answer=False, forwarded="", **overrides):
    headers = {"Accept": "application/json"} if json_answer else {}
    meta = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return client.post(
        reverse("letters:sign", args=[campaign.slug]),
        sign_data(client, **overrides),
        REMOTE_ADDR=ip,
        headers=headers,
        **meta,
    )


CHECK_EMAIL = "/sign/check-your-email/"
# Requests that use up a limit: the next one is refused (the clock stands still).
IP_BURST = abuse.IP_LIMITS[0].count
EMAIL_BURST = abuse.EMAIL_LIMITS[0].count


# -- Honeypot and time on page ---------------------------------------------------------------


def test_a_filled_honeypot_gets_the_usual_answer_and_nothing_is_stored(client):
    campaign = open_campaign()

    response = post_sign(client, campaign, leave_empty="http://spam.example")

    assert response.status_code == 302 and response["Location"].endswith(CHECK_EMAIL)
    assert not Signature.objects.exists() and not OutgoingMessage.objects.exists()


def test_a_filled_honeypot_gets_the_same_json_as_a_person(client):
    campaign = open_campaign()

    bot = post_sign(client, campaign, json_answer=True, leave_empty="x", email="bot@example.org")
    person = post_sign(client, campaign, json_answer=True)

    # Each shows back the address typed, with a send-again form carrying a fresh CSRF token.
    def answer(response):
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.json()["html"])
        return html.replace("bot@example.org", "ADDRESS").replace("ana@example.org", "ADDRESS")

    assert answer(bot) == answer(person)
    assert bot.json()["status"] == person.json()["status"]
    assert Signature.objects.get().email == "ana@example.org"


def test_the_honeypot_is_hidden_from_people_screen_readers_and_the_tab_key(client):
    campaign = open_campaign()

    html = client.get(campaign.get_absolute_url()).content.decode()

    trap = html[html.index('class="sign-trap"') - 200 : html.index('name="leave_empty"') + 200]
    assert 'aria-hidden="true"' in trap and 'tabindex="-1"' in trap
    assert 'autocomplete="off"' in trap


def test_a_form_sent_faster_than_a_person_can_is_shown_again_and_nothing_is_stored(
    client, abuse_clock
):
    campaign = open_campaign()
    started = abuse.form_token(visitor_of(client), now=abuse_clock() - 1)

    response = post_sign(client, campaign, city="Oaxaca", started=started)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Please check your details and press Sign again." in html
    assert 'value="Oaxaca"' in html
    assert not Signature.objects.exists()

    # The person reads, presses Sign again a moment later: signed.
    abuse_clock.advance(3)
    assert post_sign(client, campaign, started=started).status_code == 302
    assert Signature.objects.count() == 1


def test_a_form_open_for_days_is_shown_again_with_the_input_kept(client, abuse_clock):
    campaign = open_campaign()

    response = post_sign(
        client,
        campaign,
        city="Oaxaca",
        started=abuse.form_token(visitor_of(client), now=abuse_clock() - 3 * 86400),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "open for a long time" in html and 'value="Oaxaca"' in html
    assert not Signature.objects.exists()


def test_sending_the_refreshed_form_again_signs(client, abuse_clock):
    campaign = open_campaign()
    old = abuse.form_token(visitor_of(client), now=abuse_clock() - 3 * 86400)
    html = post_sign(client, campaign, started=old).content.decode()
    fresh = html.split('name="started" value="', 1)[1].split('"', 1)[0]
    assert fresh != old

    # A person reads the message and sends again a few seconds later.
    abuse_clock.advance(5)
    response = post_sign(client, campaign, started=fresh)

    assert response.status_code == 302
    assert Signature.objects.count() == 1


@pytest.mark.parametrize("started", ["", "tampered", abuse.form_token("visitor")[:-2] + "xx"])
def test_a_missing_or_tampered_form_token_shows_the_form_again(client, started):
    campaign = open_campaign()

    response = post_sign(client, campaign, started=started)

    assert response.status_code == 400
    assert not Signature.objects.exists()


# -- The form token: once, by the visitor who fetched it -------------------------------------

STARTED = re.compile(r'name="started" value="([^"]+)"')
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
AGAIN = "Please check your details and press Sign again."


def test_a_form_token_signs_once_then_the_form_comes_back_with_a_fresh_one(
    client, rate_limit_store, abuse_clock
):
    campaign = open_campaign()
    started = sign_data(client)["started"]
    assert post_sign(client, campaign, started=started).status_code == 302

    # The same form sent again (a replay, or a bot reusing one fetched token).
    again = post_sign(client, campaign, started=started, email="other@example.org", city="León")

    assert again.status_code == 400
    html = again.content.decode()
    assert AGAIN in html and 'value="other@example.org"' in html and 'value="León"' in html
    fresh = STARTED.search(html).group(1)
    assert fresh != started
    assert list(Signature.objects.values_list("email", flat=True)) == ["ana@example.org"]
    # The person sends the form shown again, a few seconds later: signed.
    abuse_clock.advance(5)
    response = post_sign(client, campaign, started=fresh, email="other@example.org")
    assert response.status_code == 302
    assert Signature.objects.count() == 2


def test_a_form_token_fetched_by_another_client_is_refused_and_replaced(client, abuse_clock):
    from django.test import Client

    campaign = open_campaign()
    fetcher = Client()
    stolen = sign_data(fetcher)["started"]  # bound to the fetcher's CSRF cookie

    response = post_sign(client, campaign, started=stolen, city="Oaxaca")

    assert response.status_code == 400
    html = response.content.decode()
    assert AGAIN in html and 'value="Oaxaca"' in html
    assert not Signature.objects.exists()
    # The token the form came back with is this client's own.
    fresh = STARTED.search(html).group(1)
    assert abuse.check_form_token(fresh, visitor_of(client)).state == abuse.FormToken.TOO_FAST
    abuse_clock.advance(5)
    assert post_sign(client, campaign, started=fresh).status_code == 302


def test_a_post_without_a_csrf_cookie_never_signs_with_a_fetched_token(client, abuse_clock):
    from django.test import Client

    campaign = open_campaign()
    cookieless = Client()  # the test client does not enforce CSRF: only the token binds
    started = sign_data(client)["started"]

    response = cookieless.post(
        reverse("letters:sign", args=[campaign.slug]),
        {**sign_data(), "started": started},
        REMOTE_ADDR="203.0.113.7",
    )

    assert response.status_code == 400 and AGAIN in response.content.decode()
    assert not Signature.objects.exists()


def test_a_real_browser_session_signs_once_with_the_cached_page_token(abuse_clock):
    from django.test import Client

    campaign = open_campaign()
    Client().get(campaign.get_absolute_url())  # rendered and cached by another visitor
    browser = Client(enforce_csrf_checks=True)
    html = browser.get(campaign.get_absolute_url()).content.decode()
    form = {
        **sign_data(),
        "started": STARTED.search(html).group(1),
        "csrfmiddlewaretoken": CSRF_TOKEN.search(html).group(1),
    }
    url = reverse("letters:sign", args=[campaign.slug])
    abuse_clock.advance(10)  # the person reads the page

    first = browser.post(url, form, REMOTE_ADDR="203.0.113.7")
    second = browser.post(url, {**form, "email": "bot@example.org"}, REMOTE_ADDR="203.0.113.7")

    assert first.status_code == 302 and second.status_code == 400
    assert list(Signature.objects.values_list("email", flat=True)) == ["ana@example.org"]


def test_a_fresh_token_comes_with_a_rate_limited_form(client):
    campaign = open_campaign()
    for n in range(IP_BURST):
        post_sign(client, campaign, email=f"p{n}@example.org")
    started = sign_data(client)["started"]

    html = post_sign(client, campaign, started=started, email="late@example.org").content.decode()

    # Counted and refused, its token used up: the form shown again carries another.
    assert STARTED.search(html).group(1) != started


# -- Rate limits per network -------------------------------------------------------------------


def test_too_many_signatures_from_one_address_get_429_with_the_input_kept(client):
    campaign = open_campaign()
    for n in range(IP_BURST):
        post_sign(client, campaign, email=f"p{n}@example.org")

    response = post_sign(client, campaign, email="late@example.org", city="Mérida")

    assert response.status_code == 429
    # Within the next minute and the part of this one that still counts (idei.rate_limits).
    assert 1 <= int(response["Retry-After"]) <= 2 * 60
    html = response.content.decode()
    assert "Please wait a few minutes" in html
    assert 'value="late@example.org"' in html and 'value="Mérida"' in html
    assert not Signature.objects.filter(email="late@example.org").exists()


def test_the_limit_answer_for_fetch_is_json_with_the_form(client):
    campaign = open_campaign()
    for n in range(IP_BURST):
        post_sign(client, campaign, email=f"p{n}@example.org")

    response = post_sign(client, campaign, json_answer=True, email="late@example.org")

    assert response.status_code == 429
    data = json.loads(response.content)
    assert data["status"] == "refused" and 'value="late@example.org"' in data["html"]


def test_one_abusive_address_does_not_block_signers_elsewhere(client):
    campaign = open_campaign()
    for n in range(IP_BURST + 1):
        spam = post_sign(client, campaign, ip="198.51.100.1", email=f"spam{n}@example.org")

    response = post_sign(client, campaign, ip="198.51.100.2", email="honest@example.org")

    assert spam.status_code == 429
    assert response.status_code == 302
    assert Signature.objects.filter(email="honest@example.org").exists()


def test_ipv6_addresses_in_one_64_share_a_limit_and_other_networks_do_not(client):
    campaign = open_campaign()
    for n in range(IP_BURST):
        post_sign(client, campaign, ip=f"2001:db8:1:2::{n + 1:x}", email=f"v6-{n}@example.org")

    same_64 = post_sign(client, campaign, ip="2001:db8:1:2:ffff::1", email="same@example.org")
    next_64 = post_sign(client, campaign, ip="2001:db8:1:3::1", email="next@example.org")

    assert same_64.status_code == 429
    assert next_64.status_code == 302


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("garbage", "0.0.0.0"),  # noqa: S104 - no usable address: one shared unit
    ],
)
def test_ip_group(address, group):
    # The unit the sign form's network limits count (idei.client_address).
    assert client_network(RequestFactory().post("/", REMOTE_ADDR=address)) == group


def test_x_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")

    assert client_ip(request) == "10.0.0.1"


def test_x_forwarded_for_is_read_as_deep_as_the_trusted_proxies_and_no_deeper(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote "1.2.3.4" itself; our proxy appended the address it saw.
    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5"
    )

    assert client_ip(request) == "203.0.113.5"


def test_two_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5, 10.0.0.1"
    )

    assert client_ip(request) == "203.0.113.5"


def test_a_short_or_garbled_forwarded_header_falls_back_to_the_connection(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    short = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    garbled = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="<script>, 10.0.0.9"
    )

    assert client_ip(short) == "10.0.0.1"
    assert client_ip(garbled) == "10.0.0.1"


def test_behind_a_trusted_proxy_clients_are_limited_one_by_one(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    campaign = open_campaign()
    for n in range(IP_BURST + 1):
        limited = post_sign(
            client,
            campaign,
            ip="10.0.0.1",
            email=f"x{n}@example.org",
            forwarded="203.0.113.50",
        )

    other = post_sign(
        client, campaign, ip="10.0.0.1", email="y@example.org", forwarded="203.0.113.51"
    )

    assert limited.status_code == 429
    assert other.status_code == 302


# -- Rate limits per e-mail address --------------------------------------------------------


def test_one_address_entered_too_often_gets_429(client):
    first, other = open_campaign(), open_campaign()
    for n in range(EMAIL_BURST):
        post_sign(client, first, ip=f"203.0.113.{n + 1}")

    response = post_sign(client, other, ip="203.0.113.99", email="ANA@example.org")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 2 * 3600
    assert "entered many times" in response.content.decode()
    assert not Signature.objects.filter(campaign=other).exists()


def test_a_limited_address_does_not_block_other_addresses_on_the_same_network(client):
    campaign = open_campaign()
    for _ in range(EMAIL_BURST + 1):
        victim = post_sign(client, campaign, email="victim@example.org")

    response = post_sign(client, campaign, email="neighbour@example.org")

    assert victim.status_code == 429
    assert response.status_code == 302
    assert Signature.objects.filter(email="neighbour@example.org").exists()


def test_rate_limit_keys_never_hold_an_address_in_clear():
    key = rate_limits._key(abuse.EMAIL_LIMITS[0], "email:ana@example.org", window=0)

    assert "ana" not in key and "example" not in key


# -- Blocked e-mail domains ----------------------------------------------------------------


def test_an_address_at_a_blocked_domain_is_refused_with_a_message(client):
    BlockedEmailDomain.objects.create(domain="Mailinator.com")
    campaign = open_campaign()

    response = post_sign(client, campaign, email="x@mailinator.com")

    assert response.status_code == 400
    assert "Addresses at mailinator.com cannot be used" in response.content.decode()
    assert not Signature.objects.exists()


def test_subdomains_of_a_blocked_domain_are_refused_too(client):
    BlockedEmailDomain.objects.create(domain="spam.example")
    campaign = open_campaign()

    assert post_sign(client, campaign, email="x@eu.spam.example").status_code == 400
    assert post_sign(client, campaign, email="x@notspam.example").status_code == 302


# -- Admin ---------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_signature_list_in_admin_never_shows_e_mail_addresses(admin_client):
    SignatureFactory(email="private.person@example.org", name="Private Person")

    html = admin_client.get(reverse("admin:letters_signature_changelist")).content.decode()

    assert "Private Person" in html
    assert "private.person@example.org" not in html


def test_signatures_in_admin_are_read_only_and_searchable_by_campaign(admin_client):
    signature = SignatureFactory()

    found = admin_client.get(
        reverse("admin:letters_signature_changelist"), {"q": signature.campaign.slug}
    )
    change = admin_client.post(
        reverse("admin:letters_signature_change", args=[signature.pk]), {"name": "Changed"}
    )

    assert signature.name in found.content.decode()
    assert change.status_code == 403
    signature.refresh_from_db()
    assert signature.name != "Changed"


def test_outbox_in_admin_filters_by_status_and_kind(admin_client):
    OutgoingMessage.objects.create(
        idempotency_key="k1",
        kind="confirmation",
        to_email="a@example.org",
        subject="Hi",
        body_text="b",
    )

    response = admin_client.get(
        reverse("admin:outbox_outgoingmessage_changelist"),
        {"status__exact": "queued", "kind__exact": "confirmation"},
    )

    assert response.status_code == 200
    assert "Confirmation request" in response.content.decode()


def test_blocked_domains_are_added_in_admin(admin_client):
    response = admin_client.post(
        reverse("admin:letters_blockedemaildomain_add"),
        {"domain": " @Throwaway.example ", "reason": "disposable"},
    )

    assert response.status_code == 302
    assert BlockedEmailDomain.objects.get().domain == "throwaway.example"


def test_letters_in_admin_are_read_only(admin_client):
    assert admin_client.get(reverse("admin:letters_letter_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:letters_letter_add")).status_code == 403


def test_signing_and_confirming_still_work_when_the_cache_is_down(
    client, settings, django_capture_on_commit_callbacks
):
    from tests.conftest import free_port
    from tests.letters.factories import confirmation_token

    settings.CACHES = {
        **settings.CACHES,  # the other aliases (fragments) as configured
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nobody listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    campaign = open_campaign()

    with django_capture_on_commit_callbacks(execute=True):
        signed = post_sign(client, campaign)
    token = confirmation_token(OutgoingMessage.objects.get(kind="confirmation").body_text)
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(reverse("letters:confirm", args=[token]))

    assert signed.status_code == 302 and confirmed.status_code == 302
    assert Signature.objects.confirmed().count() == 1


# -- Sliding windows, on Redis and on Django's cache API -------------------------------------

MINUTE = 60


@pytest.fixture(params=["cache-api", "redis"])
def rate_limit_store(request, settings):
    """Rate limits counted on the real Redis (one pipeline) or through Django's cache API."""
    if request.param == "redis":
        request.getfixturevalue("redis_broker")
        assert redis_client() is not None
    else:
        settings.CACHES = {
            **settings.CACHES,  # the other aliases (fragments) as configured
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "test-rate-limits",
            },
        }
        assert redis_client() is None
    cache.clear()
    yield request.param
    cache.clear()


def next_window_start(clock, seconds: int = MINUTE) -> float:
    return (clock() // seconds + 1) * seconds


def passed(limits, value: str, requests: int) -> int:
    """How many of so many requests, sent now, a limit lets through."""
    return sum(rate_limits.hit(limits, value) for _ in range(requests))


@pytest.mark.parametrize("before_boundary", [1, 5, 9, 10])
def test_a_burst_straddling_a_window_boundary_passes_the_limit_once(
    rate_limit_store, abuse_clock, before_boundary
):
    limits = (rate_limits.Limit("test-burst", 10, MINUTE),)
    boundary = next_window_start(abuse_clock)

    abuse_clock.set(boundary - 0.5)
    first = passed(limits, "k", before_boundary)
    abuse_clock.set(boundary + 0.5)
    second = passed(limits, "k", 20 - before_boundary)

    # Fixed windows would have let through the first part and then 10 more.
    assert first == before_boundary
    assert first + second == 10


def test_the_limit_frees_up_as_the_window_slides(rate_limit_store, abuse_clock):
    limits = (rate_limits.Limit("test-slide", 10, MINUTE),)
    start = next_window_start(abuse_clock)

    abuse_clock.set(start)
    assert passed(limits, "k", 10) == 10
    abuse_clock.set(start + MINUTE - 1)
    assert passed(limits, "k", 1) == 0  # the last minute holds the 10
    abuse_clock.set(start + MINUTE + MINUTE / 2)
    # Half of the minute before has slid out: of its 11 requests (the refused one counts too),
    # 5.5 are still in the window, which leaves room for 4.
    assert passed(limits, "k", 10) == 4
    abuse_clock.set(start + 3 * MINUTE)
    assert passed(limits, "k", 11) == 10  # a whole minute without a request


@pytest.mark.parametrize(
    ("previous", "current", "wait"),
    [
        (10, 1, 0),  # half of the previous minute still counts: 5 + 1 is within 10
        (20, 6, 21),  # 10 + 6 is over; at 51 s into this minute, 3 + 6 + 1 fits
        (0, 11, 41),  # this minute alone is over: the next one, once 2/11 of it slid out
    ],
)
def test_a_refused_request_is_told_how_long_to_wait(previous, current, wait):
    window = rate_limits._Window.at(rate_limits.Limit("test-wait", 10, MINUTE), "k", 600 + 30)
    assert window.wait(current, previous) == wait


def test_limits_counted_together_keep_each_groups_own_count(rate_limit_store):
    tight = (rate_limits.Limit("test-tight", count=1, seconds=MINUTE),)
    loose = (rate_limits.Limit("test-loose", count=5, seconds=MINUTE),)

    assert rate_limits.hit_many([(tight, "a"), (loose, "b")]) == [True, True]
    # The first group is over its limit; the second is still counted, and only once.
    assert rate_limits.hit_many([(tight, "a"), (loose, "b")]) == [False, True]
    assert [rate_limits.hit(loose, "b") for _ in range(3)] == [True, True, True]
    assert rate_limits.hit(loose, "b") is False  # the 6th


def test_on_redis_all_limits_of_a_sign_request_are_counted_in_one_round_trip(
    redis_broker, monkeypatch
):
    import redis

    from idei.celery import app as celery_app

    celery_app.conf.task_always_eager = False  # as where a worker runs (set back below)
    pipelines, direct = [], []
    execute = redis.client.Pipeline.execute

    def counted_execute(pipe, *args, **kwargs):
        pipelines.append(len(pipe.command_stack))
        return execute(pipe, *args, **kwargs)

    cache.delete(confirmations.WAKE_KEY)
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7")
    try:
        with monkeypatch.context() as patch:
            patch.setattr(redis.client.Pipeline, "execute", counted_execute)
            patch.setattr(redis.Redis, "execute_command", lambda *a, **kw: direct.append(a))
            use = abuse.check_form_token(abuse.form_token("v", now=0), "v", now=60).use
            first = signing.admit(request, "email-key", use)
            second = signing.admit(request, "other-key", use)
    finally:
        celery_app.conf.task_always_eager = True

    assert (first.network_wait, first.address_wait) == (0, 0)
    # The limits (all windows in one script), the form token's use, the claim to wake the
    # confirmation worker and the watchlist's counts (domain and network: ZINCRBY and EXPIRE
    # each), in one pipeline each time; the first request wins both claims, the second finds
    # them made.
    per_request = 1 + 1 + 1 + 4
    assert pipelines == [per_request, per_request]
    assert direct == []
    assert (first.wake_claimed, second.wake_claimed) == (True, False)
    assert (first.form_token_reused, second.form_token_reused) == (False, True)
    cache.delete(confirmations.WAKE_KEY)


def test_a_form_that_will_not_be_signed_counts_its_network_only_and_claims_nothing(
    redis_broker,
):

    cache.delete(confirmations.WAKE_KEY)
    admission = signing.admit(RequestFactory().post("/", REMOTE_ADDR="203.0.113.8"), None)
    assert admission.wake_claimed is None
    assert cache.get(confirmations.WAKE_KEY) is None


def test_on_redis_counts_are_kept_under_the_cache_key_prefix_and_expire(redis_broker):
    import redis

    rate_limits.hit((rate_limits.Limit("test-prefix", 5, MINUTE),), "k")

    client = redis.Redis.from_url(redis_broker)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*idei:rl:test-prefix:*"))
    assert len(keys) == 1
    # Kept through the next window, where it is read as the previous window's count.
    assert MINUTE < client.ttl(keys[0]) <= 2 * MINUTE + 5
