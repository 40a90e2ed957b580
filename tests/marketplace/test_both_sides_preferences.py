"""Both sides' preferences end to end (issue 11 item 2): the person's profile says what
their home is like and what they want, search and the match API take the same inputs
(the profile fills both in), clashes are counted where the other exclusions are, and
agreements are said in "why this match"."""

from __future__ import annotations

import re

import pytest

from marketplace.extensions import db
from marketplace.models import Person

PROFILE = {
    "postcode": "ls6 1aa",
    "max_distance_km": "15",
    "funding_route": "self_funded",
    "pets": ["dogs"],
    "smoking_home": "y",
    "support_wanted": ["out_and_about", "companionship"],
    "groups": ["older_people"],
}


def _person(make):
    user = make.user(roles=["person"])
    user.person.postcode = user.person.district = user.person.care_council_code = None
    db.session.flush()
    return user, user.person


def _carers(make):
    """Alex agrees with everything; the others each clash on one thing; Sam has not said."""
    provider = make.provider(name="Prefs Co-op")
    make.carer(
        provider,
        display_name="Alex",
        pets_ok=["dogs", "cats"],
        smoking_ok=True,
        enjoys_support=["out_and_about"],
        would_support=["older_people"],
    )
    make.carer(provider, display_name="Cat person", pets_ok=["cats"])
    make.carer(provider, display_name="Cleaner", pets_ok=["dogs"], enjoys_support=["meals"])
    make.carer(provider, display_name="Non-smoker one", smoking_ok=False)
    make.carer(provider, display_name="Non-smoker two", smoking_ok=False)
    make.carer(provider, display_name="Youth worker", would_support=["young_adults"])
    make.carer(provider, display_name="Sam")


