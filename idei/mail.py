"""E-mail rendering shared by every app: templates/emails/<name>_subject.txt, _body.txt, _body.html.

Plumbing, not a domain (like idei/logging.py): campaigns and letters both send mail.
"""

from dataclasses import dataclass

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def absolute_url(path: str) -> str:
    """A link for an e-mail sent outside a request: SITE_URL plus the path."""
    return settings.SITE_URL + path


def render_email(name: str, context: dict, language: str | None = None) -> RenderedEmail:
    """Render one e-mail in the recipient's language.

    The subject is folded onto one line, so a value with a line break (a hostile name) cannot
    add a mail header. Text parts are rendered without HTML escaping; the HTML part escapes.
    """
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{name}_subject.txt", context, using="text")
        text = render_to_string(f"emails/{name}_body.txt", context, using="text")
        try:
            html = render_to_string(f"emails/{name}_body.html", context)
        except TemplateDoesNotExist:
            html = ""
    return RenderedEmail(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)
