"""The cache of a test run on Redis: keys under a prefix of the run's own, emptied one by one.

Django's RedisCache.clear() is FLUSHDB: it empties the whole Redis database, which may be the
one in REDIS_URL that a running site, its worker and its Celery queues use (the README gives
the same URL for both), or another test run's. tests/conftest.py points the default cache at
this backend with the prefix `idei-test-<pid>`, so that `cache.clear()` in any test deletes this
run's keys and nothing else.
"""

import redis
from django.core.cache.backends.redis import RedisCache


def _glob_escape(text: str) -> str:
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)


def delete_keys_under(client: redis.Redis, prefix: str) -> int:
    """Delete every key that starts with `prefix` (SCAN MATCH, then DEL in batches)."""
    if not prefix:
        raise ValueError("refusing to delete every key: no prefix given")
    deleted = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=_glob_escape(prefix) + "*", count=1000):
        batch.append(key)
        if len(batch) == 500:
            deleted += client.delete(*batch)
            batch = []
    if batch:
        deleted += client.delete(*batch)
    return deleted


class PrefixOnlyRedisCache(RedisCache):
    """The project's Redis cache, whose clear() deletes only the keys under its own prefix."""

    def __init__(self, server, params):
        super().__init__(server, params)
        if not self.key_prefix:
            raise ValueError("PrefixOnlyRedisCache needs a KEY_PREFIX of the test run's own")
        url = server.split(",")[0] if isinstance(server, str) else server[0]
        self.location = url
        self._own_client: redis.Redis | None = None

    def clear(self) -> bool:
        if self._own_client is None:
            self._own_client = redis.Redis.from_url(self.location, socket_connect_timeout=2)
        # make_key() gives "<prefix>:<version>:<key>"; with the colon, run 12's clear() leaves
        # run 123's keys alone.
        delete_keys_under(self._own_client, self.key_prefix + ":")
        return True
