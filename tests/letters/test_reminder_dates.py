"""Reminders fall on the right local day, at both ends of the world and across years."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from letters.reminders.schedule import default_time_zone, local_date, observance_year_if_due

D = datetime.date


@pytest.mark.parametrize(
    "days_before, today, year",
    [
        (30, D(2026, 10, 3), 2026),
        (7, D(2026, 10, 26), 2026),
        (1, D(2026, 11, 1), 2026),
        (0, D(2026, 11, 2), 2026),
        (30, D(2026, 10, 4), None),
        (0, D(2026, 11, 3), None),
        # After 2 November, the next year's: 364 days before 2027-11-02 is 2026-11-03.
        (364, D(2026, 11, 3), 2027),
        # Across the year boundary: 310 days before 2027-11-02 is 2026-12-27.
        (310, D(2026, 12, 27), 2027),
        # Leap year: 2028 has 29 February, so 247 days before 2028-11-02 is 2028-02-29.
        (247, D(2028, 2, 29), 2028),
        (247, D(2028, 2, 28), None),
        (365, D(2027, 11, 3), 2028),  # 2028-11-02 is 365 days after 2027-11-03
    ],
)
def test_a_reminder_is_due_when_the_offset_reaches_2_november(days_before, today, year):
    assert observance_year_if_due(days_before, today) == year


def test_kiritimati_gets_its_day_first_and_pago_pago_last():
    # 2026-11-01 10:30 UTC: already 2 November in Kiritimati (UTC+14), still 1 November in
    # Pago Pago (UTC-11), so only Kiritimati is due for the day-itself reminder.
    now = datetime.datetime(2026, 11, 1, 10, 30, tzinfo=datetime.UTC)
    assert local_date(now, "Pacific/Kiritimati") == D(2026, 11, 2)
    assert local_date(now, "Pacific/Pago_Pago") == D(2026, 10, 31)
    assert observance_year_if_due(0, local_date(now, "Pacific/Kiritimati")) == 2026
    assert observance_year_if_due(0, local_date(now, "Pacific/Pago_Pago")) is None
    # 25 hours later, Pago Pago reaches 2 November while Kiritimati is on the 3rd.
    later = now + datetime.timedelta(hours=25, minutes=30)
    assert observance_year_if_due(0, local_date(later, "Pacific/Pago_Pago")) == 2026
    assert observance_year_if_due(0, local_date(later, "Pacific/Kiritimati")) is None


def test_new_year_arrives_at_different_instants():
    now = datetime.datetime(2026, 12, 31, 11, 0, tzinfo=datetime.UTC)
    assert local_date(now, "Pacific/Kiritimati") == D(2027, 1, 1)
    assert local_date(now, "Pacific/Pago_Pago") == D(2026, 12, 31)


@pytest.mark.parametrize(
    "country, zone",
    [
        ("MX", "America/Mexico_City"),
        ("RU", "Europe/Moscow"),
        ("FR", "Europe/Paris"),
        ("PH", "Asia/Manila"),
        ("KI", "Pacific/Tarawa"),
        ("AS", "Pacific/Pago_Pago"),
        ("", "UTC"),
        ("XX", "UTC"),
    ],
)
def test_default_time_zone_follows_the_country(country, zone):
    assert default_time_zone(country) == zone
    ZoneInfo(default_time_zone(country))  # a real zone
