"""Django admin for signatures, letters and the e-mail domain block-list.

Signatures, messages and letters are records of what people did and what was sent: admins
read them but do not edit them here (confirmations, deliveries and erasure go through their
services, which keep counts and logs right). Lists never show e-mail addresses: an admin list
is often seen over someone's shoulder.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import BlockedEmailDomain, Letter, Signature


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
    ]
    list_filter = [
        ("confirmed_at", admin.EmptyFieldListFilter),
        ("bounced_at", admin.EmptyFieldListFilter),
        "consent_share_name",
        "consent_updates",
        "consent_reminders",
        "consent_show_first_name",
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


from .reminders import admin as reminder_admin  # noqa: E402, F401 - subscriptions, reminder schedule
