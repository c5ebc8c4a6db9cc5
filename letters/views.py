"""Public pages of signing: the form's POST, "check your e-mail", confirmation, thank-you.

The form itself is rendered on the campaign page by the `{% sign_panel %}` template tag
(letters/templatetags/signing.py), so that the campaigns app never imports letters. Without
JavaScript the form posts here and is redirected (or shown again with its errors); with
static/js/sign.js it posts with fetch, asks for JSON, and the answer's `html` replaces the
panel in place.
"""

import functools
import logging

from django.contrib import messages
from django.core.signing import BadSignature
from django.http import Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import get_language, gettext_lazy, override
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from campaigns.letter_templates import position_in
from campaigns.models import Campaign
from campaigns.views import letter_for_reader, letters_shown, preview_signers, share_links
from idei import page_cache
from idei.client_address import client_ip
from idei.db.prepared import PreparedGet
from idei.tokens import LinkError, LinkExpired

from . import services
from .delivery.composition import letters_as_sent
from .delivery.links import letter_pdf_path
from .models import Signature
from .signing import abuse, counts, sources
from .signing import services as signing
from .signing.addresses import normalise_email
from .signing.forms import SignForm, country_from_accept_language

logger = logging.getLogger(__name__)

# After confirming, this browser may see its signature's thank-you page for a day, and the
# campaign page says "you signed" for a year: a signed cookie scoped to the campaign's pages,
# so the page's address can be shared safely. It holds the signature's number only.
SIGNED_COOKIE = "idei_signature"
SIGNED_COOKIE_SALT = "letters.thank-you"
SIGNED_COOKIE_AGE = 24 * 3600
SIGNED_COOKIE_KEPT = 365 * 24 * 3600
# After signing, until the link expires: the address the link went to, for this visitor's own
# "check your e-mail" page and the campaign page (signed, HttpOnly, scoped to the campaign).
PENDING_COOKIE = "idei_signing"
PENDING_COOKIE_SALT = "letters.check-email"
PENDING_COOKIE_AGE = 7 * 24 * 3600


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def campaign_letter(campaign):
    return letter_for_reader(list(campaign.letter_templates.all()), get_language() or "en")


def build_sign_form(request, campaign, data=None, letter=None, *, embed: bool = False) -> SignForm:
    """The sign form for this visitor: on the campaign page, or in the embed (`embed`).

    A POST's source is read from its signed `source` field; a GET's from `?source=`.
    """
    # The letter's text is a field only where signers may edit it (one query, only then).
    if letter is None and campaign.signers_may_edit:
        letter = campaign_letter(campaign)
    if data is not None:
        source = sources.read_value(campaign, data.get("source"), embed=embed)
    else:
        source = sources.resolve(campaign, sources.code_from(request), embed=embed)
    return SignForm(
        data,
        campaign=campaign,
        visitor=abuse.embed_visitor_key(request) if embed else abuse.visitor_key(request),
        letter_body=letter.body if letter else "",
        default_country=country_from_accept_language(request.headers.get("Accept-Language", "")),
        source=source,
    )


def panel_context(
    request,
    campaign,
    form,
    *,
    notice: str = "",
    standalone: bool = False,
    embed: bool = False,
):
    return {
        "campaign": campaign,
        "signed": None,
        "pending_email": "",
        "form": form,
        "notice": notice,
        "standalone": standalone,
        "embed": embed,
        "form_action": reverse("letters:embed" if embed else "letters:sign", args=[campaign.slug]),
        "recent_signers": counts.recent_signers(campaign),
        "request": request,
    }


# -- Signing -------------------------------------------------------------------------------


def respond_with_form(
    request, campaign, form, *, status: int, notice: str = "", embed: bool = False
):
    """The form again, with the person's input, its errors and a notice (JSON or a page)."""
    if wants_json(request):
        context = panel_context(request, campaign, form, notice=notice, embed=embed)
        html = render_to_string("letters/includes/sign_panel.html", context, request=request)
        return JsonResponse(
            {"status": "invalid" if status == 400 else "refused", "html": html}, status=status
        )
    context = panel_context(
        request, campaign, form, notice=notice, standalone=not embed, embed=embed
    )
    context["letters_shown"] = campaign_letters_shown(campaign)
    if embed:
        return embed_response(
            campaign, render(request, "letters/embed.html", context, status=status)
        )
    return render(request, "letters/sign.html", context, status=status)


