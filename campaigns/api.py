"""Read-only JSON API for public campaigns (/api/v1/campaigns/): figures anyone may reuse.

"Published" here means made public: open campaigns and closed or delivered ones, which stay
readable with their outcome as on the web pages; `status` says which. Drafts never appear (404).
The count is Campaign.signature_count (confirmed signatures, kept by the letters app), so that
every endpoint runs a fixed number of queries whatever the number of signatures.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from cases.api import (
    CountryCodeField,
    PageQuery,
    PublicViewSet,
    detail_responses,
    list_responses,
    validated_query,
)
from cases.models import Case

from .models import Campaign, CampaignTranslation, Target
from .views import about_case, in_country

PUBLIC_STATUSES = [
    Campaign.Status.PUBLISHED,
    Campaign.Status.CLOSED,
    Campaign.Status.DELIVERED,
]


class CampaignApiFilter(PageQuery):
    """The campaign list's query parameters (the same meanings as on /campaigns/)."""

    status = serializers.ChoiceField(
        required=False,
        choices=PUBLIC_STATUSES,
        help_text=_("published (open for signatures), closed or delivered."),
    )
    country = CountryCodeField(
        required=False,
        help_text=_("ISO 3166-1 alpha-2 code of a case or of an official addressed, e.g. MX."),
    )
    case = serializers.SlugField(required=False, help_text=_("A case's slug."))


class CampaignCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    full_name = serializers.CharField()
    country = serializers.CharField(source="country.code", help_text=_("ISO 3166-1 alpha-2."))
    url = serializers.SerializerMethodField(help_text=_("The case's public page."))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, case) -> str:
        return absolute(self.context.get("request"), case.get_absolute_url())


class CampaignTargetSerializer(serializers.Serializer):
    """An official addressed; their e-mail and postal address are never published here."""

    name = serializers.CharField()
    position = serializers.CharField()
    institution = serializers.CharField()
    country = serializers.CharField(source="country.code", help_text=_("ISO 3166-1 alpha-2."))


class CampaignTextSerializer(serializers.Serializer):
    """The campaign's title and summary in another language, as its coordinators wrote them."""

    language = serializers.CharField(help_text=_("Language code, e.g. es, ar, zh-hans."))
    title = serializers.CharField()
    summary = serializers.CharField()


def absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request else path


class CampaignSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("The campaign's public page."))
    organisation = serializers.CharField(source="organisation.name")
    # A plain string, not an enum: the cases' `status` enum already owns that component name.
    status = serializers.CharField(
        help_text=_(
            "One of: published (open for signatures), closed (no longer collecting), "
            "delivered (letters delivered)."
        ),
    )
    countries = serializers.SerializerMethodField(
        help_text=_("ISO codes of the cases' countries and the officials' countries, sorted.")
    )
    cases = CampaignCaseSerializer(many=True, source="public_cases")
    goal = serializers.IntegerField(help_text=_("The signature goal."))
    signatures = serializers.IntegerField(
        source="signature_count", help_text=_("Confirmed signatures.")
    )
    language = serializers.CharField(
        help_text=_("Language code of `title` and `summary`, e.g. en, es, ar, zh-hans.")
    )
    translations = CampaignTextSerializer(
        many=True,
        help_text=_("The title and summary in other languages, when the coordinators wrote them."),
    )

    class Meta:
        model = Campaign
        fields = [
            "slug",
            "url",
            "title",
            "summary",
            "organisation",
            "status",
            "countries",
            "cases",
            "goal",
            "signatures",
            "opens_at",
            "closes_at",
            "language",
            "translations",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, campaign) -> str:
        return absolute(self.context.get("request"), campaign.get_absolute_url())

    def get_countries(self, campaign) -> list[str]:
        codes = {case.country.code for case in campaign.public_cases}
        codes |= {target.country.code for target in campaign.target_countries}
        return sorted(codes)


class CampaignDetailSerializer(CampaignSerializer):
    targets = CampaignTargetSerializer(many=True, source="public_targets")

    responses_published = serializers.IntegerField(
        help_text=_("Officials' responses to this campaign published by its coordinators.")
    )

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "targets", "responses_published"]
        read_only_fields = fields


def public_campaigns(detail: bool = False):
    """Public campaigns with what the representation needs, in a fixed number of queries."""
    campaigns = (
        Campaign.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("organisation")
        .defer("body", "thank_you_text", "share_text", "image", "image_credit")
        .order_by("-created_at", "-pk")
    )
    targets = Target.objects.only("name", "position", "institution", "country").order_by(
        "country", "name"
    )
    return campaigns.prefetch_related(
        Prefetch(
            "translations",
            queryset=CampaignTranslation.objects.only(
                "campaign_id", "language", "title", "summary"
            ),
        ),
        Prefetch(
            "cases",
            queryset=Case.objects.published()
            .only("full_name", "slug", "country")
            .order_by("date_of_death", "full_name"),
            to_attr="public_cases",
        ),
        Prefetch(
            "targets",
            queryset=targets if detail else Target.objects.only("country"),
            to_attr="public_targets" if detail else "target_countries",
        ),
    )


@extend_schema(tags=["campaigns"])
class CampaignViewSet(PublicViewSet):
    """Public campaigns: open ones, and closed or delivered ones with their final count."""

    serializer_class = CampaignSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def get_queryset(self):
        return public_campaigns()

    @extend_schema(
        summary="List public campaigns",
        description=_(
            "Campaigns made public: open for signatures (status published) and finished ones "
            "(closed, delivered), which stay public with their outcome. Drafts never appear. "
            "`signatures` is the number of confirmed signatures."
        ),
        parameters=[CampaignApiFilter],
        responses=list_responses(CampaignSerializer),
    )
    def list(self, request, *args, **kwargs):
        params = validated_query(request, CampaignApiFilter)
        campaigns = self.get_queryset()
        if "status" in params:
            campaigns = campaigns.filter(status=params["status"])
        if "country" in params:
            campaigns = in_country(campaigns, params["country"])
        if "case" in params:
            campaigns = about_case(campaigns, params["case"])
        return self.page_of(campaigns)

    @extend_schema(
        summary="One public campaign, with the officials it addresses",
        description=_(
            "404 for drafts and unknown slugs. Officials are listed without their e-mail or "
            "postal address."
        ),
        responses=detail_responses(
            CampaignDetailSerializer,
            _("No public campaign with this slug (drafts are never public)."),
        ),
    )
    def retrieve(self, request, *args, **kwargs):
        validated_query(request, serializers.Serializer)
        campaign = public_campaigns(detail=True).filter(slug=kwargs["slug"]).first()
        if campaign is None:
            raise NotFound(_("No public campaign with this slug."))
        campaign.target_countries = campaign.public_targets
        return Response(CampaignDetailSerializer(campaign, context={"request": request}).data)
