"""Safe letter templates: coordinators write `{target_name}`-style placeholders, nothing more.

Deliberately not Django templates and not str.format: both can reach attributes, settings or
other objects. Here a placeholder is a name from a fixed list, replaced by plain text; anything
else between braces is an error the coordinator sees, naming the unknown placeholder.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

PLACEHOLDER = re.compile(r"\{\s*([^{}\s]*)\s*\}")

PLACEHOLDERS = {
    "target_name": _("the official's name"),
    "target_position": _("the official's position"),
    "target_institution": _("the official's institution"),
    "cases": _("the cases: names, dates and places, one per line"),
    "case_names": _("the victims' names, separated by commas"),
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
    signer_name: str = ""
    signer_city: str = ""
    signer_country: str = ""

    @classmethod
    def build(cls, target=None, cases=(), signer=None) -> "LetterContext":
        context = cls()
        if target is not None:
            context.target_name = target.name
            context.target_position = target.position
            context.target_institution = target.institution
        cases = list(cases)
        context.case_names = ", ".join(case.full_name for case in cases)
        context.cases = "\n".join(describe_case(case) for case in cases)
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
