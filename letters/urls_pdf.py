"""The signer's letter as a PDF, and the privacy pages: mounted under /letters/ by letters/urls.py.

No app_name: these names join the `letters` namespace of letters/urls.py (Django reverses a
namespace through its first include only, so a second `letters` include would hide them).
"""

from django.urls import include, path

from . import pdf_views

urlpatterns = [
    path("<str:token>/pdf/", pdf_views.letter_pdf, name="letter_pdf"),
    # Unsubscribe, data and erasure requests (letters/urls_privacy.py).
    path("", include("letters.urls_privacy")),
]
