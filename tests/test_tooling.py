"""The test run and the Makefile: what they leave alone and what they pass on."""

import uuid

from django.core.cache import cache, caches

from tests.cache import PrefixOnlyRedisCache
from tests.conftest import TEST_CACHE_PREFIX

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

    from letters.signing import abuse

    abuse.hit((abuse.Limit("test-cleared", 5, 60),), "k")
    client = redis.Redis.from_url(redis_broker)
    match = f"{TEST_CACHE_PREFIX}:*letters:rl:test-cleared:*"
    assert list(client.scan_iter(match=match))

    cache.clear()

    assert not list(client.scan_iter(match=match))
