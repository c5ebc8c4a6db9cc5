"""Reminder pages: subscribe, confirm by POST, one-click unsubscribe, preferences.

Mounted at /reminders/ (letters/urls.py). Links in e-mails carry tokens; a GET on
any of them changes nothing, because mail scanners fetch links.
"""

import logging

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from idei.tokens import LinkError, LinkExpired

from ..models import Subscription
from ..signing import abuse
from . import subscriptions
from .forms import CONSENT_TEXT, PreferencesForm, SubscribeForm

logger = logging.getLogger(__name__)


# -- Subscribing -------------------------------------------------------------------------------


def _subscribe_page(request, form, *, status: int, notice: str = ""):
    context = {"form": form, "consent_text": CONSENT_TEXT, "notice": notice}
    return render(request, "letters/reminders/subscribe.html", context, status=status)


@require_http_methods(["GET", "POST"])
def subscribe(request):
    """GET: the form on its own page; POST: a pending subscription and its confirmation mail."""
    if request.method == "GET":
        form = SubscribeForm(initial={"language": get_language() or "en"})
        return _subscribe_page(request, form, status=200)
    form = SubscribeForm(request.POST)
    if wait := abuse.network_wait(request):
        notice = _(
            "Many requests were sent from your network in a short time. Please wait a few "
            "minutes, then send the form again."
        )
        response = _subscribe_page(request, form, status=429, notice=notice)
        response["Retry-After"] = str(wait)
        return response
    if not form.is_valid():
        return _subscribe_page(request, form, status=400)
    data = form.cleaned_data
    subscriptions.subscribe(
        email=data["email"],
        country=data["country"],
        language=data["language"],
        consent_text=str(CONSENT_TEXT),  # as shown, in the page's language
        consent_language=get_language() or "en",
        page=request.path,
    )
    # The same answer whether the address was new, pending or subscribed: no enumeration.
    return redirect("letters:reminders:check_email")


@require_safe
def check_email(request):
    return render(request, "letters/reminders/check_email.html")


def _link_problem(request, error: LinkError):
    if isinstance(error, LinkExpired):
        problem = _(
            "This confirmation link has expired: links work for 7 days. Fill in the form "
            "again and we will send you a new one."
        )
    else:
        problem = _(
            "This link is not valid, or it has already been used. If you confirmed already, "
            "you are subscribed and there is nothing more to do. If you asked for the link "
            "several times, use the newest e-mail."
        )
    context = {
        "problem": problem,
        "next_url": reverse("letters:reminders:subscribe"),
        "next_label": _("Ask for reminders again"),
    }
    return render(request, "letters/link_problem.html", context, status=error.status)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """GET shows a button and changes nothing; POST confirms."""
    try:
        if request.method == "GET":
            subscription = subscriptions.pending_subscription(token)
            return render(request, "letters/reminders/confirm.html", {"subscription": subscription})
        subscription = subscriptions.confirm_subscription(token)
    except LinkError as error:
        return _link_problem(request, error)
    return render(request, "letters/reminders/confirmed.html", {"subscription": subscription})


# -- Unsubscribing and preferences -------------------------------------------------------------


def subscription_for_token(token: str) -> Subscription:
    """The subscription an e-mailed link names, or a 404 (a clear page, see templates/404)."""
    subscription = Subscription.objects.filter(unsubscribe_token=token).first() if token else None
    if subscription is None:
        raise Http404(_("This reminder link is not valid."))
    return subscription


def _unknown_link(request):
    return render(request, "letters/reminders/unknown_link.html", status=404)


# RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" with no cookie and no CSRF token,
# so this view alone is exempt; the unguessable token in the URL is the authorisation.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET asks (a button); POST unsubscribes and answers 200, with no redirect."""
    try:
        subscription = subscription_for_token(token)
    except Http404:
        return _unknown_link(request)
    if request.method == "GET":
        return render(
            request,
            "letters/reminders/unsubscribe.html",
            {"subscription": subscription, "token": token},
        )
    subscriptions.unsubscribe(subscription)
    return render(request, "letters/reminders/unsubscribed.html", {"token": token})


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request, token):
    """Change the language, country or time zone of the reminders, or leave."""
    try:
        subscription = subscription_for_token(token)
    except Http404:
        return _unknown_link(request)
    saved = False
    status = 200
    if request.method == "POST" and subscription.unsubscribed_at is None:
        form = PreferencesForm(request.POST, subscription=subscription)
        if form.is_valid():
            subscriptions.update_preferences(subscription, **form.cleaned_data)
            form = PreferencesForm(subscription=subscription)
            saved = True
        else:
            status = 400
    else:
        form = PreferencesForm(subscription=subscription)
    context = {"subscription": subscription, "form": form, "saved": saved, "token": token}
    return render(request, "letters/reminders/preferences.html", context, status=status)
