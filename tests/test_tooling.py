"""The test run and the Makefile: what they leave alone and what they pass on."""

import os
import shutil
import subprocess
import sys
import uuid

import pytest
from django.core.cache import cache, caches

from tests.cache import PrefixOnlyRedisCache
from tests.conftest import ROOT, TEST_CACHE_PREFIX, require

# -- The test run's cache on a shared Redis --------------------------------------------------


def test_clearing_the_test_cache_leaves_everyone_elses_keys_in_the_same_database(redis_broker):
    import redis

    assert isinstance(caches["default"], PrefixOnlyRedisCache)
    assert cache.key_prefix == TEST_CACHE_PREFIX
    client = redis.Redis.from_url(redis_broker)
    tag = uuid.uuid4().hex[:8]
    others = [
        f"idei:1:page-cache:{tag}",  # the running site's cache (KEY_PREFIX "idei")
        f"{TEST_CACHE_PREFIX}0:1:{tag}",  # another test run, whose pid starts with ours
        f"celery-{tag}",  # a Celery queue
    ]
    for key in others:
        client.set(key, "someone else's", ex=60)
    cache.set(f"ours-{tag}", "the test's")
    try:
        cache.clear()

        assert cache.get(f"ours-{tag}") is None
        assert [client.get(key) for key in others] == [b"someone else's"] * 3
    finally:
        client.delete(*others)


def test_rate_limit_counts_are_cleared_with_the_test_cache(redis_broker):
    import redis

    from idei import rate_limits

    rate_limits.hit((rate_limits.Limit("test-cleared", 5, 60),), "k")
    client = redis.Redis.from_url(redis_broker)
    match = f"{TEST_CACHE_PREFIX}:*idei:rl:test-cleared:*"
    assert list(client.scan_iter(match=match))

    cache.clear()

    assert not list(client.scan_iter(match=match))


# -- make run --------------------------------------------------------------------------------


def make_run_commands(**env) -> str:
    """What `make run PORT=8123` would run (make -n: nothing is run)."""
    require(shutil.which("make"), "needs make (apt-get install make)")
    environ = {key: value for key, value in os.environ.items() if key != "SITE_URL"}
    return subprocess.run(
        ["make", "-n", "run", "PORT=8123"],
        cwd=ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def test_make_run_on_another_port_sends_links_to_that_port():
    commands = make_run_commands()

    serve = next(line for line in commands.splitlines() if "runserver" in line)
    assert "runserver 127.0.0.1:8123" in serve
    assert serve.startswith("SITE_URL='http://127.0.0.1:8123' ")


def test_make_run_keeps_a_site_url_set_in_the_environment():
    commands = make_run_commands(SITE_URL="https://idei.example.org")

    serve = next(line for line in commands.splitlines() if "runserver" in line)
    assert serve.startswith("SITE_URL='https://idei.example.org' ")


@pytest.mark.parametrize(
    ("site_url", "expected"),
    [("http://127.0.0.1:8123", "http://127.0.0.1:8123"), ("http://x.example/", "http://x.example")],
)
def test_settings_read_site_url_from_the_environment(site_url, expected):
    printed = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "idei.settings", "SITE_URL": site_url},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout

    assert printed.strip() == expected
