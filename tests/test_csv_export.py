"""The platform's CSV downloads: the guard against formula injection and the streaming writer."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from idei.csv_export import BOM, csv_lines, csv_response, inert, uninert

# -- The guard -------------------------------------------------------------------------------

TRIGGERS = ["=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20"]


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_a_cell_starting_with_a_formula_character_gets_a_quote(trigger):
    assert inert(trigger + "SUM(1)") == "'" + trigger + "SUM(1)"


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("padding", [" ", "   ", "\u00a0", "\u3000"])
def test_a_formula_character_after_leading_spaces_is_guarded_too(trigger, padding):
    assert inert(padding + trigger + "1") == "'" + padding + trigger + "1"


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://evil.example","click")', "\n=1+1", "\uff20SUM(1)", "\uff1d1+1"],
)
def test_known_attacks_are_guarded(hostile):
    assert inert(hostile) == "'" + hostile


@pytest.mark.parametrize(
    "harmless",
    ["Ana Ruiz", "", "   ", "a=b", "x-1", "'quoted", "#1", "1+1", "  Ana", "\u0661\u0662"],
)
def test_a_harmless_value_is_untouched(harmless):
    assert inert(harmless) == harmless


def test_none_is_an_empty_cell():
    assert inert(None) == ""


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (42, "42"),
        (Decimal("1.50"), "1.50"),
        (1.5, "1.5"),
        (True, "True"),
        (datetime.date(2019, 3, 2), "2019-03-02"),
    ],
)
def test_a_value_that_is_not_a_string_is_written_as_text(value, cell):
    assert inert(value) == cell


def test_a_negative_number_is_guarded_like_any_minus_sign():
    assert inert(-5) == "'-5"
    assert inert(Decimal("-0.5")) == "'-0.5"


@pytest.mark.parametrize("value", ["=1", "  -2", "\r\n@x", "plain", "'=1"])
def test_guarding_twice_changes_nothing(value):
    assert inert(inert(value)) == inert(value)


@pytest.mark.parametrize("value", [*TRIGGERS, "  =1", "\n=1+1", "plain", "'quoted", ""])
def test_uninert_gives_back_what_inert_guarded(value):
    assert uninert(inert(value)) == value


# -- The writer ------------------------------------------------------------------------------


def parse(lines) -> list[list[str]]:
    text = "".join(lines)
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))


def test_each_row_is_one_line_and_only_the_first_has_the_byte_order_mark():
    lines = list(csv_lines([["a", "b"], ["c", "d"]]))
    assert lines == [BOM + "a,b\r\n", "c,d\r\n"]


def test_the_writer_streams_reading_a_row_only_when_its_line_is_asked_for():
    read = []

    def rows():
        for number in range(3):
            read.append(number)
            yield [number]

    lines = csv_lines(rows())
    assert read == []
    next(lines)
    assert read == [0]
    next(lines)
    assert read == [0, 1]


def test_commas_quotes_and_line_breaks_inside_a_cell_are_quoted_and_read_back():
    cells = ["a,b", 'say "hi"', "line 1\nline 2", "cr\r\nlf", "é 名前 اسم"]
    assert parse(csv_lines([cells])) == [cells]


def test_every_cell_the_writer_writes_is_guarded():
    rows = parse(csv_lines([["=1+1", "\n=1+1", "\uff20SUM(1)", None, -3, "ok"]]))
    assert rows == [["'=1+1", "'\n=1+1", "'\uff20SUM(1)", "", "'-3", "ok"]]


def test_the_response_streams_csv_as_an_attachment_with_its_file_name():
    response = csv_response(csv_lines([["a"], ["b"]]), "cases-2024-01-01.csv")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cases-2024-01-01.csv"'
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body == BOM + "a\r\nb\r\n"


def test_a_file_name_that_is_not_ascii_is_encoded_not_broken():
    response = csv_response(iter(()), 'firmas-méxico"x.csv')
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''firmas-m%C3%A9xico%22x.csv"
    )