def campaign_letters_shown(campaign) -> list:
    """The letters as each official will receive them, for the reader's language."""
    language = get_language() or "en"
    return letters_shown(
        {template.language: template for template in campaign.letter_templates.all()},
        list(campaign.targets.order_by("country", "name")),
        list(campaign.letter_cases()),
        preview_signers(language),
        language,
    )


# Where check_email_fragment's copy takes the visitor's address and CSRF token.
EMAIL_HOLE = "checkemailhole0address"
CSRF_HOLE = "checkemailhole0csrf"


@functools.lru_cache(maxsize=1024)
def check_email_fragment(language: str, slug: str, embed: bool, with_email: bool) -> str:
    """ "Check your e-mail" as a sign POST's JSON answer carries it, with holes for the address
    and the CSRF token: rendered once per process, language and campaign (it was a tenth of
    the sign POST's CPU). The template reads nothing of the campaign but its slug, which
    never changes, and no context processor."""
    with override(language):
        return render_to_string(
            "letters/includes/check_email.html",
            {
                "campaign": {"slug": slug},
                "email": EMAIL_HOLE if with_email else "",
                "embed": embed,
                "csrf_token": CSRF_HOLE,
            },
        )


def respond_done(request, campaign, email: str = "", *, embed: bool = False):
    """The one answer to every accepted (or silently dropped) signature: check your e-mail.

    The address typed is shown back to this visitor only (their own cookie), whatever became
    of it: it says nothing about whether it had signed before.
    """
    if wants_json(request):
        html = check_email_fragment(get_language() or "en", campaign.slug, embed, bool(email))
        html = html.replace(EMAIL_HOLE, escape(email)).replace(CSRF_HOLE, csrf_token(request))
        response = JsonResponse({"status": "ok", "html": html})
    else:
        response = redirect(
            "letters:embed_check_email" if embed else "letters:check_email",
            campaign.slug,
            permanent=False,
        )
    if email:
        response.set_signed_cookie(
            PENDING_COOKIE,
            email,
            salt=PENDING_COOKIE_SALT,
            max_age=PENDING_COOKIE_AGE,
            path=campaign_path(campaign),
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
    return response


def csrf_token(request) -> str:
    """A CSRF token for a form in this POST's answer: the one it came with, if any.

    CsrfViewMiddleware has accepted it for this visitor's secret already; get_token() would
    spend 32 random characters on a new mask of the same secret.
    """
    return request.POST.get("csrfmiddlewaretoken") or get_token(request)


def campaign_path(campaign) -> str:
    return reverse("campaigns:detail", args=[campaign.slug])


def pending_email(request, campaign) -> str:
    """The address this visitor's confirmation link went to, from their own cookie."""
    try:
        email = request.get_signed_cookie(
            PENDING_COOKIE, salt=PENDING_COOKIE_SALT, max_age=PENDING_COOKIE_AGE
        )
    except (KeyError, BadSignature):
        return ""
    return email if "@" in email and len(email) <= 254 else ""


def respond_closed(request, campaign, *, embed: bool = False):
    if campaign.opens_later:
        message = _("Signing for this campaign opens on %(date)s. Nothing was saved.") % {
            "date": date_format(timezone.localtime(campaign.opens_at), "DATETIME_FORMAT")
        }
    else:
        message = _("This campaign no longer collects signatures. Nothing was saved.")
    if wants_json(request):
        html = render_to_string(
            "letters/includes/closed.html", {"campaign": campaign, "message": message}
        )
        return JsonResponse({"status": "closed", "html": html}, status=410)
    if embed:
        return embed_response(
            campaign,
            render(
                request,
                "letters/embed_closed.html",
                {"campaign": campaign, "message": message},
                status=410,
            ),
        )
    return render(
        request, "letters/closed.html", {"campaign": campaign, "message": message}, status=410
    )


# Compiled once per process (idei.db.prepared): on the sign POST, Django's compilation of
# this read cost more CPU than the query itself.
PUBLIC_CAMPAIGN = PreparedGet(
    lambda: Campaign.objects.public().select_related("organisation"),
    "slug",
    related=("organisation",),
)


def signable_campaign(slug: str) -> Campaign:
    """The public campaign behind a sign URL (404 otherwise), read from the database now.

    A sign POST reads it once, here; whether it is open is decided on this read (services.sign).
    """
    try:
        return PUBLIC_CAMPAIGN.get(slug)
    except Campaign.DoesNotExist:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
def sign(request, slug):
    """GET: the form on its own page; POST: sign (see services.sign)."""
    campaign = signable_campaign(slug)
    if not campaign.is_open:
        return respond_closed(request, campaign)
    if request.method == "GET":
        form = build_sign_form(request, campaign)
        return respond_with_form(request, campaign, form, status=200)
    return sign_post(request, campaign)


def sign_post(request, campaign, *, embed: bool = False):
    """A sign POST from the campaign page or the embed: the same checks, the same answers."""
    form = build_sign_form(request, campaign, request.POST, embed=embed)
    # The checks that need nothing but the form come first; then the request's one trip to
    # Redis: both rate limits (the address only for a form about to be signed), the form
    # token's single use, and the claim to wake the confirmation worker.
    token = form.checked_token()
    signable = not form.is_bot and token.state == abuse.FormToken.VALID and form.is_valid()
    email_key = normalise_email(form.cleaned_data["email"]) if signable else None
    admission = signing.admit(request, email_key, token.use if signable else None)
    token_state = abuse.FormToken.REUSED if admission.form_token_reused else token.state
    try:
        return answer_sign_post(request, campaign, form, token_state, admission, embed=embed)
    finally:
        # After the INSERT (autocommit), whatever the answer: a won claim is always used.
        signing.queue_claimed_wake_up(admission)


def respond_token_problem(request, campaign, form, token_state, *, embed: bool = False):
    """The form again, input kept, nothing saved, when its token cannot sign (abuse.FormToken).

    Sent too fast, the same token works a moment later; expired, fetched by another client or
    sent before, the form comes back with a token of its own. Any other problem is shown too.
    """
    logger.info("sign: form token %s, shown again", token_state, extra={"campaign": campaign.slug})
    if token_state != abuse.FormToken.TOO_FAST:
        form.refresh_token()
    form.is_valid()
    if token_state == abuse.FormToken.EXPIRED:
        notice = _(
            "This form was open for a long time. Please check your details and send it "
            "again: nothing was saved yet."
        )
    else:
        notice = _("Please check your details and press Sign again.")
    return respond_with_form(request, campaign, form, status=400, notice=notice, embed=embed)


def respond_wait(request, campaign, form, wait: int, notice: str, embed: bool):
    """429: the form again with the person's input, a new token (this request may have used
    its own up), the notice and how long to wait."""
    form.refresh_token()
    response = respond_with_form(request, campaign, form, embed=embed, status=429, notice=notice)
    response["Retry-After"] = str(wait)
    return response


def answer_sign_post(request, campaign, form, token_state, admission, *, embed: bool = False):
    """The sign POST's answer, once the form is checked and the request admitted."""
    if admission.network_wait:
        logger.info("sign: rate limited (network)", extra={"campaign": campaign.slug})
        notice = _(
            "Many signatures were sent from your network in a short time. Please wait a "
            "few minutes, then send the form again: what you wrote is kept below."
        )
        return respond_wait(request, campaign, form, admission.network_wait, notice, embed)
    if form.is_bot:
        logger.info("sign: honeypot filled, dropped", extra={"campaign": campaign.slug})
        # The same answer as a person's, the address typed shown back (escaped) as to anyone.
        typed = str(form.data.get("email", "")).strip()
        typed = typed if "@" in typed and len(typed) <= 254 else ""
        return respond_done(request, campaign, typed, embed=embed)
    if token_state != abuse.FormToken.VALID:
        return respond_token_problem(request, campaign, form, token_state, embed=embed)
    if not form.is_valid():
        return respond_with_form(request, campaign, form, status=400, embed=embed)
    if admission.address_wait:
        notice = _(
            "This e-mail address was entered many times in a short time. Please wait an "
            "hour, or look for the e-mail we already sent: it holds your confirmation link."
        )
        return respond_wait(request, campaign, form, admission.address_wait, notice, embed)
    language = get_language() or "en"
    data = {
        **form.cleaned_data,
        "consent_record": form.consent_record(language=language, page=campaign.slug),
    }
    try:
        signing.sign(
            campaign,
            data,
            language=language,
            client_ip=client_ip(request),
            wake_claimed=admission.wake_claimed,
            held_by=admission.held_by,
            source=form.source,
        )
    except signing.SigningClosed:
        return respond_closed(request, campaign, embed=embed)
    return respond_done(request, campaign, form.cleaned_data["email"], embed=embed)


@never_cache
@require_safe
def check_email(request, slug):
    campaign = get_object_or_404(
        Campaign.objects.public().select_related("organisation"), slug=slug
    )
    return render(
        request,
        "letters/check_email.html",
        {"campaign": campaign, "email": pending_email(request, campaign)},
    )


@require_POST
def resend(request, slug):
    """A new confirmation link to the address in this visitor's own cookie (within the caps)."""
    campaign = get_object_or_404(Campaign.objects.public(), slug=slug)
    email = pending_email(request, campaign)
    if email:
        # Bounded by the signature's own cap (three links per campaign): no rate limit needed.
        signing.resend_confirmation(campaign, email, client_ip=client_ip(request))
    messages.info(
        request,
        _(
            "If your signature is still waiting for confirmation, a new link is on its way: "
            "the link sent before no longer works. We send at most three links per campaign."
        ),
    )
    return redirect("letters:check_email", campaign.slug)


# -- Confirming ----------------------------------------------------------------------------


def confirmation_problem(request, error: LinkError):
    if isinstance(error, LinkExpired):
        problem = _(
            "This confirmation link has expired: links work for 7 days. Sign again on the "
            "campaign page and we will send you a new one."
        )
    elif isinstance(error, signing.CampaignClosedBeforeConfirmation):
        problem = _(
            "This campaign closed before your signature was confirmed, so it cannot be "
            "counted any more. Thank you for your support."
        )
    else:
        problem = _(
            "This link is not valid, or it has already been used. If you confirmed your "
            "signature already, it counts and there is nothing more to do. If you asked for "
            "the link several times, use the newest e-mail."
        )
    context = {
        "problem": problem,
        "next_url": reverse("campaigns:list"),
        "next_label": _("See the campaigns"),
    }
    return render(request, "letters/link_problem.html", context, status=error.status)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """GET shows a button and changes nothing (mail scanners fetch links); POST confirms."""
    if request.method == "GET":
        try:
            signature = signing.pending_signature(token)
        except LinkError as error:
            return confirmation_problem(request, error)
        return render(request, "letters/confirm.html", confirm_context(signature))
    try:
        signature = services.confirm(token)
    except LinkError as error:
        return confirmation_problem(request, error)
    response = redirect("letters:thanks", signature.campaign.slug)
    response.set_signed_cookie(
        SIGNED_COOKIE,
        str(signature.pk),
        salt=SIGNED_COOKIE_SALT,
        max_age=SIGNED_COOKIE_KEPT,
        path=campaign_path(signature.campaign),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    response.delete_cookie(PENDING_COOKIE, path=campaign_path(signature.campaign))
    return response


def confirm_context(signature) -> dict:
    """Everything the confirmation will put a name to: each letter exactly as it will be sent
    (signed as the consent says, with the personal message), and each consent, in the words
    the signer was shown (the consent record)."""
    campaign = signature.campaign
    record = signature.consent_record or {}
    consents = [
        {"text": text, "given": bool(record.get("given", {}).get(name))}
        for name, text in record.get("texts", {}).items()
    ]
    return {
        "signature": signature,
        "campaign": campaign,
        "letters_shown": shown_as_sent(signature),
        "consents": consents,
    }


def shown_as_sent(signature) -> list[dict]:
    """The signature's letters as sent, shaped for campaigns/includes/letters_shown.html."""
    shown = []
    for letter in letters_as_sent(signature):
        shown.append(
            {
                "target": letter.target,
                "position": position_in(letter.target, get_language()),
                "language": letter.sent.language,
                "language_name": letter.language_name,
                "reader_language_name": letter.translation_language_name,
                "message_label": letter.sent.message_label,
                "variants": [
                    {
                        "name": "sent",
                        "hidden": False,
                        "sent": letter.sent,
                        "translation": letter.translation,
                    }
                ],
            }
        )
    return shown


def signature_from_cookie(request, campaign, max_age=SIGNED_COOKIE_AGE) -> Signature | None:
    """This visitor's confirmed signature of the campaign, from their own cookie.

    `max_age`: the thank-you page and its reminder offer trust it for a day after confirming;
    the campaign page's "you signed" for as long as it is kept (SIGNED_COOKIE_KEPT).
    """
    try:
        pk = request.get_signed_cookie(SIGNED_COOKIE, salt=SIGNED_COOKIE_SALT, max_age=max_age)
    except (KeyError, BadSignature):
        return None
    return (
        Signature.objects.confirmed()
        .filter(pk=pk, campaign=campaign, erased_at__isnull=True)
        .first()
        if pk.isdigit()
        else None
    )


def letter_pdf_link(signature) -> str:
    """The signer's own letter as a PDF (imported here: WeasyPrint is heavy to load)."""
    return letter_pdf_path(signature)


# Lazy: a module-level constant is built once at import, before any request has a language.
REMINDER_CONSENT = gettext_lazy("Remind me by e-mail before 2 November.")


@require_safe
def thanks(request, slug):
    campaign = get_object_or_404(
        Campaign.objects.public().select_related("organisation"), slug=slug
    )
    signature = signature_from_cookie(request, campaign)
    page_url = request.build_absolute_uri(campaign.get_absolute_url())
    return render(
        request,
        "letters/thanks.html",
        {
            "campaign": campaign,
            "signature": signature,
            "share_links": share_links(campaign, page_url),
            "page_url": page_url,
            "pdf_url": letter_pdf_link(signature) if signature else "",
            "reminder_consent": REMINDER_CONSENT,
        },
    )


@require_POST
def remind(request, slug):
    """The thank-you page's offer: remind me before 2 November (a consent, recorded)."""
    campaign = get_object_or_404(Campaign.objects.public(), slug=slug)
    signature = signature_from_cookie(request, campaign)
    if signature is None:
        return render(
            request,
            "letters/link_problem.html",
            {
                "problem": _(
                    "We could not tell which signature this is: the page was open for more "
                    "than a day or in another browser. Nothing was changed."
                ),
                "next_url": reverse("campaigns:list"),
                "next_label": _("See the campaigns"),
            },
            status=400,
        )
    services.add_reminder_consent(
        signature, str(REMINDER_CONSENT), get_language() or signature.language
    )
    messages.success(request, _("Thank you. We will remind you before 2 November."))
    return redirect("letters:thanks", campaign.slug)


# -- The embed: the sign form in other websites' frames ------------------------------------


def frame_ancestors(campaign) -> list[str]:
    """Who may frame this campaign's embed: the origins it lists (and this site), else anyone."""
    origins = campaign.embed_origin_list
    return ["'self'", *origins] if origins else ["*"]


def embed_response(campaign, response):
    """Only the embed relaxes the site's refusal to be framed (CSP and X-Frame-Options)."""
    response.xframe_options_exempt = True
    response._csp_replace = {"frame-ancestors": frame_ancestors(campaign)}
    return response


def render_embed(request, slug):
    campaign = get_object_or_404(
        Campaign.objects.public().select_related("organisation"), slug=slug
    )
    context = {
        "campaign": campaign,
        "letters_shown": campaign_letters_shown(campaign),
        "partners": campaign_partners(campaign),
    }
    if campaign.is_open:
        form = build_sign_form(request, campaign, embed=True)
        form.initial["started"] = EMBED_STARTED_PLACEHOLDER
        context.update(panel_context(request, campaign, form, embed=True))
    return embed_response(campaign, render(request, "letters/embed.html", context))


def campaign_partners(campaign) -> list:
    return [
        partnership.organisation
        for partnership in campaign.partnerships.select_related("organisation")
    ]


# The embed is served through idei.page_cache like the campaign page; each visitor gets their
# own form token, bound to their network (no cookie), where this placeholder is (letters.apps).
EMBED_STARTED_PLACEHOLDER = "embed-form-started-placeholder"


def fill_embed_started(request) -> str:
    return abuse.form_token(abuse.embed_visitor_key(request))


@csrf_exempt  # the embed's POST is checked by its Origin and its form token instead: abuse.py
@require_http_methods(["GET", "HEAD", "POST"])
def embed(request, slug):
    """GET: the compact campaign with its sign form, for any site's frame; POST: sign."""
    if request.method != "POST":
        return page_cache.serve(request, f"embed:{slug}", lambda: render_embed(request, slug))
    campaign = signable_campaign(slug)
    if not abuse.same_origin_post(request):
        logger.info("sign: embed POST from another origin, refused", extra={"campaign": slug})
        return embed_response(
            campaign,
            render(request, "letters/embed_refused.html", {"campaign": campaign}, status=403),
        )
    if not campaign.is_open:
        return respond_closed(request, campaign, embed=True)
    return embed_response(campaign, sign_post(request, campaign, embed=True))


@require_safe
def embed_check_email(request, slug):
    campaign = get_object_or_404(
        Campaign.objects.public().select_related("organisation"), slug=slug
    )
    return embed_response(
        campaign, render(request, "letters/embed_check_email.html", {"campaign": campaign})
    )