def test_the_profile_saves_the_home_and_wishes(make, login):
    user, person = _person(make)
    client = login(user)
    page = client.get("/profile").get_data(as_text=True)
    assert "Pets in your home" in page and "Are you in any of these groups? (optional)" in page
    # Nothing is ticked until the person says (never a silent default).
    assert not re.search(r'name="groups"[^>]*checked', page)
    assert client.post("/profile", data=PROFILE).status_code == 302
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.preferences["pets"] == ["dogs"]
    assert person.preferences["smoking_home"] is True
    assert person.preferences["support_wanted"] == ["out_and_about", "companionship"]
    assert person.preferences["groups"] == ["older_people"]
    again = client.get("/profile").get_data(as_text=True)
    assert re.search(r'value="dogs"[^>]*checked', again)
    assert re.search(r'name="smoking_home"[^>]*checked', again)
    assert re.search(r'value="older_people"[^>]*checked', again)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"pets": ["snakes"]}, "Choose pets from the list"),
        ({"support_wanted": ["juggling"]}, "Choose kinds of support from the list"),
        ({"groups": ["everyone"]}, "Choose groups from the list"),
    ],
)
def test_bad_profile_answers_are_explained_and_change_nothing(make, login, changes, message):
    user, person = _person(make)
    response = login(user).post("/profile", data={**PROFILE, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page and message in page
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.postcode is None and person.preferences in ({}, None)


def test_search_leaves_out_clashes_counts_them_and_says_the_agreements(make, client):
    _carers(make)
    page = client.get(
        "/search?postcode=LS6+1AA&pet=dogs&smoking=y&support=out_and_about&group=older_people"
    ).get_data(as_text=True)
    results = page.split('id="carers-heading"')[1].split("Why there are not more")[0]
    assert "Alex" in results and "Sam" in results
    for name in ("Cat person", "Cleaner", "Non-smoker", "Youth worker"):
        assert name not in results, name
    assert "Alex is happy with dogs" in page
    assert "Alex does not mind a home where someone smokes" in page
    assert "Alex enjoys helping people get out and about" in page
    assert "Alex would like to support older people" in page
    assert "Sam has not said whether they are happy with dogs, so ask" in page
    # Alex agrees, Sam has not said: Alex comes first.
    assert results.index("Alex") < results.index("Sam")
    why = page.split("Why there are not more")[1]
    assert "1 carer nearby is not comfortable with dogs." in why
    assert "2 carers nearby prefer a home where nobody smokes." in why
    assert "1 carer nearby enjoys giving other kinds of support than the ones you want." in why
    assert "1 carer nearby would rather support other groups of people." in why
    assert "Pets at home: dogs" in page and "Someone smokes at home" in page
    # Links keep the choices.
    assert re.search(r'href="/carers/\d+\?[^"]*pet=dogs[^"]*smoking=y', page)


def test_search_refuses_unknown_words_with_the_error_summary(make, client):
    response = client.get("/search?postcode=LS6+1AA&pet=snakes&group=everyone")
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "Choose pets from the list" in page and "Choose groups from the list" in page


def test_the_profile_fills_in_search_and_the_match_api(make, login):
    _carers(make)
    user, _ = _person(make)
    client = login(user)
    client.post("/profile", data=PROFILE)
    page = client.get("/search").get_data(as_text=True)
    assert "We filled this search in from" in page
    assert "Alex is happy with dogs" in page and "Cat person" not in page
    body = client.post("/api/v1/match", json={}).get_json()
    names = [r["display_name"] for r in body["results"]]
    assert names[:2] == ["Alex", "Sam"] and "Cat person" not in names
    assert body["excluded"]["pets"] == 1 and body["excluded"]["smoking"] == 2
    alex = body["results"][0]["signals"]["preferences"]["explanation"]
    assert "Alex enjoys helping people get out and about" in alex
    # A field sent overrides the profile.
    sent = client.post("/api/v1/match", json={"pets": []}).get_json()
    assert "Cat person" in [r["display_name"] for r in sent["results"]]
    assert "pets" not in sent["excluded"] and sent["excluded"]["smoking"] == 2


def test_the_match_api_takes_the_same_inputs(make, client):
    _carers(make)
    body = client.post(
        "/api/v1/match",
        json={
            "postcode": "LS6 1AA",
            "pets": ["dogs"],
            "smoking_home": True,
            "support_wanted": ["out_and_about"],
            "groups": ["older_people"],
        },
    ).get_json()
    assert [r["display_name"] for r in body["results"]] == ["Alex", "Sam"]
    assert body["excluded"] == {
        "pets": 1,
        "smoking": 2,
        "support_kinds": 1,
        "who_they_support": 1,
    }
    bad = client.post("/api/v1/match", json={"postcode": "LS6 1AA", "groups": ["everyone"]})
    assert bad.status_code == 422 and "groups" in str(bad.get_json()["error"]["fields"])


def test_the_demo_shows_agreements_in_why_this_match(app, login):
    import sqlalchemy as sa

    from marketplace.demo import seed_demo
    from marketplace.models import Carer, User

    seed_demo(carers=60)
    db.session.commit()
    carers = db.session.scalars(sa.select(Carer)).all()
    # A spread: some have not said, some have, and the answers differ.
    assert {c.pets_ok is None for c in carers} == {True, False}
    assert {c.smoking_ok for c in carers} == {None, True, False}
    assert any(c.enjoys_support for c in carers) and any(not c.would_support for c in carers)
    amira = db.session.scalar(sa.select(User).where(User.email == "person@coopcare.example"))
    page = login(amira).get("/search").get_data(as_text=True)
    assert "We filled this search in from" in page
    assert "is happy with cats" in page
    assert re.search(r"enjoys (helping people get out and about|keeping people company)", page)
    # Joe, who supports her (view scope), sees them on her profile.
    joe = db.session.scalar(sa.select(User).where(User.email == "supporter@coopcare.example"))
    seen = login(joe).get("/supporting/profile").get_data(as_text=True)
    assert re.search(r"Pets at home</dt><dd>Cats<", seen)
    assert re.search(r"Groups they are in</dt><dd>Not said<", seen)
    ana = db.session.scalar(sa.select(User).where(User.email == "carer@coopcare.example"))
    summary = login(ana).get("/carer/profile").get_data(as_text=True)
    assert "People living with dementia" in summary


def test_the_carer_page_says_what_they_are_happy_with(make, client):
    provider = make.provider(name="Page Co-op")
    alex = make.carer(
        provider,
        display_name="Alex",
        pets_ok=["dogs"],
        smoking_ok=False,
        enjoys_support=["meals"],
        would_support=[],
    )
    quiet = make.carer(provider, display_name="Quiet")
    page = client.get(f"/carers/{alex.id}").get_data(as_text=True)
    assert re.search(r"Happy with pets</dt><dd>Dogs<", page)
    assert "No, would rather work where nobody smokes" in page
    assert re.search(r"Enjoys giving</dt><dd>Cooking and meals<", page)
    assert re.search(r"Would like to support</dt><dd>Anyone \(not said\)<", page)
    other = client.get(f"/carers/{quiet.id}").get_data(as_text=True)
    assert other.count("Not said: ask the provider") == 2


def test_the_catalog_file_carries_the_carers_answers(app):
    import copy

    import sqlalchemy as sa

    from marketplace.catalog_io import CatalogImportError, export_catalog, import_catalog
    from marketplace.models import Carer
    from tests.marketplace.test_catalog_import import sample

    data = sample()
    first = data["carers"][0]
    first.update(
        pets_ok=["cats"], smoking_ok=False, enjoys_support=["meals"], would_support=["dementia"]
    )
    import_catalog(data)
    ana = db.session.scalar(sa.select(Carer).where(Carer.ref == first["ref"]))
    assert (ana.pets_ok, ana.smoking_ok, ana.enjoys_support, ana.would_support) == (
        ["cats"],
        False,
        ["meals"],
        ["dementia"],
    )
    other = db.session.scalar(sa.select(Carer).where(Carer.ref == data["carers"][1]["ref"]))
    assert (other.pets_ok, other.smoking_ok, other.enjoys_support) == (None, None, [])
    exported = next(c for c in export_catalog()["carers"] if c["ref"] == first["ref"])
    assert exported["pets_ok"] == ["cats"] and exported["would_support"] == ["dementia"]
    bad = copy.deepcopy(data)
    bad["carers"][0]["pets_ok"] = ["snakes"]
    with pytest.raises(CatalogImportError) as problem:
        import_catalog(bad)
    assert any("pets_ok: 'snakes' is not one of" in line for line in problem.value.errors)


def test_easy_read_says_what_the_carer_is_happy_with(make, login, client):
    from marketplace.shortlist import easy_read

    provider = make.provider(name="Easy Co-op")
    ana = make.carer(
        provider,
        display_name="Ana",
        pets_ok=["dogs", "cats"],
        smoking_ok=False,
        enjoys_support=["companionship", "out_and_about"],
    )
    quiet = make.carer(provider, display_name="Quiet")
    user = make.user(roles=["person"])
    user.person.preferences = {"pets": ["dogs"], "support_wanted": ["out_and_about"]}
    db.session.flush()
    page = login(user).get(f"/carers/{ana.id}/easy-read").get_data(as_text=True)
    assert "Ana is happy with dogs and cats." in page
    assert "Ana would like to work where nobody smokes." in page
    assert "Ana enjoys helping people get out and about." in page
    assert "Ana enjoys keeping people company." not in page  # what the person wants first
    assert "Ask Quiet about your dogs." in login(user).get(f"/carers/{quiet.id}/easy-read").text
    for carer in (ana, quiet):
        for sentence in easy_read.all_sentences(easy_read.easy_read(carer, user.person)):
            for part in re.split(r"(?<=\.)\s+", sentence):
                assert easy_read.words(part) <= easy_read.MAX_WORDS, part
    anyone = client.get(f"/carers/{ana.id}/easy-read").get_data(as_text=True)
    assert "Ana enjoys keeping people company." in anyone
