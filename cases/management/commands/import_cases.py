"""manage.py import_cases PATH --format {native,cpj,unesco} [--dry-run] [--publish] [--user NAME]"""

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.importers import (
    CHECKING,
    ERROR,
    FORMAT_NAMES,
    MAX_FILE_BYTES,
    REJECTED,
    REVIEW,
    STRAY_VALUE,
    UPDATED,
    ImportRefused,
    file_too_large_message,
    import_file,
)

HELP = gettext_lazy(
    "Import cases from a CSV (or XLSX) file: UTF-8, with or without BOM; comma, semicolon or "
    "tab separated; column names on the first line (any case or spacing). Formats: "
    "'cpj' = CPJ's killed-journalists export (year, fullName, country required; also "
    "startDisplay, sortName, gender, type, typeOfDeath, status, employedAs, organizations, "
    "jobs, coverage, mediums, location, locality, state, province, localOrForeign, "
    "primary/secondary/tertiaryNationality, sourcesOfFire, motiveConfirmed, combinedStatus, "
    "impunityMurder, tortured, captive, threatened; photo and unknown columns are ignored). "
    "'unesco' = UNESCO observatory export (name, country_code, date required; also id, gender, "
    "enquiry_status, staff, local, conflict_zone, media, date_of_resolution, place, outlet). "
    "'native' = IDEI's own format, as the admin exports it (full_name, country required; "
    "slug identifies a case). Re-importing a newer file updates the cases it imported before. "
    "Imported cases stay unpublished unless --publish. A refused file writes nothing; a dry run "
    "writes nothing at all (not even an import record). Details: docs/importing.md."
)


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # argparse needs a real string; the lazy one is translated when the help is shown.
        return str(HELP)

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("the CSV or XLSX file to import"))
        parser.add_argument("--format", required=True, choices=FORMAT_NAMES)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("show what would change, write nothing"),
        )
        parser.add_argument(
            "--publish", action="store_true", help=_("publish new cases at once (no review)")
        )
        parser.add_argument(
            "--user",
            help=_("username the changes are attributed to in the admin history of each case"),
        )

    def handle(self, *args, path, format, dry_run, publish, user=None, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        if file.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(file_too_large_message(file.stat().st_size))
        account = None
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(_("No user named %(user)s.") % {"user": user})
        verbosity = options["verbosity"]
        # Progress only for a person watching, on stderr: a pipe or a log gets the report alone.
        watching = verbosity >= 1 and self.stderr.isatty()
        meter = TerminalProgress(self.stderr) if watching else None
        try:
            report = import_file(
                file.read_bytes(),
                format=format,
                file_name=file.name,
                dry_run=dry_run,
                publish=publish,
                user=account,
                progress=meter,
            )
        except ImportRefused as refusal:
            raise CommandError(
                _("File refused, nothing imported: %(reason)s") % {"reason": refusal}
            ) from None
        finally:
            if meter:
                meter.close()
        if verbosity >= 1:
            for row in report.sorted_rows():
                shown = row.outcome in (ERROR, REVIEW, REJECTED)
                if shown or (row.outcome == UPDATED and verbosity >= 2):
                    self.stdout.write(self.describe(row))
            for warning in report.warnings:
                self.stdout.write(self.describe_warning(warning))
        counts = report.counts
        summary = (
            _(
                "%(new)s new, %(updated)s updated, %(unchanged)s unchanged, "
                "%(review)s need review, %(rejected)s rejected earlier, %(error)s errors, "
                "%(warnings)s warnings (%(rows)s rows, %(blank)s blank rows skipped)."
            )
            % counts
        )
        if dry_run:
            summary = _("Dry run, nothing written: %(summary)s") % {"summary": summary}
        elif report.run_id:
            summary += " " + _("Import run #%(id)s.") % {"id": report.run_id}
        self.stdout.write(self.style.SUCCESS(summary) if not counts[ERROR] else summary)

    @staticmethod
    def describe_warning(warning: dict) -> str:
        lines = ", ".join(str(line) for line in warning["lines"])
        values = {
            "column": warning["column"],
            "value": warning["value"],
            "count": warning["count"],
            "lines": lines,
        }
        if warning["kind"] == STRAY_VALUE:
            return (
                _(
                    "warning: %(column)s: “%(value)s” in %(count)s otherwise blank rows, "
                    "skipped as blank (lines %(lines)s)"
                )
                % values
            )
        return (
            _(
                "warning: %(column)s: unknown value “%(value)s” in %(count)s rows, imported "
                "and kept as written (lines %(lines)s)"
            )
            % values
        )

    @staticmethod
    def describe(row) -> str:
        text = f"line {row.line}: {row.outcome}: {row.name}"
        if row.message:
            text += f": {row.message}"
        if row.changes:
            text += (
                " ("
                + "; ".join(f"{c['label']}: {c['old']} → {c['new']}" for c in row.changes)
                + ")"
            )
        return text


def is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class TerminalProgress:
    """One self-overwriting line: rows done, rate and time left, for the person at the terminal.

    `clock` is a parameter so that tests can give the times.
    """

    STAGES = {CHECKING: gettext_lazy("checking"), "writing": gettext_lazy("writing")}

    def __init__(self, stream, clock=time.monotonic):
        self.stream = stream  # a command's OutputWrapper
        self.clock = clock
        self.started: dict[str, float] = {}
        self.shown = False

    def __call__(self, stage: str, done: int, total: int):
        now = self.clock()
        started = self.started.setdefault(stage, now)
        elapsed = now - started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate else None
        text = _("%(stage)s: %(done)s of %(total)s rows") % {
            "stage": self.STAGES.get(stage, stage),
            "done": f"{done:,}",
            "total": f"{total:,}",
        }
        if rate:
            text += " · " + _("%(rate)s rows/s") % {"rate": f"{rate:,.0f}"}
        if left is not None:
            text += " · " + _("about %(seconds)s s left") % {"seconds": f"{left:,.0f}"}
        # style_func=str: the line as it is, not in the error colour of stderr.
        self.stream.write("\r\x1b[K" + text, style_func=str, ending="")
        self.stream.flush()
        self.shown = True

    def close(self):
        if self.shown:
            self.stream.write("", style_func=str, ending="\n")
            self.stream.flush()
