"""The shortlist: visitors keep it in their session, people in their account, with
private notes; compare two or three side by side; it moves to the account on log in."""

from __future__ import annotations

import re

import sqlalchemy as sa
from factories import PASSWORD

from marketplace.extensions import db
from marketplace.models import AuditLog, ShortlistEntry
from marketplace.models.shortlists import SHORTLIST_MAX
from marketplace.shortlist import services


def _entries(person):
    return list(
        db.session.scalars(sa.select(ShortlistEntry).where(ShortlistEntry.person_id == person.id))
    )


def _add(client, item: str, next_url: str = "/search?postcode=LS6+1AA"):
    return client.post("/shortlist/add", data={"item": item, "next": next_url})


def _two_carers(make):
    provider = make.provider(name="Headingley Care Co-op", hourly_rate_pence=2100)
    ana = make.carer(
        provider,
        display_name="Ana S.",
        postcode="LS6 2AB",
        skills=["personal_care", "cooking"],
        interests=["gardening", "music"],
        hourly_rate_pence=1950,
        availability=["mon-am", "wed-pm"],
    )
    bob = make.carer(
        provider,
        display_name="Bob T.",
        postcode="LS7 3AB",
        district="LS7",
        skills=["cooking"],
        interests=["football"],
        languages=["en", "ur"],
        hourly_rate_pence=1800,
        availability=["tue-pm"],
    )
    return provider, ana, bob


def test_search_cards_and_carer_page_offer_the_button_to_visitors(make, client):
    _, ana, _ = _two_carers(make)
    page = client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    form = re.search(rf'<form[^>]*id="shortlist-carer-{ana.id}".*?</form>', page, re.S)
    assert form is not None
    assert 'action="/shortlist/add"' in form.group(0)
    assert 'name="csrf_token"' in form.group(0)
    assert 'Add<span class="visually-hidden"> Ana S.</span> to shortlist' in form.group(0)
    assert 'name="next" value="/search?postcode=LS6+1AA"' in form.group(0)
    assert f'id="shortlist-carer-{ana.id}"' in client.get(f"/carers/{ana.id}").get_data(True)


def test_a_visitor_shortlists_and_comes_back_to_the_card(make, client):
    _, ana, bob = _two_carers(make)
    response = _add(client, f"carer-{ana.id}")
    assert response.status_code == 302
    assert response.location == f"/search?postcode=LS6+1AA#shortlist-carer-{ana.id}"
    _add(client, f"carer-{bob.id}")
    _add(client, f"carer-{bob.id}")  # twice is once
    page = client.get("/shortlist").get_data(as_text=True)
    assert "Ana S." in page and "Bob T." in page
    assert 'Your shortlist <span class="tag tag-blue">2' in page  # in the header
    assert "Create an account" in page and "private notes" in page
    card = client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    assert "On your shortlist" in card and "Remove<span" in card
    client.post("/shortlist/remove", data={"item": f"carer-{ana.id}", "next": "/shortlist"})
    page = client.get("/shortlist").get_data(as_text=True)
    assert "Ana S." not in page and "Bob T." in page


def test_a_visitor_shortlist_holds_at_most_twenty(make, client):
    provider = make.provider()
    carers = [make.carer(provider, display_name=f"C{i}") for i in range(SHORTLIST_MAX + 1)]
    for carer in carers:
        _add(client, f"carer-{carer.id}")
    with client.session_transaction() as session:
        assert len(session[services.SESSION_KEY]) == SHORTLIST_MAX
    page = client.get("/shortlist").get_data(as_text=True)
    assert "Your shortlist is full" in page  # the flash from the 21st


def test_only_listed_carers_and_teams_can_be_shortlisted(make, client):
    draft = make.provider(qa_status="draft")
    hidden = make.carer(draft)
    unverified = make.carer(make.provider(), checks="declared")
    hidden_team = make.team(draft)
    for item in (f"carer-{hidden.id}", f"carer-{unverified.id}", f"team-{hidden_team.id}",
                 "carer-999999", "nurse-1", "carer-", "carer-1e3"):  # fmt: skip
        assert _add(client, item).status_code == 404, item
    with client.session_transaction() as session:
        assert services.SESSION_KEY not in session


