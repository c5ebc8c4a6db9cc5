"""manage.py send_reminders [--dry-run] [--date YYYY-MM-DD]: the hourly beat run, for cron."""

import datetime
import re

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from letters.reminders.tasks import queue_due_reminders

HELP = gettext_lazy(
    "Send the reminders due today before 2 November: each subscriber's reminder on their own "
    "local date, and coordinators' reminders (campaigns closing soon, petitions not delivered "
    "after 2 November). Safe to run every hour: nothing is ever sent twice. With a worker "
    "(REDIS_URL set) the batches are queued for it; without one they are sent here."
)
DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: str) -> datetime.date:
    try:
        if not DATE_SHAPE.fullmatch(value):
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("Invalid date %(value)r: give a calendar date as YYYY-MM-DD, e.g. 2026-10-03.")
            % {"value": value}
        ) from None


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # argparse needs a real string; the lazy one is translated when the help is shown.
        return str(HELP)

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("show what would be sent, per reminder; send and write nothing"),
        )
        parser.add_argument(
            "--date",
            metavar="YYYY-MM-DD",
            help=_("act as if this day were every subscriber's local date"),
        )

    def handle(self, *args, dry_run=False, date=None, **options):
        as_of_date = parse_date(date) if date is not None else None
        report = queue_due_reminders(as_of_date=as_of_date, dry_run=dry_run)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was sent or written."))
        if not report.reminders:
            self.stdout.write(_("No reminder is due for any subscriber."))
        for due in report.reminders:
            values = {
                "name": due.name,
                "days": due.days_before,
                "year": due.observance_year,
                "count": due.recipients,
                "batches": due.batches,
            }
            if dry_run:
                line = ngettext(
                    "%(name)s (%(days)s days before 2 November %(year)s): "
                    "%(count)s subscriber would be reminded.",
                    "%(name)s (%(days)s days before 2 November %(year)s): "
                    "%(count)s subscribers would be reminded.",
                    due.recipients,
                )
            else:
                line = ngettext(
                    "%(name)s (%(days)s days before 2 November %(year)s): "
                    "%(count)s subscriber queued in %(batches)s batches.",
                    "%(name)s (%(days)s days before 2 November %(year)s): "
                    "%(count)s subscribers queued in %(batches)s batches.",
                    due.recipients,
                )
            self.stdout.write(line % values)
        coordinator = report.coordinator_reminders
        self.stdout.write(
            (
                _(
                    "Coordinator reminders that would be sent: %(closing)s about campaigns "
                    "closing soon, %(undelivered)s about petitions not delivered."
                )
                if dry_run
                else _(
                    "Coordinator reminders queued: %(closing)s about campaigns closing soon, "
                    "%(undelivered)s about petitions not delivered."
                )
            )
            % coordinator
        )
        for zone in report.skipped_time_zones:
            self.stderr.write(
                _("Unknown time zone %(zone)r: its subscribers were skipped.") % {"zone": zone}
            )
