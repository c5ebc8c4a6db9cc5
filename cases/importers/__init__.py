"""The case importer: CPJ, UNESCO and IDEI's own CSV (or XLSX) files, one logic for all.

Entry points: import_file() for a whole file (management command, admin), and
reapply_review_items() for rows an admin has decided on in the review queue.
"""

from .base import (
    CHECKING,
    ERROR,
    NEW,
    OUTCOMES,
    REJECTED,
    REVIEW,
    STRAY_VALUE,
    UNCHANGED,
    UNKNOWN_VALUE,
    UPDATED,
    WRITING,
    ImportReport,
    Progress,
    import_table,
)
from .cpj import CpjFormat
from .native import NativeFormat
from .reading import MAX_FILE_BYTES, ImportRefused, file_too_large_message, read_table
from .unesco import UnescoFormat

__all__ = [
    "CHECKING",
    "ERROR",
    "FORMAT_NAMES",
    "MAX_FILE_BYTES",
    "NEW",
    "OUTCOMES",
    "REJECTED",
    "REVIEW",
    "STRAY_VALUE",
    "UNCHANGED",
    "UNKNOWN_VALUE",
    "UPDATED",
    "WRITING",
    "ImportRefused",
    "ImportReport",
    "Progress",
    "file_too_large_message",
    "get_format",
    "import_file",
]

FORMAT_NAMES = ("native", "cpj", "unesco")


def get_format(name: str):
    formats = {"native": NativeFormat, "cpj": CpjFormat, "unesco": UnescoFormat}
    try:
        return formats[name]()
    except KeyError:
        raise ImportRefused(f"Unknown format {name!r}: use one of {', '.join(formats)}.") from None


def import_file(
    data: bytes,
    *,
    format: str,
    file_name: str,
    dry_run: bool = False,
    publish: bool = False,
    user=None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a whole file; raises ImportRefused (nothing written) when the file is unsound."""
    fmt = get_format(format)
    table = read_table(data)
    return import_table(
        table,
        fmt,
        file_name=file_name,
        dry_run=dry_run,
        publish=publish,
        user=user,
        progress=progress,
    )
