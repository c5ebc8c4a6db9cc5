"""When a reminder is due: the subscriber's local date plus the offset falls on 2 November."""

import datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

from cases.observance import DAY_MONTH

# Countries spanning several zones: the zone most of their people live in (zone.tab lists
# them alphabetically or west to east, e.g. Russia starts with Kaliningrad).
MAIN_ZONE = {
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "ID": "Asia/Jakarta",
    "KI": "Pacific/Tarawa",
    "KZ": "Asia/Almaty",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "NZ": "Pacific/Auckland",
    "PF": "Pacific/Tahiti",
    "PG": "Pacific/Port_Moresby",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
    "UZ": "Asia/Tashkent",
    "AR": "America/Argentina/Buenos_Aires",
}


def observance_year_if_due(days_before: int, local_date: datetime.date) -> int | None:
    """The year of the 2 November this reminder is for, if it is due on `local_date`."""
    day = local_date + datetime.timedelta(days=days_before)
    return day.year if (day.month, day.day) == DAY_MONTH else None


def local_date(now: datetime.datetime, time_zone: str) -> datetime.date:
    return now.astimezone(ZoneInfo(time_zone)).date()


@cache
def _zones_by_country() -> dict[str, str]:
    zones: dict[str, str] = {}
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text()
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone = line.split("\t")[:3]
            zones.setdefault(code, zone)
    return zones


def default_time_zone(country_code: str) -> str:
    """The time zone a subscriber in this country most likely lives in (they may change it)."""
    code = (country_code or "").upper()
    return MAIN_ZONE.get(code) or _zones_by_country().get(code, "UTC")


@cache
def valid_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())
