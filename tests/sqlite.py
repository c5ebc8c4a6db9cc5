"""Code run on the embedded default: a fresh Python process on an SQLite file, as `make run`
uses, for what must hold on SQLite as on PostgreSQL."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Prepended to every script: Django set up and the file migrated.
SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
"""


def run_on_sqlite(script: str, tmp_path: Path, *args: str) -> str:
    """Run `script` with `args` in its sys.argv; its output's last line (it must succeed)."""
    result = subprocess.run(
        [sys.executable, "-c", SETUP + script, *args],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "idei.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]
