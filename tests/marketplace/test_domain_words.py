"""Domain words, money and the clock: each defined once, in marketplace.choices/money/clock."""

from datetime import UTC, date, datetime

import pytest

from marketplace import clock
from marketplace.choices import SLOT_LABELS, SLOTS, DBSLevel, Gender, QAStatus, TeamRole
from marketplace.models import utcnow
from marketplace.models.providers import GENDERS, QA_STATUS_LABELS
from marketplace.money import format_pence, parse_pounds


def test_choices_are_strings_with_labels():
    assert Gender.FEMALE == "female" and Gender.FEMALE.label == "Female"
    assert Gender.values() == GENDERS == ("female", "male", "non_binary")
    assert QAStatus.labels() == QA_STATUS_LABELS
    assert DBSLevel.label_for("enhanced_barred") == "Enhanced DBS with barred list check"
    assert DBSLevel.label_for("platinum") is None and DBSLevel.label_for(None) is None
    assert TeamRole.choices()[0] == ("member", "Team member")


def test_slots_cover_the_week_in_order():
    assert len(SLOTS) == 21 and SLOTS[0] == "mon-am" and SLOTS[-1] == "sun-eve"
    assert SLOT_LABELS["wed-eve"] == "Wednesday evening"


@pytest.mark.parametrize(
    "text, pence",
    [
        ("£21.50", 2150),
        ("21.5", 2150),
        ("21", 2100),
        (" £ 18.05 ", 1805),
        ("1,00", 10000),
        ("1,000.00", 100000),
    ],
)
def test_parse_pounds(text, pence):
    assert parse_pounds(text) == pence


@pytest.mark.parametrize(
    "text, message",
    [
        ("-1", "The hourly rate cannot be less than £0"),
        ("£-2", "The hourly rate cannot be less than £0"),
        ("abc", "Enter the hourly rate in pounds and pence, like £21.50"),
        ("1e3", "Enter the hourly rate in pounds and pence, like £21.50"),
        ("21.555", "Enter the hourly rate in pounds and pence, like £21.50"),
        ("0.00", "The hourly rate must be more than £0"),
        ("£600", "The hourly rate must be £500 or less"),
        ("", "Enter your typical hourly rate"),
    ],
)
def test_parse_pounds_refuses_nonsense(text, message):
    with pytest.raises(ValueError, match=message):
        parse_pounds(
            text,
            what="hourly rate",
            maximum_pence=500_00,
            blank_message="Enter your typical hourly rate",
        )


def test_blank_is_none_when_optional():
    assert parse_pounds("  ") is None and parse_pounds(None) is None


@pytest.mark.parametrize(
    "pence, shown",
    [(1850, "£18.50"), (0, "£0.00"), (-250, "-£2.50"), (123456, "£1,234.56"), (None, "not given")],
)
def test_format_pence(pence, shown):
    assert format_pence(pence) == shown


def test_format_pence_for_forms_and_messages():
    assert format_pence(185000, for_input=True) == "1850.00"
    assert format_pence(None, for_input=True) == ""
    assert format_pence(500_00, short=True) == "£500" and format_pence(1850, short=True) == "£18.50"
    # What a form shows, parsed again, is the same amount.
    assert parse_pounds(format_pence(123456, for_input=True)) == 123456


def test_today_is_the_london_date():
    # 23:30 UTC on 30 June is 00:30 BST on 1 July.
    with clock.frozen(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)):
        assert clock.today() == date(2026, 7, 1)
        assert clock.now() == datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
        assert utcnow() == clock.now()  # column defaults use the same clock
    # In winter London is on GMT: the same UTC time is still 31 December.
    with clock.frozen(datetime(2026, 12, 31, 23, 30)):
        assert clock.today() == date(2026, 12, 31)


def test_frozen_at_a_date_and_restored_afterwards():
    with clock.frozen(date(2026, 3, 3)):
        assert clock.today() == date(2026, 3, 3)
        with clock.frozen(date(2027, 1, 1)):
            assert clock.today() == date(2027, 1, 1)
        assert clock.today() == date(2026, 3, 3)
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5


def test_carer_dbs_date_in_the_future_uses_the_london_date(make, login):
    """The carer form's "not in the future" check asks the clock, not the machine's date."""
    from carers_teams_helpers import build_world

    world = build_world(make)
    client = login(world.carer_user)

    def _issued(day: str) -> dict[str, str]:  # July 2026, in Day, Month and Year boxes
        return {
            "dbs_issue_date_day": day,
            "dbs_issue_date_month": "7",
            "dbs_issue_date_year": "2026",
        }

    checks = {
        "dbs_level": "enhanced_barred",
        "dbs_number": "0012 3456 7890",
        "dbs_update_service": "yes",
        "care_certificate": "y",
    }
    with clock.frozen(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)):
        # 1 July is today in London (though 30 June in UTC): allowed.
        ok = client.post("/carer/profile/checks", data={**checks, **_issued("1")})
        assert "today or in the past" not in ok.get_data(as_text=True)
        late = client.post("/carer/profile/checks", data={**checks, **_issued("2")})
        assert "today or in the past" in late.get_data(as_text=True)
