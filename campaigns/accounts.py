"""Signing in: password, then the second factor; lockouts; throttled password reset.

The password step (Django's LoginView, checked by django-axes) never signs anyone in who
needs a second factor: it remembers, in the session, whose password was right and sends
them on to type a code (or, if they must use two-factor sign-in and have not set it up, to set
it up). Only a right code signs them in. So no session is ever half signed in.
"""

import logging
import math
import time

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Max, Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from idei import rate_limits
from idei.client_address import client_network

from . import two_factor
from .forms import PasswordResetForm, SignInForm, TwoFactorCodeForm

logger = logging.getLogger(__name__)

# Whose password was right, for how long the code may still be typed.
PENDING_SESSION_KEY = "two_factor_pending"
PENDING_SECONDS = 10 * 60

# Password reset: per address (each mail goes to one mailbox) and per client network.
RESET_PER_ADDRESS = rate_limits.Limit("password-reset-address", 3, 3600)
RESET_PER_NETWORK = rate_limits.Limit("password-reset-network", 10, 3600)


def wait_text(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def too_many(request, template: str, context: dict, seconds: int):
    """A 429 with Retry-After, and the page saying how long to wait."""
    response = render(request, template, {**context, "wait": wait_text(seconds)}, status=429)
    response["Retry-After"] = str(seconds)
    return response


# -- Lockout (django-axes) -------------------------------------------------------------------


def lockout_seconds_left(request, credentials) -> int:
    """Seconds until the lockout ends: the cool-off, counted from the last counted failure."""
    cool_off = get_cool_off(request)
    username = get_client_username(request, credentials)
    latest = AccessAttempt.objects.filter(
        Q(username=username) | Q(ip_address=getattr(request, "axes_ip_address", None))
    ).aggregate(latest=Max("attempt_time"))["latest"]
    if cool_off is None or latest is None:
        return 60
    left = (latest + cool_off - timezone.now()).total_seconds()
    return max(1, math.ceil(left))


def lockout_username(request, credentials=None) -> str | None:
    """AXES_USERNAME_CALLABLE: the user name tried, cut to what a user name can be (150).

    The sign-in form refuses longer names before authenticate(); any other caller's 10 kB name
    is then still recorded (and locked out) instead of failing to be stored."""
    data = credentials if credentials else getattr(request, "POST", {})
    username = data.get("username")
    return None if username is None else str(username)[:150]


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the translated lockout page, with the time to wait."""
    return too_many(
        request,
        "registration/locked_out.html",
        {},
        lockout_seconds_left(request, credentials),
    )


def log_lockout(sender, request, username, ip_address, **kwargs):
    """Every lockout is one log line (axes' user_locked_out signal, connected in apps.py)."""
    logger.warning(
        "sign-in locked out",
        extra={
            "event": "sign_in_locked_out",
            "username": username,
            "client_network": ip_address,
            "path": getattr(request, "path", ""),
        },
    )


# -- Password, then the second factor -------------------------------------------------------


def begin_sign_in(request, user, backend: str, next_url: str):
    """Sign in now if no second factor is needed; else remember the user and ask for it."""
    if not two_factor.is_enabled(user) and not two_factor.required_for(user):
        auth_login(request, user, backend=backend)
        return HttpResponseRedirect(next_url)
    request.session.cycle_key()  # a fresh session id before anything is remembered in it
    request.session[PENDING_SESSION_KEY] = {
        "user": user.pk,
        "backend": backend,
        "since": int(time.time()),
        "next": next_url,
    }
    return redirect("two_factor_verify" if two_factor.is_enabled(user) else "two_factor_setup")


def pending_sign_in(request):
    """(user, next URL) whose password was right a moment ago, or (None, None)."""
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict):
        return None, None
    if time.time() - pending.get("since", 0) > PENDING_SECONDS:
        del request.session[PENDING_SESSION_KEY]
        return None, None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending.get("next")


def finish_sign_in(request, user, device) -> None:
    pending = request.session.pop(PENDING_SESSION_KEY)
    user.otp_device = device  # django-otp marks the session as verified with this device
    auth_login(request, user, backend=pending["backend"])


class SignInView(auth_views.LoginView):
    authentication_form = SignInForm
    redirect_authenticated_user = True
    http_method_names = ["get", "post", "head", "options"]

    def form_valid(self, form):
        user = form.get_user()
        return begin_sign_in(self.request, user, user.backend, self.get_success_url())


def expired(request):
    messages.error(request, _("Your sign-in took too long. Please sign in again."))
    return redirect("login")


@require_http_methods(["GET", "POST"])
def verify(request):
    """The second step of signing in: a code from the app, or a recovery code."""
    user, next_url = pending_sign_in(request)
    signed_in = request.user.is_authenticated
    if signed_in:  # signed in before their organisation required it (RequireTwoFactorMiddleware)
        if request.user.is_verified():
            return redirect("dashboard:home")
        user, next_url = request.user, None
    if user is None:
        return expired(request)
    if not two_factor.is_enabled(user):
        return redirect("two_factor_setup")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.verify(user, form.cleaned_data["code"])
        if result.device is not None:
            if signed_in:
                otp_login(request, result.device)
            else:
                finish_sign_in(request, user, result.device)
            if result.recovery:
                left = two_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code: %(count)d is left. Make new ones in your "
                        "account's security settings.",
                        "You used a recovery code: %(count)d are left. Make new ones in your "
                        "account's security settings.",
                        left,
                    )
                    % {"count": left},
                )
            return HttpResponseRedirect(next_url or resolve_url("dashboard:home"))
        logger.info(
            "two-factor code refused", extra={"event": "two_factor_refused", "user_id": user.pk}
        )
        if result.wait_seconds:
            return too_many(
                request,
                "registration/two_factor_verify.html",
                {"form": form},
                result.wait_seconds,
            )
        form.add_error(
            "code", _("That code is not right. Check the time on your phone and try again.")
        )
    return render(request, "registration/two_factor_verify.html", {"form": form})


