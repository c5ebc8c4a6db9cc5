"""manage.py import_cases PATH --format {native,cpj,unesco} [--dry-run] [--publish] [--user NAME]"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.importers import (
    ERROR,
    FORMAT_NAMES,
    MAX_FILE_BYTES,
    REVIEW,
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
        try:
            report = import_file(
                file.read_bytes(),
                format=format,
                file_name=file.name,
                dry_run=dry_run,
                publish=publish,
                user=account,
            )
        except ImportRefused as refusal:
            raise CommandError(
                _("File refused, nothing imported: %(reason)s") % {"reason": refusal}
            ) from None
        verbosity = options["verbosity"]
        if verbosity >= 1:
            for row in report.sorted_rows():
                if row.outcome in (ERROR, REVIEW) or (row.outcome == UPDATED and verbosity >= 2):
                    self.stdout.write(self.describe(row))
        counts = report.counts
        summary = (
            _(
                "%(new)s new, %(updated)s updated, %(unchanged)s unchanged, "
                "%(review)s need review, %(error)s errors "
                "(%(rows)s rows, %(blank)s blank rows skipped)."
            )
            % counts
        )
        if dry_run:
            summary = _("Dry run, nothing written: %(summary)s") % {"summary": summary}
        elif report.run_id:
            summary += " " + _("Import run #%(id)s.") % {"id": report.run_id}
        self.stdout.write(self.style.SUCCESS(summary) if not counts[ERROR] else summary)

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
