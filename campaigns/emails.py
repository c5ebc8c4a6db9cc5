"""E-mails of the campaigns app, one function per e-mail, each rendered from templates/emails/."""

from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation

from idei.mail import absolute_url, render_email


def send_invitation(invitation, token: str, request=None) -> None:
    """Send the link that lets `invitation.email` join the organisation with the invited role.

    The token is passed in because only its hash is stored; this is the one moment it exists.
    The link comes from the request when there is one, else from SITE_URL. The recipient's
    language is unknown, so the e-mail is in the language the owner is using.
    """
    path = reverse("accept_invitation", args=[token])
    context = {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "role": invitation.get_role_display(),
        "inviter": invitation.invited_by,
        "accept_url": request.build_absolute_uri(path) if request else absolute_url(path),
        "expires_at": invitation.expires_at,
    }
    email = render_email("invitation", context, language=translation.get_language())
    message = EmailMultiAlternatives(subject=email.subject, body=email.text, to=[invitation.email])
    if email.html:
        message.attach_alternative(email.html, "text/html")
    message.send()
