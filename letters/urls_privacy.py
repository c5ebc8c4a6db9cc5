"""Unsubscribe, data and erasure requests under /letters/ (names in the `letters` namespace)."""

from django.urls import path

from . import privacy_views

urlpatterns = [
    path("unsubscribe/<str:token>/", privacy_views.unsubscribe, name="unsubscribe"),
    path("my-data/", privacy_views.data_request, name="data_request"),
    path("erase/", privacy_views.erasure_request, name="erasure_request"),
    path("erase/<str:token>/", privacy_views.erasure_confirm, name="erasure_confirm"),
]
