"""The International Day to End Impunity for Crimes against Journalists: 2 November."""

import datetime

DAY_MONTH = (11, 2)


def next_observance(today: datetime.date) -> datetime.date:
    """The next 2 November on or after `today` (today itself on the day)."""
    this_year = datetime.date(today.year, *DAY_MONTH)
    return this_year if today <= this_year else datetime.date(today.year + 1, *DAY_MONTH)


def days_until_observance(today: datetime.date) -> int:
    return (next_observance(today) - today).days
