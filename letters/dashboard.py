"""A campaign's signatures for its coordinators: figures, and the export of consented data.

Mounted under /dashboard/campaigns/<slug>/signatures/. Every view finds the campaign through
campaigns.access.campaign_for_coordinator, so another organisation's campaign answers 404.

Who may do what: every member (viewers included) reads the figures, which name nobody. Only
owners and coordinators (and admins) may export, because an export copies personal data out of
the site; a viewer gets the same 404 as for any change (`edit=True`).

Every page runs a fixed number of queries whatever the number of signatures (pinned with
100,000 signatures in tests/letters/), and the export streams rows from a database cursor in
chunks, so the server's memory stays flat however long the file.
"""

import datetime
from collections import defaultdict
from itertools import chain

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django_countries import countries

from campaigns.access import CAN_EDIT, campaign_for_coordinator, partnership_for_member, role_in
from campaigns.dashboard import embed_code
from idei.csv_export import csv_lines, csv_response
from idei.outbox.models import OutgoingMessage, ref

from . import charts
from .models import MessageKind, Signature, SignatureExport, Source

EXPORT_CHUNK = 2000
RECENT_EXPORTS = 20

# -- Figures ---------------------------------------------------------------------------------


def signature_totals(campaign) -> dict:
    """Confirmed, awaiting confirmation, and erased on request: one aggregate query."""
    return Signature.objects.filter(campaign=campaign).aggregate(
        confirmed=Count("id", filter=Q(confirmed_at__isnull=False, held_by__isnull=True)),
        pending=Count("id", filter=Q(confirmed_at__isnull=True)),
        # Held back by the site's watchlist: not counted, not exported, until an admin decides.
        held=Count("id", filter=Q(confirmed_at__isnull=False, held_by__isnull=False)),
        erased=Count("id", filter=Q(erased_at__isnull=False)),
    )


