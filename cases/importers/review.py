"""Decisions on the review queue: rows an import held back, applied once an admin has decided."""

from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import CountryAlias, ReviewItem

from . import get_format
from .base import NEW, UNCHANGED, UPDATED, current_value, display, field_label, import_table
from .countries import CountryResolver, normalise_country_name
from .reading import RawRow, Table
from .values import RowError, ValueAliases

APPLIED = {NEW, UPDATED, UNCHANGED}
AUTO, MATCH, NEW_CASE = "auto", "match", "new"
# The decision each mode records on the items it applies; later imports respect it.
DECISIONS = {
    AUTO: ReviewItem.Decision.DONE,
    MATCH: ReviewItem.Decision.SAME_PERSON,
    NEW_CASE: ReviewItem.Decision.DIFFERENT_PERSON,
}


def country_header(item: ReviewItem, fmt) -> str | None:
    """The header under which this item's row has its country, as the file wrote it."""
    mapping = fmt.map_header(list(item.raw))
    return mapping.get(fmt.country_column)


def reapply(
    items,
    user,
    *,
    mode: str = AUTO,
    country: str = "",
    remember: bool = False,
) -> dict[str, int]:
    """Run held-back rows through the importer again; resolve the items that now import.

    mode AUTO re-runs the rows as they are (after an alias was set), MATCH applies each row to
    the case the item suggests (a corrected name), NEW_CASE imports each as a new case.
    With `country`, each row's country becomes that code; with `remember`, the country name
    is also saved as an alias so that future imports resolve it alone.
    """
    results = {"applied": 0, "still_waiting": 0, "skipped": 0}
    by_format = defaultdict(list)
    for item in items:
        if item.resolved_at or not item.run or not item.raw:
            results["skipped"] += 1
            continue
        by_format[item.run.format].append(item)
    with transaction.atomic():
        for format_name, group in by_format.items():
            fmt = get_format(format_name)
            rows, forced, force_new, lines = [], {}, set(), {}
            for number, item in enumerate(group, start=1):
                raw = dict(item.raw)
                if country:
                    header = country_header(item, fmt)
                    if remember and raw.get(header, "").strip():
                        CountryAlias.objects.update_or_create(
                            name=normalise_country_name(raw[header]),
                            defaults={"country": country},
                        )
                    raw[header] = country
                if mode == MATCH and item.case_id:
                    forced[number] = item.case_id
                elif mode == NEW_CASE:
                    force_new.add(number)
                rows.append(RawRow(line=number, raw=raw))
                lines[number] = item
            header = list(dict.fromkeys(key for row in rows for key in row.raw))
            report = import_table(
                Table(header, rows),
                fmt,
                file_name=_("review queue"),
                publish=False,
                user=user,
                forced_matches=forced,
                force_new=force_new,
            )
            now = timezone.now()
            for row in report.rows:
                item = lines[row.line]
                if row.outcome in APPLIED:
                    item.resolved_at, item.resolved_by = now, user
                    item.decision = DECISIONS[mode]
                    item.case_id = row.case_id if mode == NEW_CASE else item.case_id or row.case_id
                    item.save(update_fields=["resolved_at", "resolved_by", "case", "decision"])
                    results["applied"] += 1
                else:
                    results["still_waiting"] += 1
    return results


def resolve(items, user) -> int:
    """Reject items: import nothing, now or in later imports of the same person's row."""
    return ReviewItem.objects.filter(pk__in=[i.pk for i in items], resolved_at=None).update(
        resolved_at=timezone.now(),
        resolved_by=user,
        decision=ReviewItem.Decision.REJECTED,
    )


def side_by_side(item: ReviewItem) -> list[tuple[str, str, str]]:
    """(field, the suggested case's value, the row's value) for the fields the row carries."""
    fmt = get_format(item.run.format) if item.run else None
    if fmt is None or not item.raw:
        return []
    fmt.aliases = ValueAliases.load()
    mapping = fmt.map_header(list(item.raw))
    row = RawRow(line=item.line or 0, raw=dict(item.raw))
    row.values = {canonical: row.raw.get(header, "") for canonical, header in mapping.items()}
    try:
        parsed = fmt.parse(row, CountryResolver())
    except RowError as error:
        return [(_("Row"), "", str(error))]
    parsed.fields["country"] = parsed.country_raw
    lines = []
    for name, value in parsed.fields.items():
        if name in ("date_precision", "raw_values", "sort_name"):
            continue
        ours = current_value(item.case, name) if item.case else ""
        lines.append((field_label(name), display(name, ours), display(name, value)))
    return lines
