"""Coordinators' letter templates can reach the listed placeholders and nothing else."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from campaigns.letter_templates import LetterContext, render_letter, validate_letter_template
from campaigns.markup import render_markdown
from tests.factories import CaseFactory, TargetFactory


def test_known_placeholders_are_replaced_by_plain_text():
    context = LetterContext(target_name="Ana Ruiz", target_position="Attorney General")
    letter = render_letter("Dear {target_name}, as {target_position}…", context)
    assert letter == "Dear Ana Ruiz, as Attorney General…"


def test_spaces_inside_braces_are_tolerated():
    assert render_letter("{ signer_name }", LetterContext(signer_name="Lina")) == "Lina"


@pytest.mark.parametrize(
    "template",
    [
        "{{ settings.SECRET_KEY }}",
        "{% load static %}{% debug %}",
        "{target_name.__class__.__mro__}",
        "{signer_name!r:>{9999999}}",
        "{0.__globals__}",
        "{settings}",
        "{other_signers}",
        "{signer_email}",
    ],
)
def test_hostile_templates_are_refused(template):
    with pytest.raises(ValidationError):
        validate_letter_template(template)


def test_unknown_placeholders_are_named_in_the_error():
    with pytest.raises(ValidationError) as error:
        validate_letter_template("Dear {target_nmae}, from {signer_email} about {cases}")
    message = " ".join(error.value.messages)
    assert "{signer_email}" in message and "{target_nmae}" in message
    assert "{cases}" not in message.split("Use one of")[0]


def test_a_signer_value_that_looks_like_a_placeholder_is_not_expanded():
    context = LetterContext(signer_name="{target_name} {{7*7}}", target_name="Secret Official")
    assert render_letter("From {signer_name}", context) == "From {target_name} {{7*7}}"


@pytest.mark.django_db
def test_context_lists_cases_with_dates_and_places():
    case = CaseFactory(
        full_name="Lucía Beltrán",
        place="Culiacán",
        country="MX",
        date_of_death=datetime.date(2017, 5, 15),
        date_precision="day",
    )
    target = TargetFactory(name="Ana Ruiz")
    context = LetterContext.build(target=target, cases=[case])
    letter = render_letter("{target_name}\n{cases}\n{case_names}", context)
    assert letter.splitlines()[0] == "Ana Ruiz"
    assert "Lucía Beltrán" in letter.splitlines()[1] and "Culiacán" in letter.splitlines()[1]
    assert "2017" in letter.splitlines()[1]


def test_markdown_is_sanitised():
    html = render_markdown(
        "**Act** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    assert "<strong>Act</strong>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "<img" not in html


@pytest.mark.django_db
def test_unresolved_case_placeholders_leave_out_cases_with_justice_done():
    from cases.models import Case

    open_case = CaseFactory(full_name="Regina Martínez")
    done = CaseFactory(full_name="Pedro Resuelto", impunity=Case.Impunity.FULL_JUSTICE)

    context = LetterContext.build(cases=[open_case, done])

    assert context.unresolved_case_names == "Regina Martínez"
    assert "Pedro Resuelto" not in context.unresolved_cases
    assert "Pedro Resuelto" in context.case_names  # {case_names} still lists every case


def test_unresolved_case_placeholders_are_accepted_in_a_template():
    validate_letter_template("{unresolved_cases} {unresolved_case_names}")
