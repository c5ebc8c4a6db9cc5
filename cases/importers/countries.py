"""Country names as outside data sets write them, resolved to ISO 3166 codes.

Order of precedence: an admin's CountryAlias (the admin has the last word), then the built-in
aliases below, then ISO codes and the English ISO names known to django-countries. A name that is
ambiguous (or a former state) never resolves by itself: the row waits in the review queue.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cases.models import CountryAlias, ReviewItem

# Names that data sets use but ISO 3166 does not (or not in that form). Keys are normalised
# with normalise_country_name().
BUILT_IN_ALIASES = {
    "uk": "GB",
    "u k": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "u s a": "US",
    "us": "US",
    "u s": "US",
    "united states": "US",
    "united states of america": "US",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "côte d'ivoire": "CI",
    "cote divoire": "CI",
    "east timor": "TL",
    "timor leste": "TL",
    "timor-leste": "TL",
    "bosnia": "BA",
    "bosnia and herzegovina": "BA",
    "bosnia-herzegovina": "BA",
    "bosnia herzegovina": "BA",
    "republic of congo": "CG",
    "republic of the congo": "CG",
    "congo republic": "CG",
    "congo-brazzaville": "CG",
    "congo brazzaville": "CG",
    "congo, republic of": "CG",
    "dr congo": "CD",
    "d r congo": "CD",
    "drc": "CD",
    "democratic republic of congo": "CD",
    "democratic republic of the congo": "CD",
    "congo, democratic republic of": "CD",
    "congo, democratic republic of the": "CD",
    "congo-kinshasa": "CD",
    "congo kinshasa": "CD",
    "zaire": "CD",
    "south korea": "KR",
    "republic of korea": "KR",
    "korea, republic of": "KR",
    "north korea": "KP",
    "burma": "MM",
    "cape verde": "CV",
    "the gambia": "GM",
    "russian federation": "RU",
    "syrian arab republic": "SY",
    "palestinian territories": "PS",
    "palestinian territory": "PS",
    "occupied palestinian territory": "PS",
    "gaza": "PS",
    "west bank": "PS",
    "holland": "NL",
    "the netherlands": "NL",
    "the philippines": "PH",
    "macedonia": "MK",
    "fyr macedonia": "MK",
    "swaziland": "SZ",
    "turkiye": "TR",
    "vatican": "VA",
    "vatican city": "VA",
}

# Names that must not be guessed: an admin decides, per row or once for all (CountryAlias).
AMBIGUOUS = {
    "congo": _("Could be the Republic of the Congo (CG) or the DR Congo (CD)."),
    "korea": _("Could be South Korea (KR) or North Korea (KP)."),
    "yugoslavia": _("Former state: the country depends on where it happened."),
    "federal republic of yugoslavia": _("Former state: the country depends on where it happened."),
    "ussr": _("Former state: the country depends on where it happened."),
    "soviet union": _("Former state: the country depends on where it happened."),
    "serbia and montenegro": _("Former state: Serbia (RS) or Montenegro (ME)."),
    "czechoslovakia": _("Former state: Czechia (CZ) or Slovakia (SK)."),
    "israel and the occupied palestinian territory": _(
        "Two places in one name: Israel (IL) or Palestine (PS)."
    ),
    "kosovo": _("Kosovo has no ISO 3166 code in this database: choose how to record it."),
}

_PUNCTUATION = re.compile(r"[.\u2019`´]")


def normalise_country_name(name: str) -> str:
    """Case-folded, single-spaced, without dots ("U.S.A." → "u s a"), as CountryAlias stores."""
    name = _PUNCTUATION.sub(lambda m: "'" if m.group() in "\u2019`´" else " ", name)
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class CountryResolution:
    code: str = ""
    review_kind: str = ""
    message: str = ""


class CountryResolver:
    """Resolves names for one import run, caching each distinct name (one alias query)."""

    def __init__(self):
        self.aliases = {
            normalise_country_name(alias.name): alias.country.code or ""
            for alias in CountryAlias.objects.only("name", "country")
        }
        self._cache: dict[str, CountryResolution] = {}

    def resolve(self, raw: str) -> CountryResolution:
        key = normalise_country_name(raw)
        if key not in self._cache:
            self._cache[key] = self._resolve(raw.strip(), key)
        return self._cache[key]

    def _resolve(self, raw: str, key: str) -> CountryResolution:
        if not key:
            return CountryResolution(
                review_kind=ReviewItem.Kind.UNKNOWN_COUNTRY, message=str(_("No country given."))
            )
        if key in self.aliases:
            if self.aliases[key]:
                return CountryResolution(code=self.aliases[key])
            return CountryResolution(
                review_kind=ReviewItem.Kind.AMBIGUOUS_COUNTRY
                if key in AMBIGUOUS
                else ReviewItem.Kind.UNKNOWN_COUNTRY,
                message=str(
                    _("Country name “%(name)s” waits for an admin's decision (country aliases).")
                    % {"name": raw}
                ),
            )
        if key in AMBIGUOUS:
            return CountryResolution(
                review_kind=ReviewItem.Kind.AMBIGUOUS_COUNTRY,
                message=str(
                    _("Ambiguous country name “%(name)s”: %(why)s")
                    % {"name": raw, "why": AMBIGUOUS[key]}
                ),
            )
        if key in BUILT_IN_ALIASES:
            return CountryResolution(code=BUILT_IN_ALIASES[key])
        if len(key) in (2, 3) and key.isalpha():
            code = countries.alpha2(key.upper())
            if code:
                return CountryResolution(code=code)
        code = countries.by_name(raw)
        if code:
            return CountryResolution(code=code)
        return CountryResolution(
            review_kind=ReviewItem.Kind.UNKNOWN_COUNTRY,
            message=str(_("Unknown country name “%(name)s”.") % {"name": raw}),
        )

    def code_or_none(self, raw: str) -> str | None:
        """For secondary values (nationalities): a code, or None when not certain."""
        return self.resolve(raw).code or None
