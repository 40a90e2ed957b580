"""Every model constraint holds in the database, not only in forms."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace import regulators
from marketplace.extensions import db
from marketplace.models import (
    Carer,
    CatalogVersion,
    ConsentGrant,
    Person,
    Provider,
    TeamMember,
    User,
    UserRole,
    VocabularyTerm,
    utcnow,
)


def _flush_fails():
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.flush()
    db.session.expunge_all()  # forget the refused rows so the test can go on


def _raw_insert_fails(table, **values):
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.insert(table).values(**values))


def test_email_is_unique_case_insensitively(make):
    make.user(email="Same@Example.org")
    db.session.add(User(email="same@example.ORG", password_hash="x", display_name="Other"))
    _flush_fails()


def test_email_stored_lower_case(make):
    assert make.user(email="  MiXeD@Example.Org ").email == "mixed@example.org"


def test_email_must_be_lower_case_in_the_database():
    _raw_insert_fails(
        User.__table__,
        email="UPPER@X.ORG",
        password_hash="x",
        display_name="U",
        is_active_account=True,
        created_at=utcnow(),
        updated_at=utcnow(),
    )


def test_unknown_role_is_refused(make):
    user = make.user()
    with pytest.raises(ValueError, match="role must be one of"):
        user.add_role("wizard")
    _raw_insert_fails(UserRole.__table__, user_id=user.id, role="wizard")


def test_admin_has_every_role(make):
    admin = make.user(roles=["admin"])
    assert admin.has_role("reviewer") and admin.has_role("provider_admin")
    person = make.user(roles=["person"])
    assert person.has_role("person") and not person.has_role("reviewer")


def test_person_funding_route_is_checked(make):
    person = make.person()
    person.funding_route = "magic_money"
    _flush_fails()


def test_person_distance_must_be_positive(make):
    person = make.person()
    person.max_distance_km = 0
    _flush_fails()


def test_one_person_profile_per_user(make):
    user = make.user(roles=["person"])
    db.session.add(Person(user_id=user.id, display_name="Again"))
    _flush_fails()


def test_consent_must_end_after_it_starts(make):
    person = make.person()
    supporter = make.user(roles=["supporter"])
    now = utcnow()
    db.session.add(
        ConsentGrant(
            person_id=person.id,
            supporter_user_id=supporter.id,
            scopes=["view"],
            starts_at=now,
            ends_at=now - timedelta(days=1),
        )
    )
    _flush_fails()


def test_consent_allows_only_its_scopes_and_time(make):
    person = make.person()
    supporter = make.user(roles=["supporter"])
    now = utcnow()
    grant = make.consent(
        person,
        supporter,
        ["view", "message"],
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30),
    )
    assert grant.allows("view") and grant.allows("message")
    assert not grant.allows("pay")
    assert not grant.allows("view", at=now + timedelta(days=31))
    assert not grant.allows("view", at=now - timedelta(days=2))
    grant.revoked_at = now
    assert not grant.allows("view")


@pytest.mark.parametrize(
    "field, value",
    [
        ("legal_form", "pyramid_scheme"),
        ("qa_status", "maybe"),
        ("regulator_rating", "brilliant"),
        ("service_radius_km", 0),
        ("service_radius_km", 500),
        ("hourly_rate_pence", -1),
    ],
)
def test_provider_check_constraints(make, field, value):
    provider = make.provider()
    setattr(provider, field, value)
    _flush_fails()


def test_approved_provider_needs_an_approval_date(make):
    provider = make.provider(qa_status="draft")
    provider.qa_status = "approved"
    _flush_fails()


@pytest.mark.parametrize("good", ["1-123456789", "1-12345678901", " 1-1234567890 "])
def test_a_cqc_location_id_in_the_real_format_is_stored(make, good):
    provider = make.provider(qa_status="draft", regulated=True, regulator="cqc")
    provider.regulator_number = good
    db.session.flush()
    assert provider.regulator_number == good.strip()
    assert regulators.get("cqc").number_problem(provider.regulator_number) is None


@pytest.mark.parametrize(
    "bad", ["1-12345678", "2-123456789", "1-123456789012", "RXX-1", "1-12345abcd"]
)
def test_a_cqc_location_id_in_another_format_is_refused(bad):
    problem = regulators.get("cqc").number_problem(bad.strip().upper())
    assert problem is not None and "CQC location ID" in problem


@pytest.mark.parametrize(
    "values",
    [
        {"regulator": "cqc", "regulated": True, "regulator_number": "9-999999999"},
        {"regulator": "care_inspectorate", "regulated": True, "regulator_number": "1-123456789"},
        {"regulator": "ciw", "regulated": True, "regulator_number": "SIN-1"},
        {"regulator": "cqc", "regulated": True, "regulator_rating": "very_good"},
        {"regulator": "rqia", "regulated": True, "regulator_rating": "good"},
        {"regulator": None, "regulated": True},
        {"regulator": "ofsted"},
    ],
)
def test_regulator_number_and_rating_are_checked_in_the_database(make, values):
    provider = make.provider(qa_status="draft")
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.update(Provider).where(Provider.id == provider.id).values(**values))


@pytest.mark.parametrize(
    "value, ok",
    [
        ("12345678", True),
        ("SC123456", True),
        ("OC301234", True),
        ("1234567", False),
        ("ABC12345", False),
    ],
)
def test_companies_house_number_format(make, value, ok):
    provider = make.provider(qa_status="draft")
    if ok:
        provider.companies_house_number = value
        db.session.flush()
    else:
        with pytest.raises(ValueError, match="Companies House"):
            provider.companies_house_number = value


@pytest.mark.parametrize(
    "value, ok",
    [("31234R", True), ("IP12345R", True), ("7654", True), ("R12", False), ("12-34", False)],
)
def test_fca_number_format(make, value, ok):
    provider = make.provider(qa_status="draft")
    if ok:
        provider.fca_number = value
    else:
        with pytest.raises(ValueError, match="FCA"):
            provider.fca_number = value


def test_provider_ref_is_unique(make):
    make.provider(ref="p-1")
    db.session.add(Provider(name="Dup", legal_form="cic", ref="p-1"))
    _flush_fails()


def test_team_has_at_most_twelve_seats_in_the_database(make):
    team = make.team(members=12)
    carer = make.carer(team.provider)
    db.session.add(TeamMember(team_id=team.id, carer_id=carer.id, seat=13))
    _flush_fails()


def test_team_seat_cannot_be_taken_twice(make):
    team = make.team(members=1)
    carer = make.carer(team.provider)
    db.session.add(TeamMember(team_id=team.id, carer_id=carer.id, seat=1))
    _flush_fails()


def test_carer_cannot_join_a_team_twice(make):
    team = make.team(members=1)
    carer = team.memberships[0].carer
    db.session.add(TeamMember(team_id=team.id, carer_id=carer.id, seat=2))
    _flush_fails()


def test_team_role_is_checked(make):
    team = make.team(members=1)
    team.memberships[0].role = "boss"
    _flush_fails()


@pytest.mark.parametrize(
    "field, value",
    [
        ("gender", "robot"),
        ("travel_radius_km", 0),
        ("travel_radius_km", 101),
        ("hourly_rate_pence", -5),
        ("lat", 95.0),
    ],
)
def test_carer_check_constraints(make, field, value):
    carer = make.carer()
    setattr(carer, field, value)
    _flush_fails()


def test_carer_needs_an_existing_provider(make):
    db.session.add(Carer(provider_id=999999, display_name="Nobody", travel_radius_km=5))
    _flush_fails()


def test_carer_listed_only_when_active_and_provider_approved(make):
    approved = make.carer(make.provider(qa_status="approved"))
    draft = make.carer(make.provider(qa_status="draft"))
    paused = make.carer(make.provider(qa_status="approved"), active=False)
    assert approved.is_listed and not draft.is_listed and not paused.is_listed


@pytest.mark.parametrize(
    "field, value",
    [
        ("kind", "passport"),
        ("status", "trusted"),
        ("scheme", "fbi"),
        ("level", "super"),
        ("verified_at", None),  # verified with no time recorded
        ("certificate_number", None),  # an incomplete check cannot be verified
    ],
)
def test_carer_check_row_constraints(make, field, value):
    carer = make.carer()
    setattr(carer.check("criminal_record"), field, value)
    _flush_fails()


def test_one_check_of_each_kind_per_carer(make):
    from marketplace.models import CarerCheck

    carer = make.carer()
    db.session.add(CarerCheck(carer_id=carer.id, kind="right_to_work", status="declared"))
    _flush_fails()


def test_vocabulary_kind_is_checked():
    db.session.add(VocabularyTerm(kind="colour", slug="red", label="Red"))
    _flush_fails()


def test_vocabulary_slug_is_unique_per_kind():
    db.session.add(VocabularyTerm(kind="skill", slug="personal_care", label="Again"))
    _flush_fails()


def test_catalog_version_is_a_single_row():
    from marketplace.catalog_version import bump_catalog_version, current_catalog_version

    before = current_catalog_version()
    bump_catalog_version()
    db.session.flush()
    assert current_catalog_version() == before + 1
    db.session.add(CatalogVersion(id=2, version=1))
    _flush_fails()


def test_deleting_a_user_deletes_their_person_profile(make):
    user = make.user(roles=["person"])
    person_id = user.person.id
    db.session.delete(user)
    db.session.flush()
    assert db.session.get(Person, person_id) is None


def _budget(person, **kw):
    from datetime import date

    from marketplace.models import Budget

    values = dict(
        person_id=person.id,
        care_council_code="E08000035",
        funding_route="direct_payment",
        amount_pence=173_600,
        period="four_weekly",
        account_type="prepaid_card",
        allowed_categories=["personal_assistant"],
        starts_on=date(2026, 4, 1),
    )
    values.update(kw)
    return Budget(**values)


@pytest.mark.parametrize(
    "field, value",
    [
        ("amount_pence", 0),
        ("amount_pence", -100),
        ("period", "yearly"),
        ("account_type", "piggy_bank"),
        ("funding_route", "lottery"),
    ],
)
def test_budget_check_constraints(make, field, value):
    db.session.add(_budget(make.person(), **{field: value}))
    _flush_fails()


def test_budget_review_must_follow_start(make):
    from datetime import date

    db.session.add(_budget(make.person(), review_on=date(2026, 3, 1)))
    _flush_fails()


def test_person_sees_their_budget_on_their_account(make, login):
    user = make.user(roles=["person"])
    db.session.add(_budget(user.person))
    db.session.flush()
    body = login(user).get("/account").get_data(as_text=True)
    assert "Your personal budget" in body and "£1,736.00 every four weeks" in body
    assert "Leeds" in body and "Direct payment from the council" in body
    export = login(user).get("/account/export").json
    assert export["person"]["budgets"][0]["amount_pence"] == 173_600
