"""Working days for introductions: weekends and each UK nation's own bank holidays."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.introductions import workingdays
from marketplace.introductions.workflow import INTRODUCTION_WORKFLOW, TRANSITIONS


def test_christmas_and_boxing_day_are_not_working_days_anywhere():
    for nation in ("england", "scotland", "wales", "northern_ireland"):
        assert not workingdays.is_working_day(date(2026, 12, 25), nation)
        # Boxing Day 2026 is a Saturday: the bank holiday moves to Monday 28 December.
        assert not workingdays.is_working_day(date(2026, 12, 28), nation)
        assert workingdays.is_working_day(date(2026, 12, 29), nation)


def test_st_andrews_day_is_a_holiday_in_scotland_only():
    monday = date(2026, 11, 30)
    assert workingdays.bank_holiday_name(monday, "scotland")
    assert not workingdays.is_working_day(monday, "scotland")
    assert workingdays.is_working_day(monday, "england")
    assert workingdays.is_working_day(monday, "wales")


def test_st_patricks_day_in_northern_ireland_and_easter_monday_not_in_scotland():
    assert not workingdays.is_working_day(date(2027, 3, 17), "northern_ireland")
    assert workingdays.is_working_day(date(2027, 3, 17), "england")
    easter_monday = date(2027, 3, 29)
    assert not workingdays.is_working_day(easter_monday, "england")
    assert workingdays.is_working_day(easter_monday, "scotland")


def test_adding_working_days_over_christmas_differs_by_nation():
    friday = date(2026, 12, 18)
    # Mon 21 .. Thu 24, then Tue 29 (25th, the weekend and the 28th are off).
    assert workingdays.add_working_days(friday, 5, "england") == date(2026, 12, 29)
    # Then Wed 30, Thu 31, Mon 4, Tue 5, Wed 6 January (1 January is off).
    assert workingdays.add_working_days(friday, 10, "england") == date(2027, 1, 6)
    # Scotland also has 2 January off, moved to Monday 4 January in 2027.
    assert workingdays.add_working_days(friday, 10, "scotland") == date(2027, 1, 7)


def test_unknown_nation_counts_as_england_and_negative_days_are_refused():
    assert workingdays.add_working_days(date(2026, 11, 27), 1, None) == date(2026, 11, 30)
    with pytest.raises(ValueError):
        workingdays.add_working_days(date(2026, 11, 27), -1, "england")


def test_the_declared_machine():
    assert TRANSITIONS == {
        "requested": {
            "accept": "accepted",
            "decline": "declined",
            "expire": "expired",
            "withdraw": "withdrawn",
        },
        "accepted": {
            "withdraw": "withdrawn",
            "arrange_meeting": "meeting",
            "not_go_ahead": "not_going_ahead",
        },
        "meeting": {"agree": "agreed", "not_go_ahead": "not_going_ahead"},
    }
    assert INTRODUCTION_WORKFLOW.allowed("agreed") == []
