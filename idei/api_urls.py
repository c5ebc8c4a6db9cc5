"""The read-only JSON API, /api/v1/: each app registers its endpoints on this router."""

from django.http import JsonResponse
from django.urls import re_path
from django.utils.translation import gettext as _
from rest_framework.routers import DefaultRouter

from campaigns.api import CampaignViewSet
from cases.api import CaseViewSet, CountryViewSet
from letters.responses.api import OfficialViewSet, ResponseViewSet

app_name = "api"

router = DefaultRouter()
# Only JSON is served: no ".json" suffix routes.
router.include_format_suffixes = False
router.register("cases", CaseViewSet, basename="case")
router.register("countries", CountryViewSet, basename="country")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("responses", ResponseViewSet, basename="response")
router.register("officials", OfficialViewSet, basename="official")


def not_found(request, path=""):
    """Any other address under /api/v1/ (an id with a character no route takes, a typo):
    404 in JSON, as the schema documents, rather than the site's HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


urlpatterns = [*router.urls, re_path(r"^(?P<path>[\s\S]*)$", not_found)]
