"""Case search that ignores accents and case: "Cardenas" finds "Cárdenas", "lucia" "Lucía".

On PostgreSQL the search vector is built with the `idei_search` configuration (unaccent, then
'simple'; migration 0005) and queried with prefix matching, so that a partial name finds the
case ("Quinte" finds "Quintero"). SQLite has no full-text column: there a substring search
runs on text folded by the IDEI_FOLD function, registered on each SQLite connection.
"""

import re
import unicodedata

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import BooleanField, CharField, F, FloatField, Func, Q, Value

SEARCH_CONFIG = "idei_search"
MAX_TERMS = 10  # words of a query; more is not a name but a paste


def fold(value: str | None) -> str:
    """Text without accents and case: "Lucía CÁRDENAS" → "lucia cardenas"."""
    if value is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def register_sqlite_fold(sender, connection, **kwargs):
    """connection_created receiver: IDEI_FOLD(text) on SQLite connections."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("IDEI_FOLD", 1, fold, deterministic=True)


# A "quoted phrase", or a word with an optional leading minus.
_TOKEN = re.compile(r'"([^"]*)"|(?:(?<=\s)|^)(-?)(\w+)|(\w+)')


def prefix_query(value: str) -> SearchQuery | None:
    """The web-search syntax readers know, with every plain word matched as a prefix.

    `quinte ana` → 'quinte':* & 'ana':*; `"miroslava breach" or valdez` → ('miroslava' <->
    'breach') | 'valdez':*; `valdez -culiacán` → 'valdez':* & !'culiacán':*. Words are runs
    of word characters, so no quote or operator of tsquery's own syntax ever reaches PostgreSQL.
    """
    parts: list[tuple[str, str]] = []
    either = False
    for match in _TOKEN.finditer(value):
        phrase, minus, word, inner = match.groups()
        if phrase is not None:
            words = re.findall(r"\w+", phrase)
            if not words:
                continue
            term = "(" + " <-> ".join(f"'{w}'" for w in words) + ")"
        else:
            word = word or inner
            if word.casefold() == "or" and not minus and parts:
                either = True
                continue
            term = ("!" if minus else "") + f"'{word}':*"
        parts.append(("|" if either else "&", term))
        either = False
        if len(parts) == MAX_TERMS:
            break
    if not parts:
        return None
    raw = parts[0][1] + "".join(f" {operator} {term}" for operator, term in parts[1:])
    return SearchQuery(raw, config=SEARCH_CONFIG, search_type="raw")


SEARCHED_FIELDS = ("full_name", "place", "outlets", "summary")

# A search matching more cases than this is "broad": the case list counts its matches up to
# here ("more than 1,000 cases") and lists them newest first instead of ranking every one
# (bench/README.md, cases: ranking 8,540 matches cost more than the rest of the page).
BROAD_SEARCH = 1000


def search_cases(queryset, value: str, *, broad: bool = False):
    """Cases matching the query; on PostgreSQL with a `rank` alias for ordering.

    `broad`: the same matches, for a list ordered by date rather than by rank. The match is
    then written as a function call, which PostgreSQL cannot answer from the search index: it
    reads the newest-first index instead and stops once the page is full. Only for searches
    known to match many cases: for a rare word that walk would read the whole table.
    """
    if connection.vendor == "postgresql":
        query = prefix_query(value)
        if query is None:  # only punctuation: nothing to find, ordered as a search is
            return queryset.none().alias(rank=Value(0.0, output_field=FloatField()))
        if broad:
            return queryset.filter(Matches(F("search_vector"), query))
        return queryset.filter(search_vector=query).alias(
            rank=SearchRank(F("search_vector"), query)
        )
    folded = fold(" ".join(value.split()))
    aliases = {f"folded_{name}": Folded(F(name)) for name in SEARCHED_FIELDS}
    condition = Q()
    for alias in aliases:
        condition |= Q(**{f"{alias}__contains": folded})
    return queryset.alias(**aliases).filter(condition)


class Matches(Func):
    """ts_match_vq(vector, query): `vector @@ query` that the planner does not send to the index."""

    function = "ts_match_vq"
    output_field = BooleanField()


class Folded(Func):
    """IDEI_FOLD(column): the column without accents and case (SQLite only)."""

    function = "IDEI_FOLD"
    output_field = CharField()
