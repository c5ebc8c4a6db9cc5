"""Two-factor sign-in (django-otp): who needs it, enrolment, codes, and its enforcement.

A coordinator's second factor is one TOTP device (an authenticator app) and one set of
recovery codes (a django-otp static device), each code good once. Staff and superusers must
use it, and so must the members of an organisation whose owner requires it; anyone else may.
The sign-in view (campaigns/accounts.py) asks for the code before it signs anyone in;
RequireTwoFactorMiddleware sends a member who is already signed in when their organisation
starts requiring it to set it up (within REQUIREMENT_RECHECK_SECONDS) before anything else.
"""

import base64
import io
import re
import time

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Membership

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def required_by_organisation(user) -> bool:
    return Membership.objects.filter(user=user, organisation__require_two_factor=True).exists()


def required_for(user) -> bool:
    """Staff and superusers must use two-factor sign-in, and so must members whose
    organisation requires it."""
    return user.is_staff or user.is_superuser or required_by_organisation(user)


def authenticator(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enabled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_authenticator(user) -> TOTPDevice:
    """The device being set up: the same secret on every reload, until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for people who type it into their app."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code (no image request, no third party)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]  # without the XML declaration, to sit inside HTML


def normalise_code(raw: str) -> str:
    """People type codes with spaces or dashes, in either case."""
    return re.sub(r"[\s-]+", "", raw or "").lower()


@transaction.atomic
def confirm_authenticator(device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device with a code from the app; the new recovery codes, or None."""
    # Not throttled: the key is on the person's screen, and the device guards nothing yet.
    device.throttle_reset(commit=False)
    if not device.verify_token(normalise_code(code)):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(device.user)


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes; the old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


class Verification:
    """What checking a code found: the device it matched, or how long to wait."""

    def __init__(self, device=None, wait_seconds=0, recovery=False):
        self.device = device
        self.wait_seconds = wait_seconds
        self.recovery = recovery


def verify(user, raw_code: str) -> Verification:
    """Check a code from the authenticator app, or a recovery code (each works once).

    django-otp makes each device wait 1, 2, 4... seconds after each wrong code; while it
    waits, no code is even tried, so guessing six digits takes years.
    """
    code = normalise_code(raw_code)
    if not code or len(code) > 16:
        return Verification()
    # Six digits are for the app; a recovery code tried on it would only count as a failure.
    devices = [authenticator(user)] if code.isdigit() and len(code) == 6 else []
    devices.append(StaticDevice.objects.filter(user=user, confirmed=True).first())
    longest_wait = 0
    for device in filter(None, devices):
        allowed, details = device.verify_is_allowed()
        if not allowed:
            locked_until = (details or {}).get("locked_until")
            if locked_until is not None:
                wait = (locked_until - timezone.now()).total_seconds()
                longest_wait = max(longest_wait, int(wait) + 1)
            continue
        if device.verify_token(code):
            return Verification(device=device, recovery=isinstance(device, StaticDevice))
    return Verification(wait_seconds=longest_wait)


@transaction.atomic
def turn_off(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


# Pages a member who must set up two-factor sign-in may still reach.
ALLOWED_URL_NAMES = {"two_factor_setup", "two_factor_verify", "logout", "set_language"}


# Whether an organisation requires it is noted in the session at sign-in and looked up again
# at most this often: a member already signed in when their owner turns it on is asked to set
# it up within this time, and other requests cost no query.
REQUIREMENT_RECHECK_SECONDS = 300
REQUIREMENT_SESSION_KEY = "two_factor_required_by_organisation"


def note_requirement(request, user) -> bool:
    required = required_by_organisation(user)
    request.session[REQUIREMENT_SESSION_KEY] = {"required": required, "at": int(time.time())}
    return required


def note_requirement_at_sign_in(sender, request, user, **kwargs):
    """user_logged_in receiver (apps.py)."""
    if request is not None and hasattr(request, "session"):
        note_requirement(request, user)


def organisation_requires(request) -> bool:
    noted = request.session.get(REQUIREMENT_SESSION_KEY)
    if (
        not isinstance(noted, dict)
        or time.time() - noted.get("at", 0) > REQUIREMENT_RECHECK_SECONDS
    ):
        return note_requirement(request, request.user)
    return bool(noted.get("required"))


class RequireTwoFactorMiddleware:
    """A member of an organisation that requires two-factor sign-in, signed in without it
    (before the requirement, or through an invitation), is sent to set it up or verify first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # No session, nobody signed in: don't load an anonymous user for nothing (every
            # signer's GET and POST come this way).
            return self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not self._allowed(request)
            and organisation_requires(request)
        ):
            next_step = "two_factor_verify" if is_enabled(user) else "two_factor_setup"
            return redirect(reverse(next_step))
        return self.get_response(request)

    @staticmethod
    def _allowed(request) -> bool:
        path = request.path_info
        if path.startswith(("/static/", "/media/")):
            return True
        try:
            return resolve(path).url_name in ALLOWED_URL_NAMES
        except Resolver404:
            return False
