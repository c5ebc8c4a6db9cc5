"""Brute force: sign-in lockout per account and per client network (django-axes), and the
password-reset limits, through HTTP with the real database, cache (Redis) and SMTP server."""

import datetime
import logging

import pytest
from axes.models import AccessAttempt

from campaigns import accounts
from idei import rate_limits
from idei.logging import keyed_hash
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def sign_in(client, username, password, address="198.51.100.7", **extra):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def fail(client, username, times, address="198.51.100.7", **extra):
    return [sign_in(client, username, "wrong-guess", address, **extra) for _ in range(times)]


def date_failures_back(**ago):
    """As if the failures had happened this long ago: the records move, not the clock."""
    now = datetime.datetime.now(datetime.UTC)
    AccessAttempt.objects.update(attempt_time=now - datetime.timedelta(**ago))


def test_four_wrong_passwords_are_refused_without_a_lockout(client):
    UserFactory(username="ana")
    responses = fail(client, "ana", 4)
    assert [r.status_code for r in responses] == [200] * 4
    assert sign_in(client, "ana", PASSWORD).status_code == 302


def test_the_fifth_wrong_password_locks_the_account_with_429_and_the_time_to_wait(client):
    UserFactory(username="ana")
    *_, fifth = fail(client, "ana", 5)
    assert fifth.status_code == 429
    assert 840 <= int(fifth["Retry-After"]) <= 900
    html = fifth.content.decode()
    assert 'id="wait-message"' in html
    assert "Please wait 15 minutes, then try again." in html

    # The right password does not get through during the lockout.
    response = sign_in(client, "ana", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_thirty_guesses_never_sign_in_and_keep_the_first_lockout_time(client):
    UserFactory(username="ana")
    responses = fail(client, "ana", 30)
    assert all(r.status_code == 429 for r in responses[4:])
    # Guessing on during the lockout does not push its end further away.
    (attempt,) = AccessAttempt.objects.filter(username="ana")
    assert attempt.failures_since_start == 5


def test_the_account_is_locked_from_every_network(client):
    UserFactory(username="ana")
    fail(client, "ana", 5, address="198.51.100.7")
    assert sign_in(client, "ana", PASSWORD, address="203.0.113.50").status_code == 429


def test_one_network_guessing_many_accounts_is_locked_out_but_others_are_not(client):
    UserFactory(username="ana")
    for n in range(5):
        sign_in(client, f"someone-{n}", "wrong-guess", address="198.51.100.7")
    assert sign_in(client, "ana", PASSWORD, address="198.51.100.7").status_code == 429
    assert sign_in(client, "ana", PASSWORD, address="203.0.113.50").status_code == 302


def test_an_ipv6_client_cannot_escape_by_changing_address_within_its_64(client):
    UserFactory(username="ana")
    for n in range(5):
        sign_in(client, f"someone-{n}", "wrong-guess", address=f"2001:db8:1:2::{n + 1}")
    assert sign_in(client, "ana", PASSWORD, address="2001:db8:1:2::ffff").status_code == 429
    assert sign_in(client, "ana", PASSWORD, address="2001:db8:1:3::1").status_code == 302


def test_behind_our_proxy_the_client_network_comes_from_x_forwarded_for(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="ana")
    for n in range(5):
        # The attacker writes its own X-Forwarded-For entries; our proxy appends the real one.
        sign_in(
            client,
            f"someone-{n}",
            "wrong-guess",
            address="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.7",
        )
    locked = sign_in(
        client, "ana", PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert locked.status_code == 429
    # Another client behind the same proxy is not locked out with it.
    other = sign_in(
        client, "ana", PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.50"
    )
    assert other.status_code == 302


def test_the_lockout_ends_after_fifteen_minutes(client):
    UserFactory(username="ana")
    fail(client, "ana", 5)
    # Fifteen minutes and a second pass (the failures are dated back, the clock is not moved).
    date_failures_back(minutes=15, seconds=1)
    assert sign_in(client, "ana", PASSWORD).status_code == 302


def test_the_wait_shown_counts_down_from_the_lockout(client):
    UserFactory(username="ana")
    fail(client, "ana", 5)
    date_failures_back(minutes=14, seconds=10)
    response = sign_in(client, "ana", PASSWORD)
    assert response.status_code == 429
    seconds = int(response["Retry-After"])
    assert 40 <= seconds <= 50
    assert f"Please wait {seconds} seconds, then try again." in response.content.decode()


def test_a_right_password_before_the_limit_resets_the_count(client):
    UserFactory(username="ana")
    fail(client, "ana", 4)
    assert sign_in(client, "ana", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    assert [r.status_code for r in fail(client, "ana", 4)] == [200] * 4


def test_every_lockout_is_logged_with_the_account_and_network(client, caplog):
    UserFactory(username="ana")
    with caplog.at_level(logging.WARNING, logger="campaigns.accounts"):
        fail(client, "ana", 6)
    lockouts = [r for r in caplog.records if getattr(r, "event", "") == "sign_in_locked_out"]
    assert len(lockouts) == 2  # the fifth failure and the attempt after it
    assert lockouts[0].username == "ana"
    # Logs never hold an address: the network is there as its keyed hash (idei/logging.py).
    assert lockouts[0].client_network == keyed_hash("ip", "198.51.100.7")


def test_the_admin_sign_in_goes_through_the_same_locked_page(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
    assert "_auth_user_id" not in client.session
    fail(client, "root", 5)
    assert sign_in(client, "root", PASSWORD).status_code == 429


def test_the_lockout_applies_to_a_wrong_method_and_hostile_names_without_error(client):
    UserFactory(username="ana")
    assert client.put("/accounts/login/").status_code == 405
    for username in ("a" * 10_000, "ana\x00", "<script>alert(1)</script>", "ana\r\nX: y"):
        response = sign_in(client, username, "wrong-guess")
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.content.decode()


# -- Password reset --------------------------------------------------------------------------


@pytest.fixture
def reset_limits():
    """The limits count in the cache, which outlives each test's database: forget them."""
    used = []
    yield used
    for limit, value in used:
        rate_limits.reset((limit,), value)


def ask_reset(client, address, network):
    return client.post("/accounts/password/reset/", {"email": address}, REMOTE_ADDR=network)


def test_password_reset_sends_three_mails_an_hour_to_one_address(
    client, smtp_server, reset_limits, abuse_clock
):
    abuse_clock.set(3600 * 500_000)  # the start of an hour's window
    UserFactory(username="ana", email="ana.reset@example.org")
    reset_limits += [
        (accounts.RESET_PER_ADDRESS, "address:ana.reset@example.org"),
        (accounts.RESET_PER_NETWORK, "network:198.51.100.21"),
        (accounts.RESET_PER_NETWORK, "network:198.51.100.22"),
    ]
    for _ in range(3):
        assert ask_reset(client, "ana.reset@example.org", "198.51.100.21").status_code == 302
    smtp_server.wait_for(3)

    # From another network, in other letter case: the same address, refused.
    refused = ask_reset(client, "Ana.Reset@Example.org", "198.51.100.22")
    assert refused.status_code == 429
    # A sliding hour: the 4 requests of this hour (the refused one counts too) must slide
    # out until the next fits, half-way into the next hour (idei.rate_limits).
    assert int(refused["Retry-After"]) == 5400
    assert "Please wait 90 minutes, then try again." in refused.content.decode()
    with pytest.raises(AssertionError):
        smtp_server.wait_for(4, timeout=1)


def test_password_reset_is_limited_per_network_whatever_the_address(
    client, smtp_server, reset_limits
):
    network = "198.51.100.23"
    reset_limits.append((accounts.RESET_PER_NETWORK, "network:" + network))
    for n in range(10):
        reset_limits.append((accounts.RESET_PER_ADDRESS, f"address:person{n}@example.org"))
        assert ask_reset(client, f"person{n}@example.org", network).status_code == 302
    refused = ask_reset(client, "person10@example.org", network)
    reset_limits.append((accounts.RESET_PER_ADDRESS, "address:person10@example.org"))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    # Another network is not held up by this one.
    other = ask_reset(client, "person10@example.org", "203.0.113.60")
    reset_limits.append((accounts.RESET_PER_NETWORK, "network:203.0.113.60"))
    assert other.status_code == 302


def test_a_malformed_reset_request_is_refused_with_a_message_and_not_counted(client, reset_limits):
    network = "198.51.100.24"
    reset_limits.append((accounts.RESET_PER_NETWORK, "network:" + network))
    for bad in ("not an address", "a" * 10_000 + "@example.org", "x@example.org\r\nBcc: y@z"):
        response = ask_reset(client, bad, network)
        assert response.status_code == 200
        assert 'id="error-summary"' in response.content.decode()
    for n in range(10):
        reset_limits.append((accounts.RESET_PER_ADDRESS, f"address:valid{n}@example.org"))
        assert ask_reset(client, f"valid{n}@example.org", network).status_code == 302
