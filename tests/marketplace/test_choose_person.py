"""A supporter with grants from several people who opened a page about one person before
choosing is asked to choose (then brought back), never answered with a bare 403; the
demo has such a supporter (Rosa), and Joe's grant covers managing introductions."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
from marketplace.extensions import db
from marketplace.models import ConsentGrant, User

# Every page about one person a supporter can open: (method, path, form data).
PERSON_PAGES = [
    ("GET", "/shortlist", None),
    ("GET", "/shortlist/compare?item=carer-1&item=carer-2", None),
    ("GET", "/supporting/profile", None),
    ("GET", "/budgets/new", None),
]


@pytest.fixture
def two_people(make):
    ann = make.user(roles=["person"], display_name="Ann Lee").person
    bob = make.user(roles=["person"], display_name="Bob Kay").person
    supporter = make.user(roles=["supporter"])
    make.consent(ann, supporter, ["view", "manage_introductions", "pay"])
    make.consent(bob, supporter, ["view", "pay"])
    return ann, bob, supporter


@pytest.mark.parametrize(("method", "path", "data"), PERSON_PAGES)
def test_a_page_about_one_person_asks_whom_first_and_comes_back(
    login, two_people, method, path, data
):
    ann, _bob, supporter = two_people
    client = login(supporter)
    response = client.open(path, method=method, data=data)
    assert response.status_code == 302
    assert response.location.startswith("/supporting?next=")
    page = client.get(response.location).get_data(as_text=True)
    assert "Choose who you are acting for first." in page
    assert "we take you back to the page you were on" in page
    back = re.search(r'name="next" value="([^"]+)"', page).group(1)
    assert back.replace("&amp;", "&") == path
    chosen = client.post("/supporting/choose", data={"person_id": str(ann.id), "next": path})
    assert chosen.status_code == 302 and chosen.location == path
    assert client.get(path).status_code in (200, 400)  # compare: 400 names unknown items
    assert client.get(path).status_code != 403


def test_a_shortlist_button_asks_whom_first_and_then_goes_back(login, two_people, make):
    ann, _bob, supporter = two_people
    carer = make.carer(make.provider())
    client = login(supporter)
    response = client.post(
        "/shortlist/add", data={"item": f"carer-{carer.id}", "next": "/search?postcode=LS6"}
    )
    assert response.status_code == 302
    assert response.location == "/supporting?next=/search?postcode%3DLS6"
    assert ann.id  # nothing was added for anyone
    from marketplace.models import ShortlistEntry

    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShortlistEntry)) == 0


def test_pages_about_everyone_they_support_do_not_ask(login, two_people):
    _ann, _bob, supporter = two_people
    client = login(supporter)
    for path in ("/supporting", "/introductions", "/budgets", "/arrangements"):
        assert client.get(path).status_code == 200, path


def test_choosing_never_sends_anyone_off_the_site(login, two_people):
    ann, _bob, supporter = two_people
    client = login(supporter)
    page = client.get("/supporting?next=https://evil.example/").get_data(as_text=True)
    assert 'name="next"' not in page
    chosen = client.post(
        "/supporting/choose", data={"person_id": str(ann.id), "next": "//evil.example/"}
    )
    assert chosen.location == "/supporting"


def test_one_person_or_none_is_as_before(login, make):
    person = make.user(roles=["person"]).person
    supporter = make.user(roles=["supporter"])
    make.consent(person, supporter, ["view"])
    assert login(supporter).get("/shortlist").status_code == 200
    nobody = login(make.user(roles=["supporter"]))
    assert nobody.get("/shortlist").status_code == 403  # no grant: nothing to choose


def test_the_api_gets_json_not_a_redirect(app, two_people):
    from marketplace.authz import ChoosePersonFirst

    with app.test_request_context("/api/v1/anything"):
        handler = app.error_handler_spec[None][403][ChoosePersonFirst]
        body, status = handler(ChoosePersonFirst())
    assert status == 403 and body["error"]["code"] == "choose_person"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite:///" + str(tmp_path_factory.mktemp("demo") / "d.db")
        UPLOAD_FOLDER = str(tmp_path_factory.mktemp("uploads"))

    app = create_app(Config)
    with app.app_context():
        upgrade()
        seed_demo(carers=40, seed=11)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.mark.own_database
def test_the_demo_has_a_supporter_of_two_people_and_the_logins_say_true(demo):
    logins = {email: note for email, _, _, note in DEMO_LOGINS}

    def scopes(email):
        user = db.session.scalar(sa.select(User).where(User.email == email))
        grants = db.session.scalars(
            sa.select(ConsentGrant).where(ConsentGrant.supporter_user_id == user.id)
        )
        return {grant.person.display_name: sorted(grant.scopes) for grant in grants}

    assert scopes("supporter@coopcare.example") == {
        "Amira Khan": ["manage_introductions", "message", "view"]
    }
    assert "see, message, manage introductions" in logins["supporter@coopcare.example"]
    assert scopes("family@coopcare.example") == {
        "Amira Khan": ["view"],
        "Derek Walsh": ["pay", "view"],
    }
    assert (
        "Derek, her father (see, pay), and Amira, a friend (see)"
        in (logins["family@coopcare.example"])
    )
    client = demo.test_client()
    client.post("/login", data={"email": "family@coopcare.example", "password": DEMO_PASSWORD})
    response = client.get("/shortlist")
    assert response.status_code == 302 and response.location == "/supporting?next=/shortlist"
    amira = db.session.scalar(sa.select(User).where(User.email == "person@coopcare.example"))
    chosen = client.post(
        "/supporting/choose", data={"person_id": str(amira.person.id), "next": "/shortlist"}
    )
    assert chosen.location == "/shortlist"
    page = client.get("/shortlist").get_data(as_text=True)
    assert "Amira" in page and "Add to shortlist" not in page  # see only: cannot change it
