"""Public signing URLs, mounted at the site root by idei/urls.py before the campaigns app's.

The sign form's POST lives beside the campaign page (/campaigns/<slug>/sign/) but is served by
the letters app, so that campaigns never imports letters (see templatetags/signing.py).
"""

from django.urls import include, path

from . import views

app_name = "letters"
urlpatterns = [
    path("campaigns/<slug:slug>/sign/", views.sign, name="sign"),
    path("campaigns/<slug:slug>/sign/check-your-email/", views.check_email, name="check_email"),
    path("campaigns/<slug:slug>/thanks/", views.thanks, name="thanks"),
    path("campaigns/<slug:slug>/thanks/remind/", views.remind, name="remind"),
    path("signatures/confirm/<str:token>/", views.confirm, name="confirm"),
]

# The signer's letter as a PDF, and the privacy requests (letters/urls_pdf.py joins this
# namespace: letters:letter_pdf, ...).
urlpatterns.append(path("letters/", include("letters.urls_pdf")))
