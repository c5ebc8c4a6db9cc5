"""Celery finds an app's tasks in `<app>.tasks`: the letters app keeps them in its parts.

Task names stay "letters.tasks.<name>" whatever module defines them: beat schedules stored in
the database and messages already queued in Redis refer to tasks by name.
"""

from .delivery import tasks as delivery_tasks
from .privacy import tasks as privacy_tasks
from .reminders import tasks as reminder_tasks
from .responses import tasks as response_tasks
from .signing import tasks as signing_tasks

__all__ = ["delivery_tasks", "privacy_tasks", "reminder_tasks", "response_tasks", "signing_tasks"]
