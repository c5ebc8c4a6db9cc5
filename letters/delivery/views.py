"""PDF downloads: a signer's own letter (by signed link), and a campaign's petition for its
coordinators (/dashboard/campaigns/<slug>/signatures/petition.pdf), made by a worker."""

import datetime
from pathlib import Path
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from campaigns.access import campaign_for_coordinator

from . import links, pdf, tasks


def no_store(response):
    # Personal data: never kept by a proxy or the browser cache (never_cache adds the rest).
    response["Cache-Control"] = "private, no-store, no-cache, max-age=0, must-revalidate"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
@never_cache
def letter_pdf(request, token):
    signature = links.signature_for_pdf_token(token)
    if signature is None:
        raise Http404
    response = HttpResponse(pdf.letter_pdf(signature), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="letter-{signature.campaign.slug}.pdf"'
    return no_store(response)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def petition(request, slug):
    """The coordinator's petition PDF: the letter, the cases and every consenting signer.

    A worker makes it (tasks.generate_petition_pdf), never this request, whatever the number
    of signers. GET: the page saying whether the file is up to date, being prepared or not
    made yet. ?download=1: the file if it is up to date with the signatures (or was begun
    after `since`, when the coordinator asked: an open campaign's signatures move on while it
    is made); otherwise it is asked for and the "being prepared" page answers, with a link to
    check again. POST: ask for it, then go to the download. Viewers may not: the petition
    lists signers' names (`edit=True` answers 404).
    """
    campaign = campaign_for_coordinator(request, slug, edit=True)
    version = pdf.petition_version(campaign)
    if request.method == "POST":
        since = None
        if ready_petition(campaign, version) is None:
            since = ask_for_petition(campaign)
        return redirect(download_url(campaign, since))
    if request.GET.get("download"):
        since = parse_since(request.GET.get("since"))
        ready = ready_petition(campaign, version, since)
        if ready is None:
            # Asked again if the earlier task failed or was lost; a pending one is left alone.
            asked = ask_for_petition(campaign)
            since = since or asked
            ready = ready_petition(campaign, version, since)  # made at once where tasks run inline
        if ready is not None:
            return no_store(petition_response(campaign, ready.path))
        return petition_page(request, campaign, version, preparing_since=since, status=202)
    return petition_page(request, campaign, version)


def ask_for_petition(campaign) -> datetime.datetime:
    """Have a worker make the petition; since when it is asked for (a file begun then will do)."""
    asked = tasks.petition_pending_since(campaign) or timezone.now()
    tasks.request_petition_pdf(campaign)
    return asked


def ready_petition(campaign, version: str, since=None) -> pdf.PetitionFile | None:
    """The file to serve: the newest if it is current or was begun at or after `since`."""
    files = pdf.petition_files(campaign)
    for file in files:
        if file.is_current(version):
            return file
    if files and since is not None and files[0].made_at >= since:
        return files[0]
    return None


def download_url(campaign, since: datetime.datetime | None = None) -> str:
    url = reverse("letters:dashboard:petition_pdf", args=[campaign.slug])
    query = {"download": 1}
    if since is not None:
        query["since"] = int(since.timestamp() * 1000)  # milliseconds
    return f"{url}?{urlencode(query)}"


def parse_since(value) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromtimestamp(int(value) / 1000, tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def petition_page(request, campaign, version, *, preparing_since=None, status=200):
    files = pdf.petition_files(campaign)
    current = next((file for file in files if file.is_current(version)), None)
    pending = tasks.petition_pending_since(campaign)
    if preparing_since is None and pending is not None and current is None:
        preparing_since = pending
    latest = files[0] if files else None
    context = {
        "campaign": campaign,
        "signers": int(version.split("-", 1)[0]),
        "current": current,
        "latest": latest if latest is not current else None,
        "preparing": preparing_since is not None and current is None,
        "progress": pdf.petition_progress(campaign) if current is None else None,
        "page_url": reverse("letters:dashboard:petition_pdf", args=[campaign.slug]),
        "check_url": download_url(campaign, preparing_since) if preparing_since else "",
        "latest_url": download_url(campaign, latest.made_at) if latest else "",
    }
    response = render(request, "letters/pdf/petition_page.html", context, status=status)
    return no_store(response)


def petition_response(campaign, path: Path) -> FileResponse:
    return FileResponse(
        open(path, "rb"),  # FileResponse closes it
        as_attachment=True,
        filename=f"petition-{campaign.slug}.pdf",
        content_type="application/pdf",
    )
