"""Every URL of the letters app, mounted at the site root by idei/urls.py.

The sign form's POST lives beside the campaign page (/campaigns/<slug>/sign/) and a campaign's
signatures beside its dashboard page, but both are served by this app, so that campaigns never
imports letters. Names: `letters:sign`, `letters:reminders:confirm`, `letters:dashboard:export`.
"""

from django.urls import include, path

from . import dashboard, views
from .delivery import views as delivery_views
from .privacy import views as privacy_views
from .reminders import views as reminder_views
from .responses import views as response_views

app_name = "letters"

reminder_patterns = [
    path("", reminder_views.subscribe, name="subscribe"),
    path("check-your-email/", reminder_views.check_email, name="check_email"),
    path("confirm/<str:token>/", reminder_views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", reminder_views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", reminder_views.preferences, name="preferences"),
]

# A campaign's signatures in the coordinator dashboard.
dashboard_patterns = [
    path("", dashboard.signature_stats, name="signatures"),
    path("export/", dashboard.export_confirm, name="export"),
    path("export/csv/", dashboard.export_csv, name="export_csv"),
    path("petition.pdf", delivery_views.petition, name="petition_pdf"),
    # A partner organisation's share of the campaign, for that partner's members.
    path("partners/<slug:organisation>/", dashboard.partner_stats, name="partner"),
    path(
        "partners/<slug:organisation>/export/",
        dashboard.partner_export_confirm,
        name="partner_export",
    ),
    path(
        "partners/<slug:organisation>/export/csv/",
        dashboard.partner_export_csv,
        name="partner_export_csv",
    ),
]

# Officials' responses in the coordinator dashboard: moderation, and responses by other ways.
response_patterns = [
    path("responses/", response_views.moderation_list, name="list"),
    path("responses/<int:pk>/", response_views.moderation_detail, name="detail"),
    path(
        "responses/<int:pk>/attachments/<int:attachment_pk>/",
        response_views.attachment,
        name="attachment",
    ),
    path("campaigns/<slug:slug>/responses/new/", response_views.record, name="record"),
]

urlpatterns = [
    # The public record of officials written to, and their responses.
    path("officials/", response_views.officials, name="officials"),
    path("officials/<int:pk>/", response_views.official, name="official"),
    # Signing and confirming.
    path("campaigns/<slug:slug>/sign/", views.sign, name="sign"),
    path("campaigns/<slug:slug>/sign/check-your-email/", views.check_email, name="check_email"),
    path("campaigns/<slug:slug>/sign/send-again/", views.resend, name="resend"),
    # The embed: any site (or those the campaign lists) may frame these two.
    path("campaigns/<slug:slug>/embed/", views.embed, name="embed"),
    path(
        "campaigns/<slug:slug>/embed/check-your-email/",
        views.embed_check_email,
        name="embed_check_email",
    ),
    path("campaigns/<slug:slug>/thanks/", views.thanks, name="thanks"),
    path("campaigns/<slug:slug>/thanks/remind/", views.remind, name="remind"),
    path("signatures/confirm/<str:token>/", views.confirm, name="confirm"),
    # The signer's letter as a PDF, and the signer's rights.
    path("letters/<str:token>/pdf/", delivery_views.letter_pdf, name="letter_pdf"),
    path("letters/unsubscribe/<str:token>/", privacy_views.unsubscribe, name="unsubscribe"),
    path("letters/preferences/<str:token>/", privacy_views.preferences, name="preferences"),
    path("letters/my-data/", privacy_views.data_request, name="data_request"),
    path("letters/erase/", privacy_views.erasure_request, name="erasure_request"),
    path("letters/erase/<str:token>/", privacy_views.erasure_confirm, name="erasure_confirm"),
    path("reminders/", include((reminder_patterns, "reminders"))),
    path("dashboard/campaigns/<slug:slug>/signatures/", include((dashboard_patterns, "dashboard"))),
    path("dashboard/", include((response_patterns, "responses"))),
]
