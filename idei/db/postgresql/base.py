"""Django's PostgreSQL backend, with a health check that costs no round trip when idle.

With CONN_HEALTH_CHECKS, Django runs `SELECT 1` before every request's first query on a
persistent connection: a round trip to the server and CPU on both sides, on every sign POST.
A connection that the server closed (a restart, pg_terminate_backend, an idle timeout) is
readable at once: the server sent its error and closed the socket. So an idle connection with
nothing to read is taken as usable without asking; when something is there, or the socket is
gone, Django's own check decides. What neither check can see without waiting (a peer that
vanished without closing) is the TCP keepalive's job, as before.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        if not readable:
            return True
        return super().is_usable()
