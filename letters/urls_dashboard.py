"""A campaign's signatures in the coordinator dashboard: /dashboard/campaigns/<slug>/signatures/."""

from django.urls import path

from . import dashboard, pdf_views

app_name = "letters_dashboard"
urlpatterns = [
    path("", dashboard.signature_stats, name="signatures"),
    path("export/", dashboard.export_confirm, name="export"),
    path("export/csv/", dashboard.export_csv, name="export_csv"),
    path("petition.pdf", pdf_views.petition, name="petition_pdf"),
]
