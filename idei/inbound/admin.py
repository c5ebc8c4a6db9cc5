"""Inbound mail in Django admin: what came in and what was done with it (read-only).

The raw message is not shown: it holds other people's addresses; a developer reads it in the
database when a parser must be fixed.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import InboundMessage
from .tasks import process_inbound_message


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "source", "status", "outcome", "size"]
    list_filter = ["status", "outcome", "source"]
    date_hierarchy = "received_at"
    fields = ["received_at", "source", "size", "status", "outcome", "error", "processed_at"]
    readonly_fields = fields
    actions = ["process_again"]
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Process the selected messages again"), permissions=["view"])
    def process_again(self, request, queryset):
        pks = list(queryset.values_list("pk", flat=True))
        InboundMessage.objects.filter(pk__in=pks).update(status=InboundMessage.Status.RECEIVED)
        for pk in pks:
            process_inbound_message.delay(pk)
        count = len(pks)
        self.message_user(
            request,
            ngettext(
                "%d message will be processed again.", "%d messages will be processed again.", count
            )
            % count,
            messages.SUCCESS,
        )
