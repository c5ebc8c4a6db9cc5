"""Celery tasks of the case database: imports started from the admin, and their helper."""

from celery import shared_task

from . import import_jobs


@shared_task(name="cases.tasks.run_import_job")
def run_import_job(job_id: str):
    """Run an admin's import (or its preview) and keep its progress for the progress page."""
    import_jobs.run(job_id)


def start_import(user, token: str, *, dry_run: bool) -> str:
    """Queue the import of an uploaded file after commit; returns the job's id."""
    job_id = import_jobs.create(user, token, dry_run=dry_run)
    run_import_job.delay_on_commit(job_id)
    return job_id
