"""Saved searches: "tell me when someone covers my area", and the job that tells them."""

from __future__ import annotations

import sqlalchemy as sa
from factories import PASSWORD

from marketplace import jobs
from marketplace.extensions import db
from marketplace.models import Notification, OutboxEmail, SavedSearch, SavedSearchCarer
from marketplace.shortlist import saved_searches

SEARCH = {"postcode": "LS6", "radius_km": "10", "skill": "personal_care"}


def _saved(person):
    return list(
        db.session.scalars(sa.select(SavedSearch).where(SavedSearch.person_id == person.id))
    )


def _notifications(user):
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


def test_empty_search_offers_tell_me_when_someone_covers_my_area(make, client, login):
    page = client.get("/search?postcode=TR19+7AA").get_data(as_text=True)  # Land's End
    assert "We did not find carers" in page
    assert "Tell me when someone covers my area" in page
    assert 'href="/saved-searches/new?postcode=TR19&amp;radius_km=10"' in page
    person_page = login(make.user(roles=["person"])).get("/search?postcode=TR19+7AA")
    text = person_page.get_data(as_text=True)
    assert 'action="/saved-searches"' in text and 'name="postcode" value="TR19"' in text
    assert "TR19 7AA" not in text.split("Tell me when")[1]  # the form keeps the district only
    staff = login(make.user(roles=["reviewer"])).get("/search?postcode=TR19+7AA")
    assert "Tell me when" not in staff.get_data(as_text=True)


def test_a_person_saves_a_search_and_hears_only_about_new_carers(make, login, app):
    provider = make.provider()
    known = make.carer(provider, display_name="Ana S.", postcode="LS6 2AB")
    user = make.user(roles=["person"])
    client = login(user)
    response = client.post("/saved-searches", data=SEARCH)
    assert response.status_code == 302
    [saved] = _saved(user.person)
    assert saved.outcode == "LS6" and saved.criteria["skill"] == ["personal_care"]
    seen = db.session.scalars(sa.select(SavedSearchCarer.carer_id)).all()
    assert seen == [known.id]
    page = client.get("/saved-searches").get_data(as_text=True)
    assert "Carers within 10 km of LS6 who offer Personal care" in page
    assert "See who matches now" in page and "postcode=LS6&amp;radius_km=10" in page
    # The same search again is the same saved search.
    client.post("/saved-searches", data=SEARCH)
    assert len(_saved(user.person)) == 1

    assert saved_searches.notify_new_matches().carers == 0  # Ana was there already
    assert _notifications(user) == []
    newcomer = make.carer(provider, display_name="Bea N.", postcode="LS6 3AB")
    make.carer(provider, display_name="No Care", skills=["cooking"])  # does not match
    report = saved_searches.notify_new_matches()
    assert (report.notified, report.carers) == (1, 1)
    [note] = _notifications(user)
    assert note.message == "1 new carer matches your saved search near LS6: Bea N. (LS6)."
    assert note.link == "/saved-searches"
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == user.id))
    assert "Bea N." in email.body and "LS6 3AB" not in email.body
    # Idempotent: running again tells nobody anything.
    assert saved_searches.notify_new_matches().carers == 0
    assert len(_notifications(user)) == 1
    row = db.session.get(SavedSearchCarer, (saved.id, newcomer.id))
    assert row.notified_at is not None


def test_the_job_runs_from_the_command_line_and_the_queue(make, login, app):
    provider = make.provider()
    user = make.user(roles=["person"])
    login(user).post("/saved-searches", data=SEARCH)
    make.carer(provider, display_name="Cy D.")
    user_id = user.id  # the job ends its session: objects from before are detached
    assert "searches-notify" in jobs.PERIODIC
    result = app.test_cli_runner().invoke(args=["searches", "notify"])
    assert result.exit_code == 0, result.output
    assert "told 1 person about 1 new carer" in result.output
    again = app.test_cli_runner().invoke(args=["searches", "notify"])
    assert "told 0 people about 0 new carers" in again.output
    count = sa.select(sa.func.count()).where(Notification.user_id == user_id)
    assert db.session.scalar(count) == 1


def test_a_visitor_is_sent_to_log_in_and_the_search_is_saved_for_them(make, client):
    user = make.user(roles=["person"], email="sam@example.org")
    page = client.get("/saved-searches/new?postcode=LS6&radius_km=10&skill=personal_care")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Log in to be told about new carers" in text
    assert "Carers within 10 km of LS6 who offer Personal care" in text
    assert _saved(user.person) == []
    client.post(
        "/login?next=/saved-searches", data={"email": "sam@example.org", "password": PASSWORD}
    )
    page = client.get("/saved-searches").get_data(as_text=True)
    assert "We will tell you when someone new matches" in page
    [saved] = _saved(user.person)
    assert saved.criteria["skill"] == ["personal_care"]


def test_bad_searches_are_not_saved(make, login, client):
    user = make.user(roles=["person"])
    person_client = login(user)
    for data in ({"postcode": "NOT A PLACE"}, {"postcode": "LS6", "skill": "flying"},
                 {"postcode": "LS6", "radius_km": "9999"}):  # fmt: skip
        assert person_client.post("/saved-searches", data=data).status_code == 400
        assert client.get("/saved-searches/new", query_string=data).status_code == 404
    assert _saved(user.person) == []


def test_a_saved_search_keeps_no_full_postcode(make, login):
    user = make.user(roles=["person"])
    client = login(user)
    client.post("/saved-searches", data={**SEARCH, "postcode": "LS6 1AA"})
    [saved] = _saved(user.person)
    assert saved.outcode == "LS6" and "1AA" not in str(saved.criteria)
    assert "LS6 1AA" not in client.get("/saved-searches").get_data(as_text=True)


def test_delete_only_ones_own(make, login):
    owner = make.user(roles=["person"])
    login(owner).post("/saved-searches", data=SEARCH)
    [saved] = _saved(owner.person)
    other = login(make.user(roles=["person"]))
    assert other.post(f"/saved-searches/{saved.id}/delete").status_code == 404
    assert "LS6" not in other.get("/saved-searches").get_data(as_text=True).split("<main")[1]
    assert login(owner).post(f"/saved-searches/{saved.id}/delete").status_code == 302
    assert _saved(owner.person) == []
