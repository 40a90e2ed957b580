"""Working days in the person's nation: weekends and that nation's bank holidays off.

The calendar is the ``holidays`` package (UK subdivisions ENG, SCT, WLS, NIR): it ships
its rules, so nothing is fetched. St Andrew's Day is a bank holiday in Scotland only,
St Patrick's Day and the Battle of the Boyne in Northern Ireland only, Easter Monday
everywhere but Scotland, and a holiday on a weekend is moved to the next weekday.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

from marketplace.choices import Nation

SUBDIVISION = {
    Nation.ENGLAND: "ENG",
    Nation.SCOTLAND: "SCT",
    Nation.WALES: "WLS",
    Nation.NORTHERN_IRELAND: "NIR",
}


@lru_cache(maxsize=64)
def _calendar(nation: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=SUBDIVISION[Nation(nation)], years=year)


def is_working_day(day: date, nation: str | None) -> bool:
    """Monday to Friday and not a bank holiday in ``nation`` (England when unknown)."""
    if day.weekday() >= 5:
        return False
    return day not in _calendar(nation or Nation.ENGLAND, day.year)


def bank_holiday_name(day: date, nation: str | None) -> str | None:
    return _calendar(nation or Nation.ENGLAND, day.year).get(day)


def add_working_days(start: date, days: int, nation: str | None) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself never counts)."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, nation):
            counted += 1
    return day
