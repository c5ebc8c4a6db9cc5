"""Names sorted as readers expect in their language, not in code-point order.

The Unicode Collation Algorithm (pyuca, the same that django-countries sorts country names with)
orders accented Latin, Cyrillic and Arabic letters alphabetically; "Égypte" comes before "Espagne"
and "Россия" after "Польша". Chinese characters come in radical-and-stroke order.
"""

import functools

import pyuca


@functools.cache
def collator() -> pyuca.Collator:
    return pyuca.Collator()


def sort_key(text) -> tuple:
    """A key for sorted(): the collation of `text` (lazy translations are evaluated now)."""
    return _collation(str(text))


# pyuca computes a key in tens of microseconds, and the same few hundred names (countries,
# vocabulary terms, in six languages) are sorted on every list page: their keys are kept.
@functools.lru_cache(maxsize=4096)
def _collation(text: str) -> tuple:
    return collator().sort_key(text)
