"""E-mails of the campaigns app, one function per e-mail, each rendered from templates/emails/."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse


def absolute_url(path: str, request=None) -> str:
    """A full link: from the request when there is one, else from SITE_URL (e.g. in a worker)."""
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL + path


def send_invitation(invitation, token: str, request=None) -> None:
    """Send the link that lets `invitation.email` join the organisation with the invited role.

    The token is passed in because only its hash is stored; this is the one moment it exists.
    """
    context = {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "role": invitation.get_role_display(),
        "inviter": invitation.invited_by,
        "accept_url": absolute_url(reverse("accept_invitation", args=[token]), request),
        "expires_at": invitation.expires_at,
    }
    subject = " ".join(render_to_string("emails/invitation_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation_body.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(
        render_to_string("emails/invitation_body.html", context), "text/html"
    )
    message.send()
