"""Django admin for organisations, officials, campaigns and invitations.

A campaign's status moves only through its transitions (the actions below), so that every change
is recorded with who and when; the status field itself is read-only here.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import (
    Campaign,
    CampaignStatusChange,
    CampaignTranslation,
    Invitation,
    LetterTemplate,
    Membership,
    Organisation,
    Partnership,
    Target,
)


class MembershipFormSet(BaseInlineFormSet):
    """An organisation that has members keeps at least one owner (as campaigns.services does)."""

    def clean(self):
        super().clean()
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if kept and not any(row.get("role") == Membership.Role.OWNER for row in kept):
            raise ValidationError(_("An organisation must keep at least one owner."))


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 1
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "country", "contact_email"]
    list_filter = ["country"]
    search_fields = ["name", "slug", "contact_email"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "position",
        "institution",
        "country",
        "language",
        "last_verified",
        "created_by_organisation",
        "is_shared",
    ]
    list_filter = ["country", "language", "is_shared", "created_by_organisation"]
    search_fields = ["name", "position", "institution", "email"]
    list_select_related = ["created_by_organisation"]
    date_hierarchy = "last_verified"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class LetterTemplateInline(admin.StackedInline):
    model = LetterTemplate
    extra = 0


class CampaignTranslationInline(admin.StackedInline):
    """The title, summary and story in other languages (validated by the model's clean())."""

    model = CampaignTranslation
    extra = 0
    fields = ["language", "title", "summary", "body"]


class CampaignStatusChangeInline(admin.TabularInline):
    model = CampaignStatusChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "from_status", "to_status", "changed_by"]
    readonly_fields = fields
    verbose_name = _("status change")
    verbose_name_plural = _("status history")

    def has_add_permission(self, request, obj=None):
        return False


def transition_action(method: str, description):
    def action(modeladmin, request, queryset):
        done = 0
        for campaign in queryset:
            try:
                getattr(campaign, method)(user=request.user)
            except ValidationError as error:
                modeladmin.message_user(
                    request, f"{campaign}: {' '.join(error.messages)}", messages.ERROR
                )
            except ValueError:
                modeladmin.message_user(
                    request,
                    _("%(campaign)s: not possible from “%(status)s”.")
                    % {"campaign": campaign, "status": campaign.get_status_display()},
                    messages.WARNING,
                )
            else:
                done += 1
        if done:
            modeladmin.message_user(
                request,
                ngettext("%(count)d campaign changed.", "%(count)d campaigns changed.", done)
                % {"count": done},
                messages.SUCCESS,
            )

    action.__name__ = method
    action.short_description = description
    return action


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "status", "signature_count", "goal", "created_at"]
    list_filter = ["status", "delivery_mode", "organisation"]
    search_fields = ["title", "slug", "organisation__name"]
    list_select_related = ["organisation"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["status", "signature_count", "created_by", "created_at"]
    raw_id_fields = ["cases"]
    autocomplete_fields = ["targets"]
    inlines = [CampaignTranslationInline, LetterTemplateInline, CampaignStatusChangeInline]
    actions = [
        transition_action("publish", _("Publish the selected campaigns")),
        transition_action("close", _("Close the selected campaigns")),
        transition_action("mark_delivered", _("Mark the selected campaigns as delivered")),
    ]

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are sent from the dashboard (only there does the token exist to e-mail)."""

    list_display = [
        "email",
        "organisation",
        "campaign",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
    ]
    list_filter = ["role", "organisation"]
    search_fields = ["email", "organisation__name"]
    list_select_related = ["organisation", "invited_by", "campaign"]
    readonly_fields = ["invited_by", "created_at", "accepted_at", "campaign"]

    def has_add_permission(self, request):
        return False


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    """Partners join by accepting an invitation from the lead's owner (the dashboard)."""

    list_display = ["organisation", "campaign", "source_code", "created_at"]
    search_fields = ["organisation__name", "campaign__title"]
    readonly_fields = ["source_code", "invited_by", "accepted_by", "created_at"]
    list_select_related = ["organisation", "campaign"]

    def has_add_permission(self, request):
        return False