def test_return_address_is_only_ever_this_site(make, client):
    _, ana, _ = _two_carers(make)
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = _add(client, f"carer-{ana.id}", next_url=evil)
        assert response.location.startswith("/shortlist"), evil


def test_visitor_shortlist_moves_to_the_account_on_log_in(make, client):
    _, ana, bob = _two_carers(make)
    user = make.user(roles=["person"], email="pat@example.org")
    already = ShortlistEntry(person_id=user.person.id, carer_id=bob.id, note="Met at the fair")
    db.session.add(already)
    db.session.flush()
    _add(client, f"carer-{ana.id}")
    _add(client, f"carer-{bob.id}")
    response = client.post(
        "/login?next=/shortlist", data={"email": "pat@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    page = client.get("/shortlist").get_data(as_text=True)
    assert "We kept your shortlist: 1 saved to your account." in page
    entries = _entries(user.person)
    assert sorted(e.carer_id for e in entries) == sorted([ana.id, bob.id])
    assert next(e for e in entries if e.carer_id == bob.id).note == "Met at the fair"
    with client.session_transaction() as session:
        assert services.SESSION_KEY not in session


def test_a_person_keeps_a_private_note_and_compares(make, login):
    provider, ana, bob = _two_carers(make)
    team = make.team(provider, name="Headingley North", patch=["LS6"])
    from marketplace.models import TeamMember

    db.session.add(TeamMember(team_id=team.id, carer_id=ana.id, seat=1, role="member"))
    user = make.user(roles=["person"])
    person = user.person
    person.must_have = ["personal_care"]
    person.interests = ["gardening"]
    person.preferences = {"slots": ["mon-am"]}
    db.session.flush()
    client = login(user)
    for item in (f"carer-{ana.id}", f"carer-{bob.id}", f"team-{team.id}"):
        assert _add(client, item).status_code == 302
    entry = next(e for e in _entries(person) if e.carer_id == ana.id)
    response = client.post(f"/shortlist/notes/{entry.id}", data={"note": "Likes <b>roses</b>"})
    assert response.status_code == 302 and response.location == f"/shortlist#entry-{entry.id}"
    assert entry.note == "Likes <b>roses</b>"
    audit = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "shortlist.note_saved"))
    assert all("roses" not in str(row.detail) for row in audit)
    page = client.get("/shortlist").get_data(as_text=True)
    assert "Likes &lt;b&gt;roses&lt;/b&gt;" in page
    assert client.get("/shortlist").headers["Cache-Control"] == "private, no-store"

    response = client.get(
        f"/shortlist/compare?item=carer-{ana.id}&item=carer-{bob.id}&item=team-{team.id}"
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Compare side by side" in page
    assert "£19.50 an hour" in page and "£18.00 an hour" in page
    assert "Under 2 km" in page  # Ana's LS6 sector is near the person's LS6 1AA
    assert "You need: Personal care" in page
    assert page.count("Yes: Personal care") == 2 and "No: Personal care" in page  # team too
    assert "gardening <strong>(shared)</strong>" in page
    assert "Monday: morning" in page and "Monday morning" in page
    assert "Checks confirmed by Headingley Care Co-op" in page
    assert "Checks confirmed for all 1 listed members" in page
    assert "Likes &lt;b&gt;roses&lt;/b&gt;" in page
    assert "Headingley Care Co-op" in page and "Worker co-operative" in page
    assert f'href="/carers/{ana.id}/easy-read"' in page
    # Nobody's postcode: not the person's, not the carers'.
    for postcode in ("LS6 1AA", "LS6 2AB", "LS7 3AB"):
        assert postcode not in page


def test_compare_needs_two_or_three_from_the_shortlist(make, login):
    provider, ana, bob = _two_carers(make)
    stranger = make.carer(provider, display_name="Cy D.")
    fourth = make.carer(provider, display_name="Di E.")
    client = login(make.user(roles=["person"]))
    for carer in (ana, bob, fourth):
        _add(client, f"carer-{carer.id}")
    one = client.get(f"/shortlist/compare?item=carer-{ana.id}")
    assert one.status_code == 400
    assert "There is a problem" in one.get_data(as_text=True)
    assert "Choose 2 or 3" in one.get_data(as_text=True)
    # Someone not on the shortlist does not count (nothing else is looked up).
    assert (
        client.get(f"/shortlist/compare?item=carer-{ana.id}&item=carer-{stranger.id}").status_code
        == 400
    )
    four = "&".join(f"item=carer-{c.id}" for c in (ana, bob, fourth)) + "&item=carer-1"
    assert client.get(f"/shortlist/compare?{four}").status_code == 200  # carer-1 is not on it
    items = "&".join(f"item=carer-{c.id}" for c in (ana, bob, fourth, stranger))
    _add(client, f"carer-{stranger.id}")
    too_many = client.get(f"/shortlist/compare?{items}")
    assert too_many.status_code == 400 and "no more than 3" in too_many.get_data(as_text=True)


def test_a_visitor_compares_without_distances(make, client):
    _, ana, bob = _two_carers(make)
    _add(client, f"carer-{ana.id}")
    _add(client, f"carer-{bob.id}")
    page = client.get(f"/shortlist/compare?item=carer-{ana.id}&item=carer-{bob.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Not known" in text and "Distances are shown when you have an account" in text
    assert "Your note" not in text


def test_a_carer_who_stops_being_listed_drops_out(make, login):
    _, ana, bob = _two_carers(make)
    user = make.user(roles=["person"])
    client = login(user)
    _add(client, f"carer-{ana.id}")
    _add(client, f"carer-{bob.id}")
    client.get("/shortlist")  # shows (and so clears) the "is on your shortlist" messages
    ana.active = False
    db.session.flush()
    page = client.get("/shortlist").get_data(as_text=True)
    assert "Ana S." not in page and "Bob T." in page
    assert len(_entries(user.person)) == 2  # kept, in case they come back


def test_a_supporter_with_view_consent_sees_the_shortlist_but_cannot_change_it(make, login):
    _, ana, bob = _two_carers(make)
    user = make.user(roles=["person"], display_name="Amira")
    viewer = make.user(roles=["supporter"])
    messenger = make.user(roles=["supporter"])
    make.consent(user.person, viewer, ["view"])
    make.consent(user.person, messenger, ["message"])
    db.session.add(ShortlistEntry(person_id=user.person.id, carer_id=ana.id, note="Kind"))
    db.session.add(ShortlistEntry(person_id=user.person.id, carer_id=bob.id))
    db.session.flush()
    pid = user.person.id
    page = login(viewer).get(f"/shortlist?person={pid}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Amira’s shortlist" in text and "Amira’s note:</strong> Kind" in text
    assert "Save note" not in text and "Remove" not in text
    compare = login(viewer).get(
        f"/shortlist/compare?person={pid}&item=carer-{ana.id}&item=carer-{bob.id}"
    )
    assert compare.status_code == 200 and "Amira’s note" in compare.get_data(as_text=True)
    assert "LS6 1AA" not in compare.get_data(as_text=True)
    for client in (login(messenger), login(make.user(roles=["person"]))):
        assert client.get(f"/shortlist?person={pid}").status_code == 404
        assert client.get(f"/shortlist/compare?person={pid}&item=x").status_code == 404
    # Acting for Amira (their only grant), /shortlist is hers; view consent cannot change it.
    assert "Amira’s shortlist" in login(viewer).get("/shortlist").get_data(as_text=True)
    assert login(messenger).get("/shortlist").status_code == 403  # messages only
    assert _add(login(viewer), f"carer-{ana.id}").status_code == 403
    assert "shortlist-carer" not in login(viewer).get(f"/carers/{ana.id}").get_data(True)
    assert login(make.user(roles=["supporter"])).get("/shortlist").status_code == 403


def test_a_supporter_who_asks_for_introductions_shortlists_for_the_person(make, login):
    provider, ana, bob = _two_carers(make)
    user = make.user(roles=["person"], display_name="Amira")
    helper = make.user(roles=["supporter"], display_name="Joe")
    make.consent(user.person, helper, ["view", "manage_introductions"])
    client = login(helper)
    assert f'id="shortlist-carer-{ana.id}"' in client.get(f"/carers/{ana.id}").get_data(True)
    _add(client, f"carer-{ana.id}")
    page = client.get("/shortlist").get_data(as_text=True)
    assert "Ana S. is on Amira’s shortlist." in page
    [entry] = _entries(user.person)
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "shortlist.added"))
    assert (row.actor_user_id, row.on_behalf_of_person_id) == (helper.id, user.person.id)
    client.post(f"/shortlist/notes/{entry.id}", data={"note": "Joe met her"})
    assert entry.note == "Joe met her"
    # The person's own shortlist page shows it.
    assert "Joe met her" in login(user).get("/shortlist").get_data(as_text=True)


def test_another_persons_note_is_not_found(make, login):
    _, ana, _ = _two_carers(make)
    owner = make.user(roles=["person"])
    entry = ShortlistEntry(person_id=owner.person.id, carer_id=ana.id, note="mine")
    db.session.add(entry)
    db.session.flush()
    other = login(make.user(roles=["person"]))
    assert other.post(f"/shortlist/notes/{entry.id}", data={"note": "x"}).status_code == 404
    assert entry.note == "mine"
    # Removing by item only ever touches one's own list.
    other.post("/shortlist/remove", data={"item": f"carer-{ana.id}"})
    assert _entries(owner.person) == [entry]


def test_a_note_that_is_too_long_is_refused_plainly(make, login):
    _, ana, _ = _two_carers(make)
    user = make.user(roles=["person"])
    client = login(user)
    _add(client, f"carer-{ana.id}")
    entry = _entries(user.person)[0]
    response = client.post(f"/shortlist/notes/{entry.id}", data={"note": "x" * 2001})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and f'href="#note-{entry.id}"' in page
    assert entry.note == ""


def test_person_account_links_to_shortlist_and_saved_searches(make, login):
    page = login(make.user(roles=["person"])).get("/account").get_data(as_text=True)
    assert 'href="/shortlist">Your shortlist' in page
    assert 'href="/saved-searches">Saved searches' in page


def test_the_data_export_has_the_shortlist_and_deleting_the_account_removes_it(make, login):
    from marketplace.auth import services as auth_services
    from marketplace.models import SavedSearch

    _, ana, _ = _two_carers(make)
    user = make.user(roles=["person"])
    client = login(user)
    _add(client, f"carer-{ana.id}")
    client.post("/saved-searches", data={"postcode": "LS6", "radius_km": "10"})
    entry = _entries(user.person)[0]
    client.post(f"/shortlist/notes/{entry.id}", data={"note": "Call on Friday"})
    exported = client.get("/account/export").get_json()["person"]
    assert exported["shortlist"][0] | {"added_at": None} == {
        "kind": "carer",
        "id": ana.id,
        "note": "Call on Friday",
        "added_at": None,
    }
    assert exported["saved_searches"][0]["search"] == "Carers within 10 km of LS6"
    person_id = user.person.id
    auth_services.delete_account(user)
    db.session.flush()
    db.session.expire_all()
    assert (
        db.session.scalars(
            sa.select(ShortlistEntry).where(ShortlistEntry.person_id == person_id)
        ).all()
        == []
    )
    assert (
        db.session.scalars(sa.select(SavedSearch).where(SavedSearch.person_id == person_id)).all()
        == []
    )
