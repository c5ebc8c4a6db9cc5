from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from campaigns import views as campaign_views

from .health import healthz
from .metrics import metrics

urlpatterns = [
    path("", campaign_views.home, name="home"),
    path("cases/", include("cases.urls")),
    # Signing, delivery, privacy and reminders (letters), then campaigns, the dashboard and
    # accounts (campaigns): each app's own urls.py; no two patterns overlap.
    path("", include("letters.urls")),
    path("", include("campaigns.urls")),
    path(
        "privacy/",
        TemplateView.as_view(
            template_name="privacy.html",
            extra_context={"signer_data_retention_days": settings.SIGNER_DATA_RETENTION_DAYS},
        ),
        name="privacy",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    # The admin signs in through the site's sign-in page: one page with the lockout and the
    # second factor, which staff must use.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="admin_login_redirect",
    ),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    # An e-mail service's inbound and tracking webhooks (idei/inbound/webhooks.py).
    path("anymail/", include("idei.inbound.urls")),
    path("api/v1/", include("idei.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the vendored sidecar, started by a static script: no inline code, no CDN.
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(
            url_name="schema", template_name="drf_spectacular/swagger_ui_csp.html"
        ),
        name="swagger-ui",
    ),
]

if settings.DEBUG:
    # Uploaded images (campaign images, organisation logos) on the development server; in
    # production the reverse proxy serves MEDIA_ROOT (docs/deploy.md).
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