def confirmed_breakdown(campaign) -> tuple[dict[datetime.date, int], list[dict]]:
    """Counted signatures per day (site time zone) and per country, from one grouped scan."""
    rows = (
        Signature.objects.counted()
        .filter(campaign=campaign)
        .annotate(day=TruncDate("confirmed_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day", "country")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_day: dict[datetime.date, int] = defaultdict(int)
    per_country: dict[str, int] = defaultdict(int)
    for day, country, n in rows:
        per_day[day] += n
        per_country[country] += n
    return dict(sorted(per_day.items())), country_rows(per_country)


def country_rows(per_country: dict[str, int]) -> list[dict]:
    """Rows for the per-country table, largest first."""
    total = sum(per_country.values())
    rows = [
        {
            "code": code,
            "name": countries.name(code) or code or _("Not given"),
            "count": n,
            "percent": round(100 * n / total) if total else 0,
        }
        for code, n in per_country.items()
    ]
    rows.sort(key=lambda row: (-row["count"], row["code"]))
    return rows


DELIVERY_KINDS = [
    MessageKind.LETTER,
    MessageKind.DIGEST,
    MessageKind.PETITION,
    MessageKind.SIGNER_COPY,
]


def delivery_figures(campaign) -> list[dict]:
    """Messages to officials and copies to signers, by kind and status: one grouped query."""
    counts = (
        OutgoingMessage.objects.filter(group=ref(campaign), kind__in=DELIVERY_KINDS)
        .values_list("kind", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for kind, status, n in counts:
        by_kind[kind][status] += n
    statuses = OutgoingMessage.Status
    return [
        {
            "kind": MessageKind(kind).label,
            # Queued and sending are both "on their way" to a reader of this page.
            "pending": by_kind[kind][statuses.QUEUED] + by_kind[kind][statuses.SENDING],
            "sent": by_kind[kind][statuses.SENT],
            "failed": by_kind[kind][statuses.FAILED],
            "total": sum(by_kind[kind].values()),
        }
        for kind in DELIVERY_KINDS
        if kind in by_kind
    ]


def source_label(kind: str, code: str, partner: str | None) -> str:
    if partner:
        return _("%(partner)s (partner)") % {"partner": partner}
    label = str(Source(kind).label) if kind in Source.values else kind
    return f"{label}: {code}" if code else label


def source_breakdown(signatures, days: int = 14) -> dict:
    """Counted signatures by source, and by source for each of the last `days` days.

    One grouped query. A source is the channel (page, embed, shared link, unknown code), the
    share code, and the partner the signature came through: nothing about the signer.
    """
    since = timezone.now() - datetime.timedelta(days=days)
    rows = (
        signatures.annotate(day=TruncDate("confirmed_at", tzinfo=timezone.get_current_timezone()))
        .values_list("source", "source_code", "partner__name", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    totals: dict[str, int] = defaultdict(int)
    per_day: dict[datetime.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for kind, code, partner, day, n in rows:
        label = source_label(kind, code, partner)
        totals[label] += n
        if day is not None and day >= timezone.localdate(since):
            per_day[day][label] += n
    labels = sorted(totals, key=lambda label: (-totals[label], label))
    return {
        "labels": labels,
        "rows": [(label, totals[label]) for label in labels],
        "days": [
            {"day": day, "counts": [per_day[day].get(label, 0) for label in labels]}
            for day in sorted(per_day, reverse=True)
        ],
        "recent_days": days,
    }


def may_export(user, campaign) -> bool:
    return role_in(user, campaign.organisation) in CAN_EDIT


@login_required
@require_safe
@never_cache
def signature_stats(request, slug):
    campaign = campaign_for_coordinator(request, slug)
    per_day, per_country = confirmed_breakdown(campaign)
    days = charts.every_day(per_day, timezone.localdate() if campaign.is_open else None)
    context = {
        "campaign": campaign,
        "totals": signature_totals(campaign),
        # The headline is the sum of the tables beside it, from the same scan: they agree at
        # every moment (campaign.signature_count, kept for public pages, may lag 30 s).
        "counted": sum(per_day.values()),
        "days": days,
        "chart": charts.daily_bars(days, rtl=get_language_bidi()) if days else None,
        "chart_days": charts.MAX_DAYS,
        "per_country": per_country,
        "exports": SignatureExport.objects.filter(campaign=campaign).select_related("exported_by")[
            :RECENT_EXPORTS
        ],
        "may_export": may_export(request.user, campaign),
        "deliveries": delivery_figures(campaign),
        "postal_only": list(campaign.targets.filter(email="").order_by("name")),
        "sources": source_breakdown(Signature.objects.counted().filter(campaign=campaign)),
    }
    return render(request, "letters/dashboard/signatures.html", context)


# -- Export ----------------------------------------------------------------------------------

# What each column holds, and the consent it needs. Rows are the confirmed signatures that were
# not erased; a cell whose consent is missing stays empty, so the row count is still the count
# of supporters and nobody's data leaves without their agreement.
EXPORT_COLUMNS = [
    "confirmed_at",
    "language",
    "name",
    "email",
    "city",
    "country",
    "message",
    "agreed_to_share_name",
    "agreed_to_updates",
]


def exportable(campaign):
    return (
        Signature.objects.counted()
        .filter(campaign=campaign, erased_at__isnull=True)
        .order_by("confirmed_at", "id")
    )


def export_row(row: tuple) -> list:
    """One signature as CSV cells, keeping only what the signer agreed to share.

    - name: if they agreed to share it with the officials, or to hear from the organisation
      (which must be able to address them);
    - city, country and personal message: only with their name shared with the officials;
    - e-mail: only if they asked the organisation to keep them informed.
    """
    confirmed_at, language, name, email, city, country, message, share_name, updates = row
    return [
        confirmed_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
        language,
        name if share_name or updates else "",
        email if updates else "",
        city if share_name else "",
        country if share_name else "",
        message if share_name else "",
        "yes" if share_name else "no",
        "yes" if updates else "no",
    ]


# The signature's fields behind the columns: the columns' names but for the two consents.
CONSENT_FIELDS = {
    "agreed_to_share_name": "consent_share_name",
    "agreed_to_updates": "consent_updates",
}
EXPORT_FIELDS = [CONSENT_FIELDS.get(column, column) for column in EXPORT_COLUMNS]


def export_figures(campaign) -> dict:
    """How many rows an export would have, and how many carry a name or an e-mail."""
    return exportable(campaign).aggregate(
        rows=Count("id"),
        names=Count("id", filter=Q(consent_share_name=True) | Q(consent_updates=True)),
        emails=Count("id", filter=Q(consent_updates=True)),
    )


@login_required
@require_safe
@never_cache
def export_confirm(request, slug):
    """Say what will be exported, and under which rule, before anything is."""
    campaign = campaign_for_coordinator(request, slug, edit=True)
    return render(
        request,
        "letters/dashboard/export_confirm.html",
        {"campaign": campaign, "figures": export_figures(campaign), "columns": EXPORT_COLUMNS},
    )


def stream_export(export: SignatureExport, signatures, fields, columns, to_cells):
    """The CSV, line by line; records the number of rows sent, even if the download stops.

    `signatures` gives `fields` of each row, which `to_cells` turns into the cells of
    `columns`.
    """
    rows = signatures.values_list(*fields).iterator(chunk_size=EXPORT_CHUNK)
    lines = csv_lines(chain([columns], map(to_cells, rows)))
    sent, finished = 0, False
    try:
        yield next(lines)  # the header
        for line in lines:
            sent += 1  # counted when handed to the server, even if the client then goes away
            yield line
        finished = True
    finally:
        rows.close()  # releases the database cursor now, not when garbage is collected
        SignatureExport.objects.filter(pk=export.pk).update(
            row_count=sent, finished_at=timezone.now() if finished else None
        )


def export_response(export: SignatureExport, lines, name: str):
    """The download of an export begun: `<name>-<date and time>.csv`, never cached."""
    stamp = timezone.localtime(export.started_at).strftime("%Y%m%d-%H%M")
    response = csv_response(lines, f"{name}-{stamp}.csv")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def export_csv(request, slug):
    """Stream the consented signature data as CSV; one SignatureExport row per export."""
    campaign = campaign_for_coordinator(request, slug, edit=True)
    # Recorded before the first row leaves, so that no export goes unrecorded.
    export = SignatureExport.objects.create(campaign=campaign, exported_by=request.user)
    lines = stream_export(export, exportable(campaign), EXPORT_FIELDS, EXPORT_COLUMNS, export_row)
    return export_response(export, lines, f"signatures-{campaign.slug}")


# -- A partner organisation's share ------------------------------------------------------------
#
# A partner's members see the campaign's public figures and the signatures that came through
# their own embed and links (Signature.partner), never another partner's nor the lead's; they
# export only the signers who agreed to hear from them (Signature.consent_partner).

PARTNER_EXPORT_COLUMNS = ["confirmed_at", "language", "name", "email", "country"]


def partner_signatures(partnership):
    return Signature.objects.counted().filter(
        campaign=partnership.campaign, partner=partnership.organisation
    )


def partner_exportable(partnership):
    return (
        partner_signatures(partnership)
        .filter(consent_partner=True, erased_at__isnull=True)
        .order_by("confirmed_at", "id")
    )


@login_required
@require_safe
@never_cache
def partner_stats(request, slug, organisation):
    partnership = partnership_for_member(request, slug, organisation)
    campaign = partnership.campaign
    signatures = partner_signatures(partnership)
    context = {
        "campaign": campaign,
        "partnership": partnership,
        "partner": partnership.organisation,
        "through_partner": signatures.count(),
        "consenting": partner_exportable(partnership).count(),
        "sources": source_breakdown(signatures),
        "may_export": role_in(request.user, partnership.organisation) in CAN_EDIT,
        "embed": embed_code(request, campaign, partnership.source_code),
        "exports": SignatureExport.objects.filter(
            campaign=campaign, partner=partnership.organisation
        ).select_related("exported_by")[:RECENT_EXPORTS],
    }
    return render(request, "letters/dashboard/partner.html", context)


@login_required
@require_safe
@never_cache
def partner_export_confirm(request, slug, organisation):
    partnership = partnership_for_member(request, slug, organisation, edit=True)
    return render(
        request,
        "letters/dashboard/partner_export_confirm.html",
        {
            "campaign": partnership.campaign,
            "partner": partnership.organisation,
            "row_count": partner_exportable(partnership).count(),
            "columns": PARTNER_EXPORT_COLUMNS,
        },
    )


def partner_export_row(row: tuple) -> list:
    confirmed_at, language, name, email, country = row
    return [
        confirmed_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
        language,
        name,
        email,
        country,
    ]


@login_required
@require_POST
def partner_export_csv(request, slug, organisation):
    """The partner's consenting signers as CSV; one SignatureExport row (with the partner)."""
    partnership = partnership_for_member(request, slug, organisation, edit=True)
    export = SignatureExport.objects.create(
        campaign=partnership.campaign, exported_by=request.user, partner=partnership.organisation
    )
    lines = stream_export(
        export,
        partner_exportable(partnership),
        PARTNER_EXPORT_COLUMNS,
        PARTNER_EXPORT_COLUMNS,
        partner_export_row,
    )
    name = f"signatures-{partnership.campaign.slug}-{partnership.organisation.slug}"
    return export_response(export, lines, name)
