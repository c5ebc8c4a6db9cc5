"""gunicorn's settings for IDEI, read from the working directory (`gunicorn idei.wsgi`).

Command-line options override these (the benchmarks and docs/deploy.md's units set workers,
address and logs their own way).
"""

import os

# Sync workers, four on two cores: measured against gthread and more workers on this
# workload (bench/README.md). Each idle sync worker wakes on every new connection, so more
# workers cost CPU. WEB_CONCURRENCY, if set, gives the count, as gunicorn's own default does.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# A spike of signers waits in the kernel's queue rather than being refused.
backlog = 2048

# gunicorn is pinned below 26 (pyproject.toml: gunicorn>=23,<26). gunicorn 26.0
# (benoitc/gunicorn#3590) makes a worker half-close each connection and then block, up to
# 2 s, until the client closes its end (util.close_graceful); a sync worker stays busy until
# then, and no setting turns it off. On our 2-core benchmark, p95 at 200 signatures/s went
# from 101 ms with 23.0.0 to 660 ms with 27.0.1. Revisit when gunicorn makes it optional.

# No control socket (gunicorn 25.1+ opens one at $HOME/.gunicorn/gunicorn.ctl for `gunicornc`):
# two web nodes on one machine would take the same path from each other, and the units'
# ProtectHome=yes leaves no home to write to. systemd starts, stops and restarts the nodes.
control_socket_disable = True
