"""Django admin for signatures, letters and the e-mail domain block-list.

Signatures, messages and letters are records of what people did and what was sent: admins
read them but do not edit them here (confirmations, deliveries and erasure go through their
services, which keep counts and logs right). Lists never show e-mail addresses: an admin list
is often seen over someone's shoulder.
"""

from django.contrib import admin
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from idei.admin import ReadOnlyAdmin

from . import services
from .models import (
    BlockedEmailDomain,
    Letter,
    Response,
    ResponseDecision,
    Signature,
    WatchlistEntry,
)


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "country",
        "language",
        "created_at",
        "confirmed_at",
        "bounced_at",
        "erased_at",
        "source",
    ]
    list_filter = [
        ("confirmed_at", admin.EmptyFieldListFilter),
        "source",
        ("bounced_at", admin.EmptyFieldListFilter),
        ("held_by", admin.EmptyFieldListFilter),
        "consent_share_name",
        "consent_updates",
        "consent_reminders",
        "consent_show_first_name",
        "consent_partner",
        "language",
    ]
    search_fields = ["campaign__title", "campaign__slug"]
    search_help_text = _("Search by campaign title or slug.")
    list_select_related = ["campaign"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # no COUNT(*) over a large table on every page
    exclude = ["confirmation_token_hash"]


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    list_display = ["signature", "target", "language", "created_at"]
    list_filter = ["language"]
    search_fields = ["signature__campaign__title", "target__name"]
    list_select_related = ["signature__campaign", "target"]
    show_full_result_count = False


@admin.register(BlockedEmailDomain)
class BlockedEmailDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "reason", "created_at"]
    search_fields = ["domain", "reason"]
    fields = ["domain", "reason"]


@admin.register(WatchlistEntry)
class WatchlistEntryAdmin(admin.ModelAdmin):
    """Sources that signed a lot in an hour; blocking one holds its later signatures back."""

    list_display = ["__str__", "alerted_at", "alert_count", "blocked_at", "held", "note"]
    list_filter = ["kind", ("blocked_at", admin.EmptyFieldListFilter)]
    search_fields = ["value", "note"]
    fields = ["kind", "value", "note", "blocked_at", "alerted_at", "alert_count"]
    readonly_fields = ["blocked_at", "alerted_at", "alert_count"]
    actions = ["block", "unblock", "count_held", "drop_held"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(held_count=Count("held_signatures"))

    @admin.display(description=_("held signatures"), ordering="held_count")
    def held(self, entry) -> int:
        return entry.held_count

    @admin.action(description=_("Block: hold back later signatures from these sources"))
    def block(self, request, queryset):
        for entry in queryset.filter(blocked_at__isnull=True):
            entry.blocked_at = timezone.now()
            entry.save(update_fields=["blocked_at"])  # save(): the block-list is read again
        self.message_user(request, _("Later signatures from these sources are held back."))

    @admin.action(description=_("Unblock: later signatures count again"))
    def unblock(self, request, queryset):
        for entry in queryset.filter(blocked_at__isnull=False):
            entry.blocked_at = None
            entry.save(update_fields=["blocked_at"])
        self.message_user(
            request,
            _("Later signatures from these sources count. Held ones stay held until counted."),
        )

    @admin.action(description=_("Count the held signatures"))
    def count_held(self, request, queryset):
        counted = sum(services.count_held_signatures(entry) for entry in queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d held signature now counts.",
                "%(count)d held signatures now count.",
                counted,
            )
            % {"count": counted},
        )

    @admin.action(description=_("Drop the held signatures"))
    def drop_held(self, request, queryset):
        held = Signature.objects.filter(held_by__in=queryset).count()
        if request.POST.get("confirmed") != "yes":
            # A destructive action: say what will happen and ask first.
            return TemplateResponse(
                request,
                "admin/letters/watchlistentry/drop_held.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Drop the held signatures?"),
                    "entries": queryset,
                    "held": held,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                    "opts": self.model._meta,
                },
            )
        dropped = sum(services.drop_held_signatures(entry) for entry in queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d held signature was dropped.",
                "%(count)d held signatures were dropped.",
                dropped,
            )
            % {"count": dropped},
        )
        return None


from .reminders import admin as reminder_admin  # noqa: E402, F401 - subscriptions, reminder schedule


class ResponseDecisionInline(admin.TabularInline):
    model = ResponseDecision
    fields = ["decided_at", "decision", "excerpt", "decided_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    """Officials' responses, read-only: coordinators decide in the dashboard
    (/dashboard/responses/), where admins see every organisation's. Replies that matched no
    delivered message wait in Inbound mail, outcome "held" (the holding pen)."""

    list_display = [
        "received_at",
        "target",
        "campaign",
        "channel",
        "status",
        "from_matches_official",
    ]
    list_filter = ["status", "channel", "from_matches_official"]
    search_fields = ["target__name", "campaign__title", "subject"]
    date_hierarchy = "received_at"
    fields = [
        "campaign",
        "target",
        "channel",
        "status",
        "received_at",
        "subject",
        "from_address",
        "from_matches_official",
        "text",
        "public_text",
        "published_at",
        "recorded_by",
        "inbound_message",
    ]
    readonly_fields = fields
    inlines = [ResponseDecisionInline]
    list_select_related = ["target", "campaign"]
