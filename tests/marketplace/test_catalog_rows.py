"""Catalog rows as pydantic models: each problem of a row, in plain English, at once."""

from __future__ import annotations

import pytest

from marketplace.catalog_rows import CarerRow, ProviderRow, TeamRow, read_row
from marketplace.models.providers import LEGAL_FORMS

CARER = {"ref": "c-1", "provider": "p-1", "display_name": "Ana"}
PROVIDER = {"ref": "p-1", "name": "Leeds Co-op", "legal_form": "worker_coop"}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"skils": ["cooking"]}, "unknown field 'skils'"),
        ({"display_name": None}, "display_name is required"),
        ({"display_name": "   "}, "display_name is required"),
        ({"display_name": 7}, "display_name must be text"),
        ({"display_name": "x" * 81}, "display_name is longer than 80 characters"),
        ({"gender": "robot"}, "gender 'robot' is not one of: female, male, non_binary"),
        ({"gender": 3}, "gender 3 is not one of: female, male, non_binary"),
        ({"team_role": "boss"}, "team_role 'boss' is not one of: member, coach"),
        (
            {"travel_radius_km": 500},
            "travel_radius_km must be a number above 0 and at most 100, not 500",
        ),
        ({"travel_radius_km": "5"}, "travel_radius_km must be a number above 0"),
        ({"travel_radius_km": True}, "travel_radius_km must be a number above 0"),
        ({"travel_radius_km": float("nan")}, "travel_radius_km must be a number above 0"),
        ({"hourly_rate_pence": 18.5}, "hourly_rate_pence must be a whole number of pence"),
        ({"hourly_rate_pence": -1}, "hourly_rate_pence must be a whole number of pence"),
        ({"active": "yes"}, "active must be true or false"),
        ({"skills": "cooking"}, "skills must be a list of text"),
        ({"skills": ["cooking", 3]}, "skills must be a list of text"),
        ({"interests": ["x" * 81]}, "interests has an entry longer than 80 characters"),
        ({"availability": ["mon-noon"]}, "availability: 'mon-noon' is not a time slot"),
        ({"postcode": 6}, "postcode must be text"),
    ],
)
def test_each_carer_problem_is_named(change, problem):
    values, problems = read_row(CarerRow, {**CARER, **change})
    assert len(problems) == 1 and problems[0].startswith(problem), problems
    assert set(change).isdisjoint(values)  # the bad field is left out
    assert values["display_name" if "display_name" not in change else "provider"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"legal_form": "plc"}, "legal_form 'plc' is not one of: cooperative_society"),
        ({"cqc_location_id": "12345"}, "cqc_location_id '12345' is not a CQC location ID"),
        ({"members": ["workers", "owners"]}, "members: 'owners' is not one of: workers"),
        ({"service_districts": ["LS6 1AA"]}, "service_districts: 'LS6 1AA' is not a postcode"),
        ({"service_districts": ["nowhere"]}, "service_districts: 'nowhere' is not a postcode"),
        ({"service_radius_km": 0}, "service_radius_km must be a number above 0"),
        ({"cqc_rating": "superb"}, "cqc_rating 'superb' is not one of"),
        ({"teams": {"ref": "t-1"}}, "teams must be a list"),
    ],
)
def test_each_provider_problem_is_named(change, problem):
    _, problems = read_row(ProviderRow, {**PROVIDER, **change})
    assert problems == [problems[0]] and problems[0].startswith(problem), problems


def test_a_row_with_several_problems_names_them_all():
    _, problems = read_row(
        ProviderRow, {"ref": "p-1", "legal_form": "plc", "hourly_rate_pence": "ten", "x": 1}
    )
    assert sorted(problems) == [
        "hourly_rate_pence must be a whole number of pence, 0 or more, not 'ten'",
        "legal_form 'plc' is not one of: " + ", ".join(LEGAL_FORMS),
        "name is required",
        "unknown field 'x'",
    ]


def test_good_rows_are_cleaned_and_keep_only_what_they_gave():
    values, problems = read_row(
        TeamRow, {"ref": "t-1", "name": "  Headingley ", "patch": ["ls6", " LS7", "LS6", ""]}
    )
    assert problems == []
    assert values == {"ref": "t-1", "name": "Headingley", "patch": ["LS6", "LS7"]}
    values, _ = read_row(CarerRow, {**CARER, "skills": [" cooking ", "cooking"], "bio": None})
    assert values == {**CARER, "skills": ["cooking"], "bio": None}


def test_values_of_good_fields_survive_a_bad_one():
    """So the file-level checks (vocabulary, refs) still report their problems."""
    values, problems = read_row(CarerRow, {**CARER, "gender": "robot", "skills": ["flying "]})
    assert problems and values["skills"] == ["flying"] and "gender" not in values


CHECKS = {"scheme": "dbs", "level": "enhanced", "certificate_number": "0012 3456 7890"}


@pytest.mark.parametrize(
    ("checks", "problem"),
    [
        ("DBS", "checks must be an object"),
        ({**CHECKS, "issued_on": "2024-03-27", "colour": "red"}, "checks: unknown field 'colour'"),
        (CHECKS, "checks.issued_on is required (YYYY-MM-DD)"),
        ({**CHECKS, "issued_on": "2024-3-27"}, "checks.issued_on '2024-3-27' is not a date"),
        ({**CHECKS, "issued_on": "2999-01-01"}, "checks.issued_on 2999-01-01 is in the future"),
        (
            {**CHECKS, "issued_on": "2024-03-27", "certificate_number": None},
            "checks.certificate_number: Enter the DBS certificate number",
        ),
        (
            {"level": "basic", "issued_on": "2024-03-27", "certificate_number": "1"},
            "checks.scheme is required",
        ),
        ({**CHECKS, "issued_on": "2024-03-27", "right_to_work": 1}, "checks.right_to_work must"),
    ],
)
def test_each_checks_problem_is_named(checks, problem):
    _, problems = read_row(CarerRow, {**CARER, "checks": checks})
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_checks_are_read_into_one_record_per_kind():
    from datetime import date

    values, problems = read_row(
        CarerRow, {**CARER, "checks": {**CHECKS, "issued_on": "2024-03-27"}}
    )
    assert problems == []
    assert values["checks"].as_found() == {
        "criminal_record": {
            "scheme": "dbs",
            "level": "enhanced",
            "certificate_number": "001234567890",
            "issued_on": date(2024, 3, 27),
            "update_service": False,
        },
        "right_to_work": False,
        "insurance_expires_on": None,
    }
