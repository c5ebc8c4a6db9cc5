"""manage.py receive_mail [--host 127.0.0.1] [--port 2525]: the inbound SMTP server."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from idei.inbound.smtp import server


class Command(BaseCommand):
    help = (
        "Receive mail for the platform's own addresses (bounces, complaints) over SMTP; "
        "the site's MTA relays INBOUND_EMAIL_DOMAIN here."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set by SIGTERM/SIGINT (or by a test running the command in a thread).
        self.stopping = threading.Event()

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=2525, help="port to listen on")

    def handle(self, *args, host, port, **options):
        if not 0 < port < 65536:
            self.stderr.write(f"--port must be between 1 and 65535, not {port}")
            raise SystemExit(2)
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: self.stopping.set())
        controller = server(host, port)
        controller.start()
        self.stdout.write(
            f"Receiving mail for @{settings.INBOUND_EMAIL_DOMAIN} on {host}:{port} "
            "(SIGTERM or Ctrl-C stops)"
        )
        try:
            self.stopping.wait()
        finally:
            controller.stop()
            self.stdout.write("Stopped.")
