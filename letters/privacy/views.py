"""Signers' rights pages: unsubscribe in one click, choose what to receive, ask for one's data,
erase it.

No page says whether an address signed anything: a request answers the same either way.
"""

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..delivery import links
from ..signing.addresses import normalise_email
from . import services as privacy


class AddressForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("The address you signed with."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "class": "form-control"}),
    )


def _address_request(request, *, template: str, action):
    """The shared flow of the data and erasure requests: form, limits, the same answer."""
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if wait := privacy.request_wait(request, normalise_email(email)):
            context = {"form": form, "limited": True}
            response = render(request, template, context, status=429)
            response["Retry-After"] = str(wait)
            return response
        action(email)
        return render(request, template, {"sent": True})
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def data_request(request):
    return _address_request(
        request, template="letters/privacy/data_request.html", action=privacy.request_data
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def erasure_request(request):
    return _address_request(
        request, template="letters/privacy/erasure_request.html", action=privacy.request_erasure
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def erasure_confirm(request, token):
    """GET shows what will happen and a button; only the POST erases (mail scanners GET)."""
    email_key = privacy.email_key_for_erasure_token(token)
    if email_key is None:
        raise Http404
    if request.method == "POST":
        privacy.erase(email_key)
        return render(request, "letters/privacy/erasure_done.html")
    already = email_key.startswith("erased:")
    return render(request, "letters/privacy/erasure_confirm.html", {"already": already})


@csrf_exempt  # RFC 8058: the mail client POSTs without a session or a CSRF token.
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def unsubscribe(request, token):
    """POST (one click, from the mail client or our button) unsubscribes; GET never does."""
    signature = links.signature_for_unsubscribe_token(token)
    if signature is None:
        raise Http404
    context = {
        "organisation": signature.campaign.organisation.name,
        "preferences_url": links.preferences_url(signature_id=signature.pk),
        "done": request.method == "POST",
    }
    if request.method == "POST":
        privacy.unsubscribe(signature)
    return render(request, "letters/privacy/unsubscribe.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def preferences(request, token):
    """Every stream of e-mail to one address, each with a button to stop it, and "stop everything".

    Reached from the link in every non-transactional e-mail; a POST (with CSRF, from this page)
    stops one stream (`stop=<key>`) or all of them (`stop=everything`). Nothing restarts a stream
    here: that needs the consent form it came from.
    """
    record = links.preferences_record(token)
    email_key = privacy.email_key_for_preferences(*record) if record else None
    if email_key is None:
        raise Http404
    stopped = ""
    status = 200
    if request.method == "POST":
        choice = request.POST.get("stop", "")
        known = {stream.key for stream in privacy.streams(email_key)}
        if choice == "everything":
            privacy.stop_everything(email_key)
            stopped = choice
        elif choice in known:
            privacy.stop_stream(email_key, choice)
            stopped = choice
        else:
            status = 400
    context = {
        "streams": privacy.streams(email_key),
        "stopped": stopped,
        "invalid": status == 400,
        "erased": email_key.startswith("erased:"),
    }
    return render(request, "letters/privacy/preferences.html", context, status=status)
