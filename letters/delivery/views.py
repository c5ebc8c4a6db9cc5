"""PDF downloads: a signer's own letter (by signed link), and a campaign's petition for its
coordinators (/dashboard/campaigns/<slug>/signatures/petition.pdf)."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from campaigns.access import campaign_for_coordinator

from . import links, pdf
from .tasks import generate_petition_pdf

# Up to this many signers the coordinator waits for the file; beyond, a worker makes it.
SYNC_PETITION_LIMIT = 5000


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


def latest_petition(campaign) -> Path | None:
    folder = Path(settings.PRIVATE_FILES_ROOT) / pdf.PETITION_DIR / campaign.slug
    files = sorted(folder.glob("petition-*-all-*.pdf"), key=lambda path: path.stat().st_mtime)
    return files[-1] if files else None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def petition(request, slug):
    """GET: the page with the button and the latest file; ?download=1 that file; POST: make it.

    Viewers may not: the petition lists signers' names (`edit=True` answers 404).
    """
    campaign = campaign_for_coordinator(request, slug, edit=True)
    if request.method == "POST":
        if pdf.petition_signers(campaign).count() <= SYNC_PETITION_LIMIT:
            path = pdf.petition_pdf(campaign)
            return no_store(petition_response(campaign, path))
        generate_petition_pdf.delay_on_commit(campaign.pk)
        messages.success(
            request,
            _(
                "The petition PDF is being made. It will appear on this page when it is "
                "ready: reload the page in a minute or two."
            ),
        )
        return redirect("letters:dashboard:petition_pdf", slug=campaign.slug)
    latest = latest_petition(campaign)
    if request.GET.get("download"):
        if latest is None:
            raise Http404
        return no_store(petition_response(campaign, latest))
    context = {
        "campaign": campaign,
        "latest": latest,
        "signers": pdf.petition_signers(campaign).count(),
        "sync_limit": SYNC_PETITION_LIMIT,
    }
    return render(request, "letters/pdf/petition_page.html", context)


def petition_response(campaign, path: Path) -> FileResponse:
    return FileResponse(
        open(path, "rb"),  # FileResponse closes it
        as_attachment=True,
        filename=f"petition-{campaign.slug}.pdf",
        content_type="application/pdf",
    )
