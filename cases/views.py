from django.shortcuts import get_object_or_404, render

from .models import UNRESOLVED_RULE, Case


def case_list(request):
    cases = Case.objects.published().for_cards()[:60]
    return render(request, "cases/case_list.html", {"cases": cases})


def country_detail(request, country_code):
    cases = Case.objects.published().in_country(country_code).for_cards()
    return render(
        request, "cases/country_detail.html", {"country_code": country_code, "cases": cases}
    )


def case_detail(request, country_code, slug):
    case = get_object_or_404(
        Case.objects.published().in_country(country_code).prefetch_related("events", "sources"),
        slug=slug,
    )
    return render(
        request, "cases/case_detail.html", {"case": case, "unresolved_rule": UNRESOLVED_RULE}
    )
