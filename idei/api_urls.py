"""The read-only JSON API, /api/v1/: each app registers its endpoints on this router."""

from rest_framework.routers import DefaultRouter

from campaigns.api import CampaignViewSet
from cases.api import CaseViewSet, CountryViewSet

app_name = "api"

router = DefaultRouter()
# Only JSON is served: no ".json" suffix routes.
router.include_format_suffixes = False
router.register("cases", CaseViewSet, basename="case")
router.register("countries", CountryViewSet, basename="country")
router.register("campaigns", CampaignViewSet, basename="campaign")

urlpatterns = router.urls
