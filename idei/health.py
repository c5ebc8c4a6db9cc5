"""/healthz: is this web process able to reach its database and its broker?"""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            return "ok" if client.ping() else "unreachable"
        finally:
            client.close()
    except Exception:
        return "unreachable"


@never_cache
@require_GET
def healthz(request):
    database = "ok" if _database_ok() else "unreachable"
    broker = _broker_state()
    healthy = database == "ok" and broker in {"ok", "eager"}
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )
