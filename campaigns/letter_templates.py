"""Safe letter templates: coordinators write `{target_name}`-style placeholders, nothing more.

Deliberately not Django templates and not str.format: both can reach attributes, settings or
other objects. Here a placeholder is a name from a fixed list, replaced by plain text; anything
else between braces is an error the coordinator sees, naming the unknown placeholder.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

PLACEHOLDER = re.compile(r"\{\s*([^{}\s]*)\s*\}")

PLACEHOLDERS = {
    "target_name": _("the official's name"),
    "target_position": _("the official's position"),
    "target_institution": _("the official's institution"),
    "cases": _("the cases: names, dates and places, one per line"),
    "case_names": _("the victims' names, separated by commas"),
    "unresolved_cases": _(
        "only the unresolved cases (no one convicted, or not all): names, dates and places, "
        "one per line"
    ),
    "unresolved_case_names": _("only the unresolved cases' victims, separated by commas"),
    "signer_name": _("the signer's name"),
    "signer_city": _("the signer's city (may be empty)"),
    "signer_country": _("the signer's country"),
}


def placeholders_in(text: str) -> list[str]:
    return [match.group(1) for match in PLACEHOLDER.finditer(text)]


def validate_placeholders(text: str, known: dict, example: str) -> None:
    """Raise a ValidationError naming every placeholder not in `known`, and any stray brace."""
    unknown = sorted({name for name in placeholders_in(text) if name not in known})
    if unknown:
        raise ValidationError(
            ngettext(
                "Unknown placeholder: %(names)s. Use one of: %(known)s.",
                "Unknown placeholders: %(names)s. Use one of: %(known)s.",
                len(unknown),
            )
            % {
                "names": ", ".join("{" + name + "}" for name in unknown),
                "known": ", ".join("{" + name + "}" for name in known),
            },
            code="unknown_placeholder",
        )
    leftover = PLACEHOLDER.sub("", text)
    if "{" in leftover or "}" in leftover:
        raise ValidationError(
            _("A brace { or } is not part of a placeholder such as %(example)s.")
            % {"example": example},
            code="stray_brace",
        )


def validate_letter_template(text: str) -> None:
    validate_placeholders(text, PLACEHOLDERS, "{target_name}")


@dataclass
class LetterContext:
    """Everything a letter may say; plain strings only."""

    target_name: str = ""
    target_position: str = ""
    target_institution: str = ""
    cases: str = ""
    case_names: str = ""
    unresolved_cases: str = ""
    unresolved_case_names: str = ""
    signer_name: str = ""
    signer_city: str = ""
    signer_country: str = ""

    @classmethod
    def build(cls, target=None, cases=(), signer=None) -> "LetterContext":
        context = cls()
        if target is not None:
            context.target_name = target.name
            context.target_position = position_in(target, translation.get_language())
            context.target_institution = target.institution
        cases = list(cases)
        context.case_names = ", ".join(case.full_name for case in cases)
        context.cases = "\n".join(describe_case(case) for case in cases)
        # A letter that says the killings are unresolved lists only these: never a case whose
        # badge reads "Justice done" (Case.is_unresolved, the one public rule).
        unresolved = [case for case in cases if getattr(case, "is_unresolved", True)]
        context.unresolved_case_names = ", ".join(case.full_name for case in unresolved)
        context.unresolved_cases = "\n".join(describe_case(case) for case in unresolved)
        if signer is not None:
            context.signer_name = signer.name
            context.signer_city = signer.city
            context.signer_country = str(signer.country.name) if signer.country else ""
        return context


def describe_case(case) -> str:
    if case.date_precision == "day" and case.date_of_death:
        when = date_format(case.date_of_death, "DATE_FORMAT")
    elif case.date_precision == "month" and case.date_of_death:
        when = date_format(case.date_of_death, "YEAR_MONTH_FORMAT")
    else:
        when = str(case.year or "")
    place = ", ".join(part for part in [case.place, str(case.country.name)] if part)
    return " – ".join(part for part in [case.full_name, when, place] if part)


def render_letter(text: str, context: LetterContext) -> str:
    """Replace known placeholders with plain text; the result is plain text, escaped on output."""
    values = vars(context)
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


CASE_LISTS = {"cases", "case_names"}
UNRESOLVED_CASE_LISTS = {"unresolved_cases", "unresolved_case_names"}


def position_in(target, language: str | None) -> str:
    """The official's position in this language when given, else as first written."""
    translations = getattr(target, "position_translations", None) or {}
    for code in (language or "", (language or "").split("-")[0]):
        if translations.get(code, "").strip():
            return translations[code].strip()
    return target.position


# -- One letter, as it is sent ---------------------------------------------------------------
#
# compose_letter() is the only place a letter's text is made: the campaign page's preview, the
# confirm page, the Letter rows e-mailed to officials, the signer's copy and the PDFs all call
# it (or read the Letter row it made), so what a signer reads cannot differ from what is sent.


