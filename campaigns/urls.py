"""Every URL of the campaigns app, mounted at the site root by idei/urls.py.

- /campaigns/...: public campaign pages (`campaigns:detail`);
- /dashboard/...: the coordinator dashboard (`dashboard:home`);
- /accounts/...: sign-in, sign-out, password reset and change (Django's views, our forms and
  templates) and accepting an invitation. These names are Django's own (login, logout,
  password_reset...) and stay outside any namespace, because Django's views and e-mails
  reverse them by these names.
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import accounts, dashboard, views
from .forms import PasswordChangeForm, SetPasswordForm

public_patterns = [
    path("", views.campaign_list, name="list"),
    path("<slug:slug>/", views.campaign_detail, name="detail"),
    path("<slug:slug>/share.png", views.share_card_image, name="share_card"),
]

dashboard_patterns = [
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
    path(
        "campaigns/<slug:slug>/run-again/", dashboard.campaign_run_again, name="campaign_run_again"
    ),
    path("campaigns/<slug:slug>/embed/", dashboard.campaign_embed, name="campaign_embed"),
    path("campaigns/<slug:slug>/partners/", dashboard.campaign_partners, name="campaign_partners"),
    path("campaigns/<slug:slug>/partners/invite/", dashboard.partner_invite, name="partner_invite"),
    path(
        "campaigns/<slug:slug>/partners/invitations/<int:pk>/withdraw/",
        dashboard.partner_invitation_withdraw,
        name="partner_invitation_withdraw",
    ),
    path(
        "campaigns/<slug:slug>/partners/<int:pk>/remove/",
        dashboard.partner_remove,
        name="partner_remove",
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

account_patterns = [
    # The password, then (if the account uses it) the code of two-factor sign-in.
    path("login/", accounts.SignInView.as_view(), name="login"),
    path("two-factor/", accounts.manage, name="two_factor"),
    path("two-factor/setup/", accounts.setup, name="two_factor_setup"),
    path("two-factor/verify/", accounts.verify, name="two_factor_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        accounts.ThrottledPasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            html_email_template_name="registration/password_reset_email.html",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=SetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitations/<str:token>/", dashboard.accept_invitation, name="accept_invitation"),
]

urlpatterns = [
    path("campaigns/", include((public_patterns, "campaigns"))),
    path("dashboard/", include((dashboard_patterns, "dashboard"))),
    path("accounts/", include(account_patterns)),
]
