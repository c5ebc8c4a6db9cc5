from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from cases.models import Case
from cases.observance import days_until_observance, next_observance

from .models import Campaign


def home(request):
    cases = Case.objects.published()
    total = cases.count()
    unresolved = cases.unresolved().count()
    today = timezone.localdate()
    context = {
        "case_count": total,
        "unresolved_percent": round(100 * unresolved / total) if total else 0,
        "open_campaign_count": Campaign.objects.published().count(),
        "campaigns": Campaign.objects.published().select_related("organisation")[:3],
        "next_day": next_observance(today),
        "days_left": days_until_observance(today),
    }
    return render(request, "campaigns/home.html", context)


def campaign_list(request):
    campaigns = Campaign.objects.public().select_related("organisation")
    return render(request, "campaigns/campaign_list.html", {"campaigns": campaigns})


def campaign_detail(request, slug):
    campaign = get_object_or_404(
        Campaign.objects.public().select_related("organisation"), slug=slug
    )
    return render(request, "campaigns/campaign_detail.html", {"campaign": campaign})
