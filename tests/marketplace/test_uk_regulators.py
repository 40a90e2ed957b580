"""UK-wide care regulators (issue 9, finding 7): the regulator follows the nation of the
service address, with its own number format, rating words and wording; the reviewer
checks every number on its public register, and nothing claims an automatic check."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa
from qa_helpers import ready_provider

from marketplace import regulators
from marketplace.choices import Nation
from marketplace.extensions import db
from marketplace.models import Provider
from marketplace.providers import qa

# (postcode, district, care council, regulator, a good number, a rating, words on the page)
NATIONS = [
    (
        "LS6 1AA",
        "LS6",
        "E08000035",
        "cqc",
        "1-1234567890",
        "not_yet_rated",
        ["Care Quality Commission", "Not yet rated", "Outstanding"],
    ),
    (
        "EH1 1YZ",
        "EH1",
        "S12000036",
        "care_inspectorate",
        "CS2003001025",
        "not_yet_graded",
        ["Care Inspectorate", "6 – Excellent", "Not yet graded", "the lowest"],
    ),
    (
        "CF10 1EP",
        "CF10",
        "W06000015",
        "ciw",
        "SIN-00009093-CGLK",
        "requires_significant_improvement",
        ["Care Inspectorate Wales", "Requires significant improvement", "Not yet rated"],
    ),
    (
        "BT1 1AA",
        "BT1",
        None,
        "rqia",
        "11081",
        "not_inspected",
        ["Regulation and Quality Improvement Authority", "RQIA does not give ratings"],
    ),
]


def _draft(make, admin, postcode, district, council, **kw):
    return make.provider(
        qa_status="draft",
        admin=admin,
        postcode=postcode,
        district=district,
        care_council_code=council,
        **kw,
    )


@pytest.mark.parametrize(
    "postcode, nation",
    [
        ("LS6 1AA", Nation.ENGLAND),
        ("EH1 1YZ", Nation.SCOTLAND),
        ("CF10 1EP", Nation.WALES),
        ("BT1 1AA", Nation.NORTHERN_IRELAND),
        ("TD15 1BJ", Nation.ENGLAND),
        ("G1", Nation.SCOTLAND),
    ],
)
def test_the_nation_comes_from_the_postcode_data(postcode, nation):
    assert regulators.nation_of(postcode) == nation
    assert regulators.BY_NATION[nation].nation == nation


def test_nation_falls_back_to_the_care_council_and_is_none_when_unknown():
    assert regulators.nation_of(None, "W06000015") == Nation.WALES
    assert regulators.nation_of("ZZ99 9ZZ") is None
    assert regulators.nation_of(None) is None


@pytest.mark.parametrize("postcode, district, council, code, number, rating, words", NATIONS)
def test_onboarding_asks_about_the_regulator_of_the_nation(
    make, login, postcode, district, council, code, number, rating, words
):
    admin = make.user(roles=["provider_admin"])
    provider = _draft(make, admin, postcode, district, council)
    client = login(admin)
    page = client.get("/provider/onboarding/regulator").get_data(as_text=True)
    for text in words:
        assert text in page
    assert "We do not check your number automatically" in page
    regulator = regulators.get(code)
    assert f"Background checks on staff here are {regulator.checks_scheme} checks" in page
    assert regulator.number_example in page
    # Another nation's number is refused with this regulator's format in the message.
    wrong = "CS2003001025" if code != "care_inspectorate" else "1-1234567890"
    refused = client.post(
        "/provider/onboarding/regulator",
        data={"regulated": "yes", "regulator_number": wrong, "regulator_rating": rating},
    )
    assert refused.status_code == 200
    assert f"Enter your {regulator.number_label} in the right format" in refused.text
    db.session.refresh(provider)
    assert provider.regulator is None and provider.regulator_number is None
    saved = client.post(
        "/provider/onboarding/regulator",
        data={"regulated": "yes", "regulator_number": number.lower(), "regulator_rating": rating},
    )
    assert saved.status_code == 302
    db.session.refresh(provider)
    assert (provider.regulated, provider.regulator) == (True, code)
    assert (provider.regulator_number, provider.regulator_rating) == (number, rating)
    item = {i.key: i for i in qa.checklist(provider)}["regulator"]
    assert item.ok and number in item.detail


def test_cqc_not_yet_rated_is_a_rating_now(make, login):
    admin = make.user(roles=["provider_admin"])
    provider = _draft(make, admin, "LS6 1AA", "LS6", "E08000035")
    response = login(admin).post(
        "/provider/onboarding/regulator",
        data={
            "regulated": "yes",
            "regulator_number": "1-1234567890",
            "regulator_rating": "not_yet_rated",
        },
    )
    assert response.status_code == 302
    db.session.refresh(provider)
    assert provider.regulator == "cqc" and provider.regulator_rating == "not_yet_rated"


def test_the_regulator_question_waits_for_the_service_area(make, login):
    admin = make.user(roles=["provider_admin"])
    _draft(make, admin, None, None, None, lat=None, lon=None)
    response = login(admin).get("/provider/onboarding/regulator")
    assert response.status_code == 302
    assert response.location.endswith("/provider/onboarding/service-area")


def test_moving_to_another_nation_asks_the_regulator_question_again(make):
    admin = make.user(roles=["provider_admin"])
    provider = ready_provider(
        make,
        admin=admin,
        regulated=True,
        regulator="cqc",
        regulator_number="1-123456789",
        regulator_rating="good",
    )
    assert {i.key: i for i in qa.checklist(provider)}["regulator"].ok
    provider.postcode, provider.district, provider.care_council_code = "G1 1XQ", "G1", "S12000049"
    item = {i.key: i for i in qa.checklist(provider)}["regulator"]
    assert not item.ok
    assert "You work in Scotland, so your regulator is the Care Inspectorate" in item.detail
    with pytest.raises(qa.NotReady):
        qa.transition(provider, "submit", admin)


def test_a_registered_provider_in_wales_must_upload_its_certificate(make):
    provider = ready_provider(
        make,
        postcode="CF10 1EP",
        district="CF10",
        care_council_code="W06000015",
        regulated=True,
        regulator="ciw",
        regulator_number="SIN-00009093-CGLK",
        regulator_rating="good",
    )
    items = {i.key: i for i in qa.checklist(provider)}
    assert items["regulator"].ok
    assert not items["evidence:cqc_registration"].ok


def test_registration_page_says_a_person_checks_the_numbers(make, login):
    admin = make.user(roles=["provider_admin"])
    _draft(make, admin, "LS6 1AA", "LS6", "E08000035")
    page = login(admin).get("/provider/onboarding/registration").get_data(as_text=True)
    assert "We check these numbers against the public registers" not in page
    assert "We do not check these numbers automatically" in page
    assert "A quality reviewer looks each one up on its public register" in page


@pytest.mark.parametrize(
    "numbers, register, url",
    [
        (
            {"companies_house_number": "SC123456"},
            "Companies House",
            "https://find-and-update.company-information.service.gov.uk/company/SC123456",
        ),
        (
            {"fca_number": "31234R"},
            "the FCA Mutuals Public Register",
            "https://mutuals.fca.org.uk/",
        ),
        (
            {"charity_number": "1234567"},
            "the Charity Commission's register of charities",
            "https://register-of-charities.charitycommission.gov.uk/charity-search/-/charity-details/1234567",
        ),
        (
            {"charity_number": "SC012345"},
            "the Scottish Charity Register (OSCR)",
            "https://www.oscr.org.uk/about-charities/search-the-register/charity-details?number=SC012345",
        ),
        (
            {"charity_number": "NIC100002"},
            "the Charity Commission for Northern Ireland's register",
            "https://www.charitycommissionni.org.uk/charity-details/?regid=100002&subid=0",
        ),
        (
            {
                "regulated": True,
                "regulator": "cqc",
                "regulator_number": "1-123456789",
                "regulator_rating": "good",
            },
            "the CQC website",
            "https://www.cqc.org.uk/location/1-123456789",
        ),
    ],
)
def test_the_reviewer_gets_a_link_to_the_public_register_for_each_number(
    make, login, numbers, register, url
):
    provider = ready_provider(make, status="submitted", **numbers)
    page = html.unescape(
        login(make.user(roles=["reviewer"])).get(f"/review/providers/{provider.id}").text
    )
    assert "Check the numbers on the public registers" in page
    assert "CoopCare does not check these numbers" in page
    assert f'href="{url}"' in page and f" on {register}</a>" in page


def test_register_links_for_a_scottish_provider_name_the_number_to_search_for(make):
    provider = ready_provider(
        make,
        postcode="EH1 1YZ",
        district="EH1",
        care_council_code="S12000036",
        regulated=True,
        regulator="care_inspectorate",
        regulator_number="CS2003001025",
        regulator_rating="very_good",
        fca_number="2345R",
    )
    links = {link.register: link for link in regulators.register_links(provider)}
    inspectorate = links["the Care Inspectorate's register of care services"]
    assert inspectorate.url == "https://www.careinspectorate.com/index.php/care-services"
    assert "Search for CS2003001025" in inspectorate.how
    assert "Search for 2345R" in links["the FCA Mutuals Public Register"].how


def test_the_public_page_names_the_regulator_in_its_own_words(make, client):
    provider = make.provider(
        postcode="EH1 1YZ",
        district="EH1",
        care_council_code="S12000036",
        regulated=True,
        regulator="care_inspectorate",
        regulator_number="CS2003001025",
        regulator_rating="very_good",
    )
    page = client.get(f"/providers/{provider.id}").text
    assert "Care Inspectorate" in page
    assert "Care Inspectorate care service number CS2003001025" in page
    assert "Care Inspectorate grade: 5 – Very good" in page
    assert "Care Quality Commission" not in page


def test_an_rqia_provider_is_not_given_a_rating_it_does_not_have(make, client):
    provider = make.provider(
        postcode="BT1 1AA",
        district="BT1",
        care_council_code=None,
        regulated=True,
        regulator="rqia",
        regulator_number="11081",
        regulator_rating="inspected",
    )
    page = client.get(f"/providers/{provider.id}").text
    assert "RQIA service ID 11081, RQIA inspection: Inspected (RQIA does not give ratings)" in page


@pytest.mark.own_database
def test_the_migration_keeps_every_provider_its_children_and_its_cqc_registration(tmp_path):
    """SQLite rebuilds the providers table; nothing that refers to it may be lost."""
    from flask_migrate import downgrade, upgrade

    from marketplace import create_app
    from marketplace.config import TestConfig

    class Fresh(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/m.sqlite3"

    app = create_app(Fresh)
    with app.app_context():
        upgrade(revision="0006_email_confirmation")
        run = db.session.execute
        run(
            sa.text(
                "INSERT INTO providers (name, legal_form, cqc_regulated, cqc_location_id,"
                " cqc_rating, principles, members, description, service_districts, skills,"
                " languages, qa_status, extra, created_at, updated_at)"
                " VALUES ('A', 'worker_coop', true, '1-123456789',"
                " 'good', '', '[]', '', '[]', '[]', '[]', 'draft', '{}', CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"
            )
        )
        run(
            sa.text(
                "INSERT INTO provider_onboarding (provider_id, started_at, unanswered)"
                ' VALUES (1, CURRENT_TIMESTAMP, \'["cqc", "rate"]\')'
            )
        )
        run(
            sa.text(
                "INSERT INTO teams (provider_id, name, description, patch, created_at,"
                " updated_at) VALUES (1, 'T', '', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        db.session.commit()
        upgrade()
        provider = db.session.get(Provider, 1)
        assert (provider.regulated, provider.regulator, provider.regulator_number) == (
            True,
            "cqc",
            "1-123456789",
        )
        assert run(sa.text("SELECT count(*) FROM teams")).scalar() == 1
        assert run(sa.text("SELECT unanswered FROM provider_onboarding")).scalar() in (
            '["regulator", "rate"]',
            ["regulator", "rate"],
        )
        db.session.commit()
        downgrade(revision="0006_email_confirmation")
        assert run(sa.text("SELECT count(*) FROM teams")).scalar() == 1
        db.session.remove()
        db.engine.dispose()
