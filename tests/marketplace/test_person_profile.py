"""The person profile: saved needs that fill in search, with the postcode kept private."""

from __future__ import annotations

import re

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import AuditLog, Person

PROFILE = {
    "postcode": "ls6 1aa",
    "max_distance_km": "15",
    "must_have": ["personal_care"],
    "nice_to_have": ["cooking"],
    "interests": ["gardening"],
    "languages": ["en"],
    "carer_gender": "female",
    "slots": ["mon-am", "wed-pm"],
    "funding_route": "self_funded",
    "share_profile_with_providers": "y",
}


def _post_profile(client, **changes):
    data = {**PROFILE, **changes}
    return client.post("/profile", data={k: v for k, v in data.items() if v is not None})


def _new_person(make):
    user = make.user(roles=["person"])
    user.person.postcode = user.person.district = user.person.care_council_code = None
    db.session.flush()
    return user, user.person


def _assert_unchanged(person):
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert (person.postcode, person.funding_route, person.must_have) == (None, None, [])
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditLog.action == "person.profile_saved")
        )
        == 0
    )


def test_new_profile_has_no_funding_route_until_the_person_chooses(make, login):
    user, person = _new_person(make)
    assert person.funding_route is None
    page = login(user).get("/profile").get_data(as_text=True)
    assert 'name="funding_route"' in page
    assert not re.search(r'name="funding_route"[^>]*checked', page)


def test_saving_the_profile_stores_everything_and_the_council(make, login):
    user, person = _new_person(make)
    client = login(user)
    response = _post_profile(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.postcode == "LS6 1AA"
    assert person.district == "LS6"
    assert person.care_council_code == "E08000035"
    assert person.max_distance_km == 15
    assert person.must_have == ["personal_care"]
    assert person.nice_to_have == ["cooking"]
    assert person.interests == ["gardening"]
    assert person.languages == ["en"]
    assert person.preferences == {
        "carer_gender": "female",
        "slots": ["mon-am", "wed-pm"],
        # Nothing said about the home or wishes: nothing assumed.
        "pets": [],
        "smoking_home": False,
        "support_wanted": [],
        "groups": [],
    }
    assert person.funding_route == "self_funded"
    assert person.share_profile_with_providers is True
    page = client.get("/profile").get_data(as_text=True)
    assert "Leeds" in page
    assert "I pay for myself" in page
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "person.profile_saved"))
    assert entry.actor_user_id == user.id
    assert "LS6 1AA" not in str(entry.detail)


def test_funding_route_must_be_chosen(make, login):
    user, person = _new_person(make)
    response = _post_profile(login(user), funding_route=None)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert 'href="#funding_route">Choose how your care is paid for' in page
    _assert_unchanged(person)


def test_bad_input_is_explained_and_changes_nothing(make, login):
    user, person = _new_person(make)
    client = login(user)
    cases = [
        ({"postcode": ""}, "Enter your postcode"),
        ({"postcode": "LS6"}, "Enter your full postcode"),
        ({"postcode": "ZZ99 9ZZ"}, "postcode"),
        ({"max_distance_km": "500"}, "Distance must be a whole number from 1 to 50 km"),
        ({"must_have": ["flying"]}, "Choose help from the list"),
        ({"slots": ["mon-midnight"]}, "Choose days and times from the list"),
        ({"carer_gender": "robot"}, "Choose a gender from the list"),
        ({"funding_route": "lottery"}, "Choose how your care is paid for"),
        ({"nice_to_have": ["personal_care"]}, "both a must-have and a nice-to-have"),
    ]
    for changes, message in cases:
        response = _post_profile(client, **changes)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, changes
        assert "There is a problem" in page, changes
        assert message in page, changes
    _assert_unchanged(person)


def test_only_account_holders_have_a_profile(make, login, client):
    assert client.get("/profile").status_code == 302  # to log in
    for role in ("provider_admin", "carer", "reviewer", "supporter"):
        assert login(make.user(roles=[role])).get("/profile").status_code == 403, role


def test_profile_is_never_cached_by_shared_caches(make, login):
    user, _ = _new_person(make)
    response = login(user).get("/profile")
    assert "no-store" in response.headers["Cache-Control"]


def test_profile_fills_in_search_without_putting_the_postcode_in_the_address(make, login):
    make.carer(display_name="Ana S.", skills=["personal_care"], interests=["gardening"])
    user, _ = _new_person(make)
    client = login(user)
    _post_profile(client)
    response = client.get("/search")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Care near LS6" in page
    assert "We filled this search in from" in page
    # The form does not write the postcode back: left empty, it searches from the profile.
    assert "LS6 1AA" not in page
    assert "Leave this empty to search from the postcode in your profile" in page
    assert "no-store" in response.headers["Cache-Control"]
    # Links on the page (pagination, carers) never carry the postcode.
    assert not re.search(r'href="[^"]*postcode=', page)


def test_search_without_an_account_still_works(client, make):
    make.carer(display_name="Ana S.")
    assert "Find care near you" in client.get("/search").get_data(as_text=True)
    page = client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    assert "Care near LS6" in page
    assert "We filled this search in" not in page


def test_person_without_a_saved_postcode_gets_the_empty_search(make, login):
    user, _ = _new_person(make)
    page = login(user).get("/search").get_data(as_text=True)
    assert "Find care near you" in page


def test_register_page_promises_only_what_exists(client):
    page = client.get("/register").get_data(as_text=True)
    assert "save your needs" in page
    assert "introduction" not in page.lower()


def _public_urls(app, values):
    """Every GET page anyone can ask for, with this world's ids filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if not all(arg in values for arg in rule.arguments):
            continue
        urls.append(rule.build({arg: values[arg] for arg in rule.arguments})[1])
    return urls


def test_a_persons_postcode_is_on_no_page_anyone_else_sees(app, make, login, client):
    """Over the rendered output of every GET route, for visitors and other users."""
    provider = make.provider(name="Near Co-op")
    carer = make.carer(provider, display_name="Ana S.")
    team = make.team(provider)
    user, _ = _new_person(make)
    _post_profile(login(user), postcode="LS6 3HN")
    db.session.commit()
    values = {
        "provider_id": provider.id,
        "carer_id": carer.id,
        "team_id": team.id,
        "code": "E08000035",
    }
    others = [client, login(make.user(roles=["provider_admin"])), login(make.user())]
    others.append(login(make.user(roles=["reviewer"])))
    checked = 0
    for url in _public_urls(app, values) + ["/search?postcode=LS6&radius_km=50"]:
        for visitor in others:
            body = visitor.get(url).get_data().decode("utf-8", "replace").upper()
            assert "LS6 3HN" not in body and "LS63HN" not in body, url
            checked += 1
    assert checked > 40
    # The person themselves does see it, so the check above could fail.
    assert "LS6 3HN" in login(user).get("/profile").get_data(as_text=True)
