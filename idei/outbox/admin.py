"""The outbox in Django admin: what was sent, to whom it belonged, and what failed.

Read-only: a message is a record of what was sent. Lists never show e-mail addresses (an admin
list is often seen over someone's shoulder).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import KIND_LABELS, OutgoingMessage


class KindFilter(admin.SimpleListFilter):
    """Filter by kind, named as the app that queues it names it (see register_kinds)."""

    title = _("kind")
    parameter_name = "kind__exact"

    def lookups(self, request, model_admin):
        return sorted(KIND_LABELS.items(), key=lambda item: str(item[1]))

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin):
    list_display = ["kind_label", "status", "attempts", "created_at", "sent_at", "group"]
    list_filter = ["status", KindFilter]
    search_fields = ["group", "idempotency_key"]
    search_help_text = _("Search by group (e.g. campaigns.campaign:12) or idempotency key.")
    date_hierarchy = "created_at"
    show_full_result_count = False  # no COUNT(*) over a large table on every page

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, message):
        return message.kind_label
