"""The database health check (idei/db/postgresql): no round trip when the connection is idle,
Django's own check when the server has spoken, a new connection when the server closed it."""

import time

import psycopg
import pytest
from django.db import connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def wrapper(postgres):
    """A connection of its own, outside the test's transaction, that the test may break."""
    own = connections.create_connection("default")
    own.ensure_connection()
    yield own
    own.close()


def admin_connection():
    params = connections["default"].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def last_query_of(pid: int) -> str:
    with admin_connection() as admin:
        row = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row[0]


def test_an_idle_connection_is_usable_without_asking_the_server(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 'marker'")
    pid = wrapper.connection.info.backend_pid

    assert wrapper.is_usable()
    # The server's last statement for this connection is still ours: no SELECT 1 was sent.
    assert last_query_of(pid) == "SELECT 'marker'"


def test_a_connection_the_server_closed_is_found_unusable_and_replaced(wrapper):
    pid = wrapper.connection.info.backend_pid
    with admin_connection() as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    deadline = time.monotonic() + 10
    while wrapper.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)

    assert not wrapper.is_usable()
    # What Django does before a request's first query: the broken connection is closed...
    wrapper.health_check_done = False
    wrapper.close_if_health_check_failed()
    assert wrapper.connection is None
    # ...and the next query opens a new one.
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_closed_connection_is_not_usable(wrapper):
    wrapper.connection.close()
    assert not wrapper.is_usable()
