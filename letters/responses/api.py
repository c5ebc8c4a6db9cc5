"""Read-only JSON API of the public record: /api/v1/responses/ and /api/v1/officials/.

Only published responses appear, with the text a coordinator chose to publish; officials are
those IDEI has delivered letters to, without their e-mail or postal address.
"""

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response as ApiResponse

from campaigns.api import absolute
from cases.api import (
    CountryCodeField,
    PageQuery,
    PublicViewSet,
    detail_responses,
    list_responses,
    validated_query,
)
from cases.models import Case

from ..models import Response
from . import records


class ResponseApiFilter(PageQuery):
    campaign = serializers.SlugField(required=False, help_text=_("A campaign's slug."))
    country = CountryCodeField(
        required=False, help_text=_("ISO 3166-1 alpha-2 code of the official's country, e.g. MX.")
    )
    official = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text=_("An official's id.")
    )


class OfficialApiFilter(PageQuery):
    country = CountryCodeField(
        required=False, help_text=_("ISO 3166-1 alpha-2 code of the official's country, e.g. MX.")
    )


class OfficialSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.CharField()
    institution = serializers.CharField()
    country = serializers.CharField(source="country.code", help_text=_("ISO 3166-1 alpha-2."))
    url = serializers.SerializerMethodField(help_text=_("The official's public page."))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, target) -> str:
        return absolute(self.context.get("request"), reverse("letters:official", args=[target.pk]))


class ResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    official = OfficialSummarySerializer(source="target")
    campaign = serializers.CharField(source="campaign.slug", help_text=_("The campaign's slug."))
    cases = serializers.SerializerMethodField(help_text=_("Slugs of the cases it concerns."))
    channel = serializers.CharField(
        help_text=_("How it came: email, post, phone, meeting or statement.")
    )
    received_on = serializers.SerializerMethodField(help_text=_("The day it was received."))
    published_at = serializers.DateTimeField()
    text = serializers.CharField(
        source="public_text", help_text=_("What the coordinator published: all or an excerpt.")
    )

    def get_cases(self, response) -> list[str]:
        return [case.slug for case in response.public_cases]

    @extend_schema_field(OpenApiTypes.DATE)
    def get_received_on(self, response) -> str:
        return response.received_at.date().isoformat()


class OfficialSerializer(OfficialSummarySerializer):
    letters_delivered = serializers.IntegerField()
    first_letter_at = serializers.DateTimeField(
        allow_null=True, help_text=_("When the first letter was delivered; null if none yet.")
    )
    responses_published = serializers.IntegerField()
    days_without_reply = serializers.IntegerField(
        allow_null=True,
        help_text=_("Days since the first letter, while no answer came; null once answered."),
    )


def published_responses():
    return (
        Response.objects.published()
        .filter(campaign__status__in=["published", "closed", "delivered"])
        .select_related("target", "campaign")
        .prefetch_related(
            Prefetch(
                "cases",
                queryset=Case.objects.published().only("slug"),
                to_attr="public_cases",
            )
        )
        .order_by("-published_at", "-pk")
    )


@extend_schema(tags=["responses"])
class ResponseViewSet(PublicViewSet):
    """Officials' responses that coordinators published."""

    serializer_class = ResponseSerializer
    lookup_value_regex = "[0-9]{1,10}"

    def get_queryset(self):
        return published_responses()

    @extend_schema(
        summary="List published responses of officials",
        parameters=[ResponseApiFilter],
        responses=list_responses(ResponseSerializer),
    )
    def list(self, request, *args, **kwargs):
        params = validated_query(request, ResponseApiFilter)
        responses = self.get_queryset()
        if "campaign" in params:
            responses = responses.filter(campaign__slug=params["campaign"])
        if "country" in params:
            responses = responses.filter(target__country=params["country"])
        if "official" in params:
            responses = responses.filter(target_id=params["official"])
        return self.page_of(responses)

    @extend_schema(
        summary="One published response",
        responses=detail_responses(ResponseSerializer, _("No published response with this id.")),
    )
    def retrieve(self, request, *args, **kwargs):
        validated_query(request, serializers.Serializer)
        response = self.get_queryset().filter(pk=int(kwargs["pk"])).first()
        if response is None:
            raise NotFound(_("No published response with this id."))
        return ApiResponse(self.get_serializer(response).data)


class OfficialRow:
    """A target with its public record, as the serializer reads it."""

    def __init__(self, target, record):
        self.id, self.name, self.position = target.pk, target.name, target.position
        self.institution, self.country, self.pk = target.institution, target.country, target.pk
        self.letters_delivered = record.letters_delivered
        self.first_letter_at = record.first_letter_at
        self.responses_published = record.responses_published
        self.days_without_reply = record.days_without_reply


@extend_schema(tags=["officials"])
class OfficialViewSet(PublicViewSet):
    """Officials and institutions IDEI has delivered letters to, and whether they answered."""

    serializer_class = OfficialSerializer
    lookup_value_regex = "[0-9]{1,10}"

    def get_queryset(self):
        return []

    @extend_schema(
        summary="List officials written to, with letters delivered and responses",
        parameters=[OfficialApiFilter],
        responses=list_responses(OfficialSerializer),
    )
    def list(self, request, *args, **kwargs):
        params = validated_query(request, OfficialApiFilter)
        rows = [
            OfficialRow(target, record)
            for target, record in records.officials_written_to(params.get("country"))
        ]
        return self.page_of(rows)

    @extend_schema(
        summary="One official written to",
        responses=detail_responses(OfficialSerializer, _("No public official with this id.")),
    )
    def retrieve(self, request, *args, **kwargs):
        validated_query(request, serializers.Serializer)
        found = records.official(int(kwargs["pk"]))
        if found is None:
            raise NotFound(_("No public official with this id."))
        return ApiResponse(self.get_serializer(OfficialRow(*found)).data)