@dataclass(frozen=True)
class Signer:
    """What a letter may say of its signer; the name only if they agreed to share it.

    `country` is an ISO code; `country_label` stands in for its name when there is no code
    (the preview's "[your country]"). `edited_text` is the letter as the signer rewrote it,
    where the campaign allows it.
    """

    name: str = ""
    city: str = ""
    country: str = ""
    country_label: str = ""
    shares_name: bool = False
    message: str = ""
    edited_text: str = ""
    language: str = ""


@dataclass(frozen=True)
class ComposedLetter:
    """One letter to one official: plain text, escaped wherever it is shown."""

    language: str
    subject: str
    body: str
    message: str = ""
    message_label: str = ""

    @property
    def text(self) -> str:
        """The whole letter as the official reads it: the body, then the personal message."""
        if not self.message:
            return self.body
        return f"{self.body}\n\n{self.message_label}\n{self.message}"

    @property
    def rtl(self) -> bool:
        return is_rtl(self.language)


def is_rtl(language: str) -> bool:
    try:
        return bool(translation.get_language_info(language)["bidi"])
    except KeyError:
        return False


def country_name(signer: Signer) -> str:
    """The signer's country in the current language (call inside the letter's language)."""
    if signer.country:
        return str(countries.name(str(signer.country))) or signer.country_label
    return signer.country_label


def supporter_name(country: str) -> str:
    """How a letter is signed when the signer did not agree to share their name."""
    if country:
        return gettext("A supporter from %(country)s") % {"country": country}
    return gettext("A supporter")


def tidy(text: str) -> str:
    """Drop the trailing spaces an empty placeholder leaves at the end of a line."""
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def choose_template(templates: dict, *languages):
    """The first template in these languages, then the site's language, then any."""
    for language in (*languages, settings.LANGUAGE_CODE):
        if language and language in templates:
            return templates[language]
    return next(iter(templates.values()), None)


def letter_language(templates: dict, target, signer: Signer) -> str | None:
    """The language the official receives the letter in: theirs when the campaign has it.

    A letter the signer rewrote is sent in the language they read it in.
    """
    if signer.edited_text.strip():
        template = choose_template(templates, signer.language, target.language)
    else:
        template = choose_template(templates, target.language, signer.language)
    return template.language if template else None


def compose_letter(
    templates: dict, target, cases, signer: Signer, *, language: str | None = None
) -> ComposedLetter | None:
    """The letter this signer sends to this official, in the official's language.

    `templates`: the campaign's letter templates by language. `language` asks for another
    language than the one sent (the translation shown to a signer beside the letter).
    """
    templates = {code: t for code, t in templates.items() if t.body.strip()}
    chosen = language or letter_language(templates, target, signer)
    if chosen is None or chosen not in templates:
        return None
    template = templates[chosen]
    edited = signer.edited_text.strip()
    with translation.override(template.language):
        context = LetterContext.build(target=target, cases=cases)
        country = country_name(signer)
        if signer.shares_name:
            context.signer_name = signer.name
            context.signer_city = signer.city
            context.signer_country = country
        else:
            context.signer_name = supporter_name(country)
        # render_letter replaces only the known placeholders with plain text: an edited letter
        # can say anything but reach nothing; every output escapes it.
        body = tidy(render_letter(edited or template.body, context))
        subject = " ".join(render_letter(template.subject, context).split())
        message = signer.message.strip()
        label = message_label(template.language) if message else ""
    return ComposedLetter(
        language=template.language,
        subject=subject[:300],
        body=body,
        message=message,
        message_label=label,
    )


def message_label(language: str) -> str:
    """The line before the signer's personal message, in the letter's language."""
    with translation.override(language):
        return gettext("Personal message from the signer:")


def status_contradictions(templates, cases) -> list[str]:
    """Where a letter and its cases' judicial status may contradict each other (dashboard).

    A letter that lists every case ({cases}, {case_names}) lists a case whose badge reads
    "Justice done" too; one that lists only unresolved cases may list none.
    """
    cases = list(cases)
    resolved = [case for case in cases if not case.is_unresolved]
    warnings = []
    for template in templates:
        used = set(placeholders_in(template.subject)) | set(placeholders_in(template.body))
        language = dict(settings.LANGUAGES).get(template.language, template.language)
        if resolved and used & CASE_LISTS:
            warnings.append(
                gettext(
                    "The letter in %(language)s lists every linked case, including these whose "
                    "status is not unresolved: %(names)s. If it says the killings are "
                    "unresolved, use {unresolved_cases} or {unresolved_case_names}: they list "
                    "only the unresolved cases."
                )
                % {
                    "language": language,
                    "names": ", ".join(
                        f"{case.full_name} ({case.status_label})" for case in resolved
                    ),
                }
            )
        if cases and len(resolved) == len(cases) and used & UNRESOLVED_CASE_LISTS:
            warnings.append(
                gettext(
                    "The letter in %(language)s lists the unresolved cases, but no linked case "
                    "is unresolved: that list is empty."
                )
                % {"language": language}
            )
    return warnings
