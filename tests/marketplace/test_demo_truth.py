"""Demo data that tells the truth (issue 9): names, places, phones, postcodes, checks."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from marketplace import create_app, geo
from marketplace.config import TestConfig
from marketplace.demo import FIRST_NAMES, seed_demo
from marketplace.extensions import db
from marketplace.models import Carer, Provider, User

# Where these neighbourhoods really are.
NEIGHBOURHOODS = {
    "Headingley": "LS6",
    "Chapeltown": "LS7",
    "Roundhay": "LS8",
    "Armley": "LS12",
    "Conisbrough": "DN12",
    "Easton": "BS5",
    "Bedminster": "BS3",
    "Fishponds": "BS16",
    "Levenshulme": "M19",
    "Moss Side": "M14",
    "Northern Quarter": "M4",
    "Hackney": "E8",
    "Peckham": "SE15",
    "Brixton": "SW9",
    "Walthamstow": "E17",
    "Dennistoun": "G31",
    "Southside": "G41",
}
# Ofcom's numbers reserved for drama.
DRAMA = re.compile(
    r"^(0113 496 0\d{3}|0117 496 0\d{3}|020 7946 0\d{3}|029 2018 0\d{3}|0141 496 0\d{3}"
    r"|0161 496 0\d{3}|01632 960\d{3})$"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite:///" + str(tmp_path_factory.mktemp("demo") / "d.db")
        UPLOAD_FOLDER = str(tmp_path_factory.mktemp("uploads"))

    app = create_app(Config)
    with app.app_context():
        upgrade()
        seed_demo(carers=120, seed=11)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


pytestmark = pytest.mark.own_database


def test_first_names_go_with_the_gender_given(demo):
    by_name = {}
    for gender, names in FIRST_NAMES.items():
        for name in names:
            by_name.setdefault(name, set()).add(gender)
    for carer in db.session.scalars(sa.select(Carer)):
        first = carer.display_name.split()[0]
        assert carer.gender in by_name[first], (carer.display_name, carer.gender)
    assert not set(FIRST_NAMES["female"]) & set(FIRST_NAMES["male"])


def test_providers_are_based_where_their_names_say(demo):
    providers = db.session.scalars(sa.select(Provider)).all()
    checked = 0
    for provider in providers:
        for place, district in NEIGHBOURHOODS.items():
            if place in provider.name:
                assert provider.district == district, provider.name
                checked += 1
        assert DRAMA.match(provider.contact_phone), provider.contact_phone
        council = geo.lookup(provider.district).care_council_name
        assert council and "-" not in council
    assert checked == len(NEIGHBOURHOODS)


def test_demo_carers_live_on_real_postcodes(demo):
    carers = db.session.scalars(sa.select(Carer)).all()
    assert len(carers) == 120
    for carer in carers:
        assert carer.postcode, carer.display_name
        where = geo.lookup(carer.postcode)
        assert where.live and where.outcode == carer.district
        assert (where.lat, where.lon) == (carer.lat, carer.lon)
        assert carer.district in carer.provider.service_districts


def test_every_demo_carer_is_verified_by_their_provider(demo):
    grace = db.session.scalar(sa.select(User).where(User.email == "provider@coopcare.example"))
    for carer in db.session.scalars(sa.select(Carer)):
        assert carer.checks_verified, carer.display_name
        for check in carer.checks:
            assert check.verified_by_organisation == carer.provider.name
            if carer.provider.name == "Headingley Care Co-op":
                assert check.verified_by_user_id == grace.id
        scheme = carer.check("criminal_record").scheme
        assert scheme == ("pvg" if carer.provider.care_council_code.startswith("S") else "dbs")
    listed = db.session.scalar(sa.select(sa.func.count()).select_from(Carer).where(Carer.is_listed))
    approved = db.session.scalar(
        sa.select(sa.func.count()).select_from(Carer).join(Provider).where(Provider.is_listed)
    )
    assert listed == approved > 0


def test_council_names_are_shown_once(demo):
    client = demo.test_client()
    page = client.get("/search?postcode=CF10+1EP").get_data(as_text=True)
    lead = re.search(r'<p class="lead">(.*?)</p>', page, re.S).group(1)
    text = re.sub(r"<[^>]+>", "", lead)
    assert text.startswith("In Cardiff.") and "Caerdydd - Cardiff" not in page
    assert "care council" not in text
    oxford = re.sub(r"<[^>]+>", "", client.get("/search?postcode=OX1+2JD").get_data(as_text=True))
    assert "Oxford (care council: Oxfordshire)" in oxford
    db.session.remove()


def test_the_demo_carer_page_says_who_confirmed_the_checks(demo):
    client = demo.test_client()
    ana = db.session.scalar(sa.select(Carer).where(Carer.display_name == "Ana S."))
    page = client.get(f"/carers/{ana.id}").get_data(as_text=True)
    assert "Checks confirmed by Headingley Care Co-op on 5 January 2026" in page
    db.session.remove()


def test_live_postcodes_are_the_tables_own():
    found = geo.live_postcodes("LS6")
    assert len(found) > 500 and found[0][0] == "LS6 1AA"
    for postcode, lat, lon in found[::97]:
        where = geo.lookup(postcode)
        assert where.live and (where.lat, where.lon) == (lat, lon)
    assert [p for p, _, _ in found[:3]] == sorted(p for p, _, _ in found[:3])


def test_the_demo_membership_says_its_ledger_payments_are_demo_entries(demo):
    """Its months are payments on Amira's budget ledger, so the pages must not say that no
    money moves: they say the ledger's payments are demo entries and no card was charged."""
    client = demo.test_client()
    signed_in = client.post(
        "/login", data={"email": "person@coopcare.example", "password": "coopcare-demo-1"}
    )
    assert signed_in.status_code == 302
    memberships = client.get("/memberships").get_data(as_text=True)
    link = re.search(r'href="(/memberships/\d+)"', memberships).group(1)
    page = re.sub(r"\s+", " ", client.get(link).get_data(as_text=True))
    assert "Demo data." in page and "no money moves" not in page
    assert "Its monthly payments on the budget's ledger are demo entries" in page
    budget_link = re.search(r'href="(/budgets/\d+)"', page).group(1)
    budget_page = re.sub(r"\s+", " ", client.get(budget_link).get_data(as_text=True))
    assert "in_demo_amira_1" in budget_page  # the months are on the ledger...
    assert "its months on the ledger are demo entries; no card was charged" in budget_page
    review_link = re.search(r'href="(/memberships/\d+/reviews/\d+)"', page).group(1)
    review = re.sub(r"\s+", " ", client.get(review_link).get_data(as_text=True))
    assert "no money moves" not in review and "are demo entries" in review
    db.session.remove()