@require_http_methods(["GET", "POST"])
def setup(request):
    """Set up an authenticator app: during sign-in (when required) or from the account page."""
    user, next_url = pending_sign_in(request)
    if request.user.is_authenticated:
        user, next_url = request.user, None
    if user is None:
        return expired(request)
    if two_factor.is_enabled(user):
        return redirect("two_factor" if request.user.is_authenticated else "two_factor_verify")
    device = two_factor.pending_authenticator(user)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm_authenticator(device, form.cleaned_data["code"])
        if codes is not None:
            logger.info(
                "two-factor sign-in set up",
                extra={"event": "two_factor_set_up", "user_id": user.pk},
            )
            if request.user.is_authenticated:
                otp_login(request, device)
            else:
                finish_sign_in(request, user, device)
            return render(
                request,
                "registration/two_factor_recovery_codes.html",
                {"codes": codes, "next": next_url or resolve_url("dashboard:home")},
            )
        form.add_error(
            "code", _("That code is not right. Check the time on your phone and try again.")
        )
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_code": two_factor.qr_code_svg(device),
            "secret": two_factor.secret_for_typing(device),
            "required": two_factor.required_for(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def manage(request):
    """The account's two-factor settings: status, new recovery codes, turning it off."""
    user = request.user
    form = TwoFactorCodeForm(request.POST or None)
    action = request.POST.get("action")
    if request.method == "POST" and form.is_valid() and action in {"codes", "off"}:
        result = two_factor.verify(user, form.cleaned_data["code"])
        if result.device is None and result.wait_seconds:
            return too_many(
                request,
                "registration/two_factor_manage.html",
                {
                    "form": form,
                    "enabled": True,
                    "required": two_factor.required_for(user),
                    "recovery_codes_left": two_factor.recovery_codes_left(user),
                },
                result.wait_seconds,
            )
        if result.device is None:
            form.add_error("code", _("That code is not right."))
        elif action == "codes":
            return render(
                request,
                "registration/two_factor_recovery_codes.html",
                {
                    "codes": two_factor.new_recovery_codes(user),
                    "next": resolve_url("two_factor"),
                },
            )
        elif two_factor.required_for(user):
            form.add_error("code", _("Your account must use two-factor sign-in."))
        else:
            two_factor.turn_off(user)
            logger.info(
                "two-factor sign-in turned off",
                extra={"event": "two_factor_off", "user_id": user.pk},
            )
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("two_factor")
    return render(
        request,
        "registration/two_factor_manage.html",
        {
            "form": form,
            "enabled": two_factor.is_enabled(user),
            "required": two_factor.required_for(user),
            "recovery_codes_left": two_factor.recovery_codes_left(user),
        },
    )


# -- Password reset --------------------------------------------------------------------------


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's reset, counted per address and per network; over the limit, a 429 and no mail.

    Counting the address whether or not an account has it tells a stranger nothing new.
    """

    form_class = PasswordResetForm

    def form_valid(self, form):
        address = form.cleaned_data["email"].strip().lower()
        wait = rate_limits.retry_after(
            [
                ((RESET_PER_ADDRESS,), "address:" + address),
                ((RESET_PER_NETWORK,), "network:" + client_network(self.request)),
            ]
        )
        if wait:
            logger.warning(
                "password reset throttled",
                extra={"event": "password_reset_throttled", "retry_after": wait},
            )
            return too_many(
                self.request, self.template_name, self.get_context_data(form=form), wait
            )
        return super().form_valid(form)


def forget_sign_in_failures(before) -> int:
    """Delete the records of failed sign-ins (client network, user name) older than `before`.

    The lockout reads only the last AXES_COOLOFF_TIME of them; retention calls this nightly.
    """
    deleted, _ = AccessAttempt.objects.filter(attempt_time__lt=before).delete()
    return deleted
