"""Django's Redis cache backend, reusing one Redis client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` object for every cache call (the
connection pool is shared, the client object is not). On the sign form's hot path, with
several cache calls per request, building them was a measurable part of each request's few
milliseconds (bench/README.md). A `redis.Redis` client is safe to share between threads.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
