"""The versions a benchmark ran with, printed by bench/run.py and kept with each result.

Figures from another install are not the same figures: a gunicorn release alone once changed
the letters benchmark's p95 six-fold (gunicorn.conf.py).
"""

import os
import platform
import time
from importlib import metadata
from urllib.parse import urlsplit, urlunsplit


def _package(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _postgresql() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "not used"
    try:
        import psycopg  # here: only benchmarks on PostgreSQL need it

        # The server's own database: the benchmark's may not exist yet (it creates it).
        server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
        with psycopg.connect(server, connect_timeout=3) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]
    except Exception as error:  # a benchmark that cannot connect says so itself
        return f"unreachable ({type(error).__name__})"


def _redis() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return "not used"
    try:
        import redis  # here: only benchmarks on Redis need it

        return redis.Redis.from_url(url, socket_connect_timeout=3).info("server")["redis_version"]
    except Exception as error:
        return f"unreachable ({type(error).__name__})"


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "django": _package("django"),
        "gunicorn": _package("gunicorn"),
        "psycopg": _package("psycopg"),
        "celery": _package("celery"),
        "redis-py": _package("redis"),
        "postgresql": _postgresql(),
        "redis": _redis(),
    }


def python_speed_ms() -> float:
    """How fast this machine runs plain Python: the best of three runs of a fixed loop (ms).

    Machines differ, and so does one machine from one moment to the next: on one quiet 2-core
    machine the letters benchmark's serial GET cost 2.65 ms of CPU, and 1.36 ms an hour later
    with the same code, while this loop took from 151 to 306 ms. Compare two figures only
    beside this number, taken at the same time as they were.
    """
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total, table = 0, {}
        for number in range(1_000_000):
            total += number
            table[number & 1023] = str(number)
        best = min(best, time.process_time() - started)
    return round(best * 1000, 1)


def line() -> str:
    listed = ", ".join(f"{name} {version}" for name, version in versions().items())
    return f"versions: {listed}; Python loop {python_speed_ms()} ms (bench/versions.py)"
