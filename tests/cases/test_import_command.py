"""manage.py import_cases: the command line face of the importer."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper

from cases.importers import CHECKING
from cases.management.commands.import_cases import TerminalProgress
from cases.models import Case, ImportRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CPJ = (
    "year,fullName,country,impunityMurder,photoUrl\n"
    "2019,Ana Ruiz,Colombia,Complete Impunity,https://cpj.org/p.jpg\n"
    "2020,Pedro Salcedo,Congo,,\n"
    "20x1,Broken Row,Mexico,,\n"
)


@pytest.fixture
def cpj_file(tmp_path):
    path = tmp_path / "cpj.csv"
    path.write_text(CPJ, encoding="utf-8")
    return path


def run(*args, **options) -> str:
    out = StringIO()
    call_command("import_cases", *[str(a) for a in args], stdout=out, **options)
    return out.getvalue()


def test_command_imports_and_prints_the_summary(cpj_file):
    output = run(cpj_file, format="cpj")
    assert "1 new, 0 updated, 0 unchanged, 1 need review, 0 rejected earlier, 1 errors" in output
    assert Case.objects.get().full_name == "Ana Ruiz"


def test_command_reports_bad_rows_and_review_rows_by_line(cpj_file):
    output = run(cpj_file, format="cpj")
    assert "line 4: error" in output and "20x1" in output
    assert "line 3: review" in output and "Congo" in output


def test_command_dry_run_writes_nothing(cpj_file):
    output = run(cpj_file, "--dry-run", format="cpj")
    assert "Dry run, nothing written" in output
    assert Case.objects.count() == 0 and ImportRun.objects.count() == 0


def test_command_leaves_new_cases_unpublished_by_default(cpj_file):
    run(cpj_file, format="cpj")
    assert Case.objects.get().is_published is False


def test_command_publishes_with_publish(cpj_file):
    run(cpj_file, "--publish", format="cpj")
    assert Case.objects.get().is_published is True


def test_command_second_run_reports_unchanged(cpj_file):
    run(cpj_file, format="cpj")
    output = run(cpj_file, format="cpj")
    assert "0 new, 0 updated, 1 unchanged" in output


def test_command_shows_changed_fields_at_verbosity_2(cpj_file, tmp_path):
    run(cpj_file, format="cpj")
    newer = tmp_path / "newer.csv"
    newer.write_text(CPJ.replace("Complete Impunity", "Full Justice"), encoding="utf-8")
    output = run(newer, format="cpj", verbosity=2)
    assert "line 2: updated: Ana Ruiz" in output
    assert "Complete impunity → Full justice" in output


def test_command_attributes_changes_to_a_user(cpj_file):
    user = UserFactory(username="editor")
    run(cpj_file, "--user", "editor", format="cpj")
    assert LogEntry.objects.get().user == user


def test_command_refuses_an_unknown_user(cpj_file):
    with pytest.raises(CommandError, match="nobody"):
        run(cpj_file, "--user", "nobody", format="cpj")


def test_command_refuses_a_bad_file_with_the_reason_and_writes_nothing(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("year,fullName,country\n2019,José,Mexico\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        run(path, format="cpj")
    assert Case.objects.count() == 0 and ImportRun.objects.count() == 0


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "missing.csv", format="cpj")


def test_command_refuses_an_oversized_file_before_reading_it(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024 + 1)
    with pytest.raises(CommandError, match="too large"):
        run(path, format="cpj")


def test_command_refuses_an_unknown_format(cpj_file):
    with pytest.raises(CommandError):
        run(cpj_file, format="rsf")


def test_command_help_documents_the_columns():
    from cases.management.commands.import_cases import Command

    help_text = Command().create_parser("manage.py", "import_cases").format_help()
    for column in ("fullName", "impunityMurder", "enquiry_status", "country_code", "--dry-run"):
        assert column in help_text


# -- The report of real exports, and progress on a terminal -------------------------------------

FIXTURES = Path(__file__).parent / "data"
OLDER = FIXTURES / "cpj-killed-2024-11-02.csv"
NEWER = FIXTURES / "cpj-killed-2026-11-02 - Sheet1.csv"


class Terminal(StringIO):
    """What the command writes to a terminal (a stream that says it is one)."""

    def isatty(self):
        return True


def test_command_report_lists_outcomes_warnings_blank_rows_and_errors_by_line():
    output = run(OLDER, format="cpj")
    assert "line 11: error: Pedro Salas" in output
    assert "warning: employedAs: unknown value “Contractor” in 1 rows" in output
    assert "warning: gender: “3” in 1 otherwise blank rows, skipped as blank (lines 12)" in output
    assert (
        "9 new, 0 updated, 0 unchanged, 0 need review, 0 rejected earlier, 1 errors, "
        "2 warnings (10 rows, 1 blank rows skipped)."
    ) in output
    output = run(NEWER, format="cpj")
    assert "line 9: review: Muhammad Al-Sharif" in output
    assert "1 new, 1 updated, 7 unchanged, 1 need review" in output


def test_command_dry_run_prints_the_same_report_and_writes_nothing():
    dry = run(OLDER, "--dry-run", format="cpj")
    assert Case.objects.count() == 0
    real = run(OLDER, format="cpj")
    assert dry.splitlines()[:-1] == real.splitlines()[:-1]
    assert dry.splitlines()[-1].startswith("Dry run, nothing written: 9 new, 0 updated")


def test_command_shows_progress_on_a_terminal():
    terminal = Terminal()
    run(OLDER, format="cpj", stderr=terminal)
    shown = terminal.getvalue()
    assert "checking: 11 of 11 rows" in shown
    assert "writing: 9 of 9 rows" in shown
    assert shown.endswith("\n")


def test_command_is_quiet_in_a_pipe():
    pipe = StringIO()
    run(OLDER, format="cpj", stderr=pipe)
    assert pipe.getvalue() == ""


def test_progress_line_gives_rows_done_rate_and_time_left():
    times = iter([100.0, 102.0])
    terminal = Terminal()
    meter = TerminalProgress(OutputWrapper(terminal), clock=lambda: next(times))
    meter(CHECKING, 0, 20_000)
    meter(CHECKING, 5_000, 20_000)
    meter.close()
    last = terminal.getvalue().split("\r\x1b[K")[-1]
    assert last == "checking: 5,000 of 20,000 rows · 2,500 rows/s · about 6 s left\n"
