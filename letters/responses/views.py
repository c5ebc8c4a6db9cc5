"""Pages of responses: the public record of officials, and moderation in the dashboard.

Public: /officials/ (filterable by country) and /officials/<id>/. Dashboard:
/dashboard/responses/ (what waits for a decision), one response with its decision form, a
response by other ways under its campaign, and attachments (private: coordinators only).
Every dashboard view finds campaigns through campaigns.access: other organisations' responses
are 404, and only owners and coordinators decide or record (viewers read).
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_countries import countries

from campaigns.access import CAN_EDIT, campaign_for_coordinator, campaigns_for, role_in
from campaigns.models import Campaign

from ..models import Response, ResponseDecision
from . import content, records, services
from .forms import DecisionForm, RecordResponseForm
from .tasks import send_signer_news

PAGE_SIZE = 50

# -- Public record ----------------------------------------------------------------------------


@require_safe
def officials(request):
    """Every official written to, with letters delivered, responses and days without reply."""
    country = request.GET.get("country", "").strip().upper()
    valid = country in dict(countries)
    rows = records.officials_written_to(country if valid else None)
    every = rows if not valid else records.officials_written_to()
    names = {target.country.code: target.country.name for target, _record in every}
    written_countries = sorted(names.items(), key=lambda item: str(item[1]))
    return render(
        request,
        "letters/responses/officials.html",
        {
            "rows": rows,
            "country": country if valid else "",
            "bad_country": bool(country) and not valid,
            "countries": written_countries,
        },
        status=400 if country and not valid else 200,
    )


@require_safe
def official(request, pk):
    found = records.official(pk)
    if found is None:
        raise Http404
    target, record = found
    campaigns = (
        Campaign.objects.public()
        .filter(pk__in=record.campaign_ids)
        .select_related("organisation")
        .order_by("-created_at")
    )
    responses = (
        Response.objects.published()
        .filter(target=target)
        .select_related("campaign")
        .order_by("-received_at")
    )
    return render(
        request,
        "letters/responses/official.html",
        {"target": target, "record": record, "campaigns": campaigns, "responses": responses},
    )


# -- Moderation -------------------------------------------------------------------------------


def responses_for(user):
    return Response.objects.filter(campaign__in=campaigns_for(user))


def response_for_coordinator(request, pk, *, edit=False) -> Response:
    response = get_object_or_404(
        responses_for(request.user).select_related("campaign__organisation", "target"), pk=pk
    )
    if edit and role_in(request.user, response.campaign.organisation) not in CAN_EDIT:
        raise Http404
    return response


@login_required
@require_safe
@never_cache
def moderation_list(request):
    status = request.GET.get("status", Response.Status.PENDING)
    if status not in Response.Status.values:
        status = Response.Status.PENDING
    responses = (
        responses_for(request.user)
        .filter(status=status)
        .select_related("campaign", "target")
        .order_by("-received_at", "-pk")
    )
    page = Paginator(responses, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "letters/responses/moderation_list.html",
        {"page": page, "status": status, "statuses": Response.Status.choices},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def moderation_detail(request, pk):
    response = response_for_coordinator(request, pk, edit=request.method == "POST")
    can_edit = role_in(request.user, response.campaign.organisation) in CAN_EDIT
    initial = {
        "decision": ResponseDecision.Decision.PUBLISH,
        "public_text": response.public_text or content.without_quote(response.text),
    }
    form = DecisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        decision = form.cleaned_data["decision"]
        changed = services.decide(
            response, decision, user=request.user, public_text=form.cleaned_data["public_text"]
        )
        if changed and decision == ResponseDecision.Decision.PUBLISH:
            send_signer_news.delay_on_commit()
        if changed:
            messages.success(request, _("Your decision is saved."))
        else:
            messages.info(request, _("Nothing changed: the response was already in that state."))
        return redirect("letters:responses:detail", response.pk)
    return render(
        request,
        "letters/responses/moderation_detail.html",
        {
            "response": response,
            "form": form,
            "can_edit": can_edit,
            "decisions": response.decisions.select_related("decided_by"),
            "attachments": response.attachments.all(),
        },
    )


@login_required
@require_safe
def attachment(request, pk, attachment_pk):
    response = response_for_coordinator(request, pk)
    item = get_object_or_404(response.attachments, pk=attachment_pk)
    download = FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.name,
        content_type="application/octet-stream",
    )
    download["X-Content-Type-Options"] = "nosniff"
    download["Cache-Control"] = "private, no-store"
    return download


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def record(request, slug):
    campaign = campaign_for_coordinator(request, slug, edit=True)
    form = RecordResponseForm(request.POST or None, request.FILES or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        received = timezone.make_aware(
            datetime.datetime.combine(data["received_on"], datetime.time(12))
        )
        same = Response.objects.filter(
            campaign=campaign,
            target=data["target"],
            channel=data["channel"],
            received_at=received,
            text=data["summary"],
        ).first()
        if same is not None:  # a repeated submit records nothing more
            messages.info(request, _("This response was already recorded."))
            return redirect("letters:responses:detail", same.pk)
        response = services.record_response(
            campaign,
            data["target"],
            channel=data["channel"],
            received_on=received,
            summary=data["summary"],
            scan=form.cleaned_scan,
            user=request.user,
        )
        messages.success(request, _("The response is recorded. Decide now whether to publish it."))
        return redirect("letters:responses:detail", response.pk)
    return render(request, "letters/responses/record.html", {"campaign": campaign, "form": form})
