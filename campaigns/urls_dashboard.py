"""The coordinator dashboard under /dashboard/. The letters app serves
/dashboard/campaigns/<slug>/signatures/... next to these (see idei/urls.py)."""

from django.urls import path

from . import dashboard

app_name = "dashboard"
urlpatterns = [
    path("", dashboard.home, name="home"),
    path("campaigns/new/", dashboard.campaign_create, name="campaign_create"),
    path("campaigns/<slug:slug>/", dashboard.campaign_detail, name="campaign"),
    path("campaigns/<slug:slug>/edit/", dashboard.campaign_edit, name="campaign_edit"),
    path("campaigns/<slug:slug>/cases/", dashboard.campaign_cases, name="campaign_cases"),
    path("campaigns/<slug:slug>/officials/", dashboard.campaign_targets, name="campaign_targets"),
    path("campaigns/<slug:slug>/letter/", dashboard.campaign_letters, name="campaign_letters"),
    path("campaigns/<slug:slug>/preview/", dashboard.campaign_preview, name="campaign_preview"),
    path(
        "campaigns/<slug:slug>/publish/",
        dashboard.campaign_transition,
        {"action": "publish"},
        name="campaign_publish",
    ),
    path(
        "campaigns/<slug:slug>/close/",
        dashboard.campaign_transition,
        {"action": "close"},
        name="campaign_close",
    ),
    path(
        "campaigns/<slug:slug>/deliver/",
        dashboard.campaign_transition,
        {"action": "deliver"},
        name="campaign_deliver",
    ),
    path("officials/", dashboard.target_list, name="targets"),
    path("officials/new/", dashboard.target_create, name="target_create"),
    path("officials/<int:pk>/edit/", dashboard.target_edit, name="target_edit"),
    path("organisations/<slug:slug>/", dashboard.organisation_detail, name="organisation"),
    path("organisations/<slug:slug>/edit/", dashboard.organisation_edit, name="organisation_edit"),
    path(
        "organisations/<slug:slug>/invitations/new/",
        dashboard.invitation_create,
        name="invitation_create",
    ),
    path(
        "organisations/<slug:slug>/invitations/<int:pk>/withdraw/",
        dashboard.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path(
        "organisations/<slug:slug>/members/<int:pk>/role/",
        dashboard.member_role,
        name="member_role",
    ),
    path(
        "organisations/<slug:slug>/members/<int:pk>/remove/",
        dashboard.member_remove,
        name="member_remove",
    ),
]
