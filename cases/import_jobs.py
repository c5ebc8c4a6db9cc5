"""Imports started from the admin: the upload kept on disk, a Celery task, a progress page.

The uploaded file waits under PRIVATE_FILES_ROOT (shared by the web and worker machines) under
a random name that only a signed token refers to: no path ever comes from the request. A job's
state and progress live in the cache: losing them loses a progress bar, never an import (the
import itself is one transaction, and its report an ImportRun row).
"""

import hashlib
import re
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _

from .importers import (
    ERROR,
    NEW,
    REJECTED,
    REVIEW,
    UNCHANGED,
    UPDATED,
    ImportRefused,
    import_file,
)

UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}\.upload$")
UPLOAD_MAX_AGE = 60 * 60  # seconds between upload and confirmation
SIGNING_SALT = "cases.admin.import"
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
PREVIEW_ROWS = 500  # per outcome on the preview page
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def upload_dir() -> Path:
    return Path(settings.PRIVATE_FILES_ROOT) / "case-imports"


def keep_upload(data: bytes, user, name: str, options: dict) -> str:
    """Store the uploaded file until it is confirmed; the signed token is its only handle."""
    folder = upload_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for old in folder.glob("*.upload"):
        if old.stat().st_mtime < time.time() - UPLOAD_MAX_AGE:
            old.unlink(missing_ok=True)
    stored = f"{secrets.token_hex(16)}.upload"
    (folder / stored).write_bytes(data)
    return signing.dumps(
        {
            "file": stored,
            "sha256": hashlib.sha256(data).hexdigest(),
            "user": user.pk,
            "name": name[:200],
            "format": options["format"],
            "publish": bool(options["publish"]),
        },
        salt=SIGNING_SALT,
    )


def upload_details(token: str, user_id: int) -> dict:
    """What a token says, if it is this user's and names a file the way keep_upload() does."""
    details = signing.loads(token, salt=SIGNING_SALT, max_age=UPLOAD_MAX_AGE)
    if details.get("user") != user_id or not UPLOAD_NAME.match(details.get("file", "")):
        raise signing.BadSignature
    return details


def confirmed_path(details: dict) -> Path:
    return upload_dir() / details["file"].replace(".upload", ".confirmed")


def claim_upload(token: str, user_id: int):
    """Confirming takes the file once: a rename, atomic, so a second confirmation finds none."""
    details = upload_details(token, user_id)
    (upload_dir() / details["file"]).rename(confirmed_path(details))


def read_upload(token: str, user_id: int, *, confirmed: bool) -> tuple[bytes, dict]:
    """The file a token refers to: as uploaded (a preview), or claimed (then removed)."""
    details = upload_details(token, user_id)
    path = confirmed_path(details) if confirmed else upload_dir() / details["file"]
    data = path.read_bytes()
    if confirmed:
        path.unlink(missing_ok=True)
    if hashlib.sha256(data).hexdigest() != details["sha256"]:
        raise signing.BadSignature
    return data, details


def job_key(job_id: str) -> str:
    return f"cases:import-job:{job_id}"


def create(user, token: str, *, dry_run: bool) -> str:
    """A queued job for the uploaded file (a preview when dry_run); tasks.start() runs it."""
    job_id = secrets.token_hex(16)
    cache.set(
        job_key(job_id),
        {"user": user.pk, "token": token, "dry_run": dry_run, "state": QUEUED},
        UPLOAD_MAX_AGE,
    )
    return job_id


def job_for(job_id: str, user) -> dict | None:
    """The job, if it exists and is this user's."""
    if not JOB_ID.match(job_id or ""):
        return None
    job = cache.get(job_key(job_id))
    if not job or job.get("user") != user.pk:
        return None
    return job


def update(job_id: str, job: dict, **changes):
    job.update(changes)
    cache.set(job_key(job_id), job, UPLOAD_MAX_AGE)


def run(job_id: str):
    """The task's work: import the file, keep the progress and the outcome in the job."""
    job = cache.get(job_key(job_id))
    if not job or job["state"] != QUEUED:
        return  # unknown, expired, or already run (a redelivered task)
    update(job_id, job, state=RUNNING, stage="", done=0, total=0, started=time.time())
    last = [0.0]

    def progress(stage: str, done: int, total: int):
        now = time.monotonic()
        if now - last[0] >= 0.5 or done == total:  # no more than two writes a second
            last[0] = now
            update(job_id, job, stage=stage, done=done, total=total)

    user = get_user_model().objects.filter(pk=job["user"]).first()
    try:
        data, details = read_upload(job["token"], job["user"], confirmed=not job["dry_run"])
        report = import_file(
            data,
            format=details["format"],
            file_name=details["name"],
            dry_run=job["dry_run"],
            publish=details["publish"],
            user=user,
            progress=progress,
        )
    except (signing.BadSignature, FileNotFoundError):
        update(
            job_id,
            job,
            state=FAILED,
            error=_("This upload has expired or was already imported. Upload the file again."),
        )
        return
    except ImportRefused as refusal:
        update(job_id, job, state=FAILED, error=str(refusal))
        return
    update(
        job_id,
        job,
        state=DONE,
        run_id=report.run_id,
        file_name=details["name"],
        format=report.format,
        publish=report.publish,
        counts=report.counts,
        warnings=report.warnings,
        sections=preview_sections(report),
    )


SECTION_ORDER = [ERROR, REVIEW, REJECTED, UPDATED, NEW, UNCHANGED]


def preview_sections(report) -> list[dict]:
    """Rows per outcome, the most important first, within reason (plain data, for the cache)."""
    titles = {
        ERROR: _("Errors (not imported)"),
        REVIEW: _("Waiting for review (not imported)"),
        REJECTED: _("Rejected earlier in the review queue (not imported)"),
        UPDATED: _("Updated"),
        NEW: _("New"),
        UNCHANGED: _("Unchanged"),
    }
    sections = []
    for outcome in SECTION_ORDER:
        rows = report.lines(outcome)
        sections.append(
            {
                "outcome": outcome,
                "title": titles[outcome],
                "count": len(rows),
                "rows": [row.as_dict() for row in rows[:PREVIEW_ROWS]],
                "more": max(0, len(rows) - PREVIEW_ROWS),
            }
        )
    return sections
