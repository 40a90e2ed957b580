"""Saved searches: "tell me when someone covers my area", and the job that tells them."""

from __future__ import annotations

import html
import re
from datetime import date
from urllib.parse import parse_qsl

import sqlalchemy as sa
from factories import PASSWORD
from flask import g
from werkzeug.datastructures import MultiDict

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


def test_a_visitor_logs_in_and_then_chooses_to_save_the_search(make, client):
    user = make.user(roles=["person"], email="sam@example.org")
    page = client.get("/saved-searches/new?postcode=LS6&radius_km=10&skill=personal_care")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Log in to be told about new carers" in text
    assert "Carers within 10 km of LS6 who offer Personal care" in text
    # Logging in leads back to the confirm page, which saves nothing by itself.
    login_link = html.unescape(re.search(r'href="(/login\?next=[^"]+)"', text).group(1))
    assert "saved-searches/new" in login_link
    response = client.post(login_link, data={"email": "sam@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.location.startswith("/saved-searches/new?postcode=LS6")
    confirm = client.get(response.location).get_data(as_text=True)
    assert "Save this search" in confirm and 'method="post"' in confirm
    assert _saved(user.person) == []
    # The saved-searches page offers it once more, and only the POST saves it.
    listing = client.get("/saved-searches").get_data(as_text=True)
    assert "Save the search you chose before logging in?" in listing
    assert _saved(user.person) == []
    assert client.post("/saved-searches", data=MultiDict(_hidden_fields(listing))).status_code
    [saved] = _saved(user.person)
    assert saved.criteria["skill"] == ["personal_care"]


def test_a_link_cannot_plant_a_saved_search(app, make, client, login, monkeypatch):
    """An attacker's link to /saved-searches/new (before or after logging in) shows what
    would be saved; nothing is saved without the person's own POST with a CSRF token."""
    user = make.user(roles=["person"], email="sam@example.org")
    planted = "/saved-searches/new?postcode=TR19&radius_km=50&skill=personal_care"
    client.get(planted)  # a visitor follows the link, then logs in some other day
    client.post("/login", data={"email": "sam@example.org", "password": PASSWORD})
    client.get("/account")
    client.get("/shortlist")
    assert _saved(user.person) == []
    person = login(user)
    assert person.get(planted).status_code == 200  # a confirm page
    assert _saved(user.person) == []
    # With CSRF on (as in production): a POST from another site has no token.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    forged = person.post("/saved-searches", data={"postcode": "TR19", "radius_km": "50"})
    assert forged.status_code == 400
    assert _saved(user.person) == []
    g.pop("csrf_token", None)  # the tests' app context outlives requests: a fresh token
    confirm = person.get(planted).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirm).group(1)
    fields = [("csrf_token", token), ("postcode", "TR19"), ("radius_km", "50")]
    fields.append(("skill", "personal_care"))
    ok = person.post("/saved-searches", data=MultiDict(fields))
    assert ok.status_code == 302, ok.get_data(as_text=True)
    assert len(_saved(user.person)) == 1


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


FULL = [
    ("postcode", "LS6 1AA"),
    ("radius_km", "10"),
    ("priority", "interests"),
    ("skill", "personal_care"),
    ("nice", "cooking"),
    ("interests", "Gardening"),
    ("language", "en"),
    ("language", "ur"),
    ("gender", "female"),
    ("slot", "mon-am"),
    ("slot", "tue-pm"),
    ("only_free", "y"),
    ("budget", "250"),
    ("hours", "10"),
    ("within_budget", "y"),
]


def _hidden_fields(page: str) -> list[tuple[str, str]]:
    form = page.split('action="/saved-searches"')[1].split("</form>")[0]
    return [
        (n, v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form) if n != "csrf_token"
    ]


def test_a_saved_search_keeps_and_reapplies_the_whole_search(make, login):
    provider = make.provider()

    def carer(name, **kwargs):
        fields = {
            "postcode": "LS6 2AB",
            "skills": ["personal_care"],
            "languages": ["en", "ur"],
            "gender": "female",
            "availability": ["mon-am"],
            "hourly_rate_pence": 2000,
            **kwargs,
        }
        return make.carer(provider, display_name=name, **fields)

    user = make.user(roles=["person"])
    client = login(user)
    page = client.get("/search", query_string=FULL).get_data(as_text=True)
    fields = _hidden_fields(page)
    assert ("language", "en") in fields and ("language", "ur") in fields
    assert ("budget", "250.00") in fields and ("within_budget", "y") in fields
    assert not any(v == "LS6 1AA" for _, v in fields)  # the district only
    assert client.post("/saved-searches", data=MultiDict(fields)).status_code == 302
    [saved] = _saved(user.person)
    assert saved.criteria == {
        "budget_pence": 25000,
        "gender": "female",
        "hours": "10",
        "interest": ["gardening"],
        "language": ["en", "ur"],
        "nice": ["cooking"],
        "only_free": True,
        "priority": "interests",
        "skill": ["personal_care"],
        "slot": ["mon-am", "tue-pm"],
        "within_budget": True,
    }
    listing = html.unescape(client.get("/saved-searches").get_data(as_text=True))
    described = (
        "Carers within 10 km of LS6 who offer Personal care, who speak English and Urdu, "
        "who are female, who are free on Monday morning or Tuesday afternoon, who fit your "
        "budget of £250 a week for 10 hours of support (ranked higher: offering Cooking; "
        "enjoying Gardening). What matters most: someone who enjoys the same things as me"
    )
    assert described in listing
    # "See who matches now" is the same search, every choice in it.
    again = re.search(r'href="(/search\?[^"]+)">See who matches now', listing).group(1)
    assert sorted(MultiDict(parse_qsl(again.split("?")[1])).items(multi=True)) == sorted(
        [("postcode", "LS6"), *fields[1:]]
    )

    # The job matches with every choice: only a carer who passes them all is news.
    carer("Ok Match")
    carer("Nice Not", skills=["personal_care"], interests=[])  # nice-to-haves rank only
    carer("Only English", languages=["en"])
    carer("Male", gender="male")
    carer("Busy", availability=["sun-eve"])
    carer("Dear", hourly_rate_pence=3000)  # £250 for 10 hours is £25 an hour at most
    carer("No Care", skills=["cooking"])
    report = saved_searches.notify_new_matches()
    assert (report.notified, report.carers) == (1, 2)
    [note] = _notifications(user)
    assert "Ok Match" in note.message and "Nice Not" in note.message
    for name in ("Only English", "Male", "Busy", "Dear", "No Care"):
        assert name not in note.message


def test_a_search_saved_before_keeps_working(make, login):
    """Saved searches from before kept one language as a string."""
    user = make.user(roles=["person"])
    saved = SavedSearch(
        person_id=user.person.id,
        outcode="LS6",
        radius_km=10,
        criteria={"skill": ["personal_care"], "interest": [], "gender": "", "language": "ur"},
        key="old",
    )
    db.session.add(saved)
    db.session.commit()
    criteria = saved_searches.Criteria.from_saved(saved)
    assert criteria.values("language") == ["ur"]
    assert criteria.describe() == (
        "Carers within 10 km of LS6 who offer Personal care, who speak Urdu"
    )
    provider = make.provider()
    make.carer(provider, display_name="Urdu Ok", languages=["ur"])
    make.carer(provider, display_name="No Urdu", languages=["en"])
    assert saved_searches.notify_new_matches().carers == 1
    assert "Urdu Ok" in _notifications(user)[0].message


def test_a_saved_budget_is_reapplied_from_the_profile_not_the_address(make, login):
    """A person's own saved budget is never put in the address; the saved search keeps
    "within my budget" and uses the budget in force when the job runs."""
    user = make.user(roles=["person"])
    client = login(user)
    search = [("postcode", "LS6 1AA"), ("radius_km", "10"), ("hours", "10")]
    search.append(("within_budget", "y"))
    make.budget(user.person, amount_pence=30000, period="weekly", starts_on=date(2020, 1, 1))
    db.session.commit()
    page = client.get("/search", query_string=search).get_data(as_text=True)
    fields = _hidden_fields(page)
    assert not any(n == "budget" for n, _ in fields)
    assert client.post("/saved-searches", data=MultiDict(fields)).status_code == 302
    [saved] = _saved(user.person)
    assert "budget_pence" not in saved.criteria and saved.criteria["within_budget"] is True
    assert (
        "fit your saved weekly budget for 10 hours"
        in saved_searches.Criteria.from_saved(saved).describe()
    )
    provider = make.provider()
    make.carer(provider, display_name="Fits", hourly_rate_pence=3000)
    make.carer(provider, display_name="Too Dear", hourly_rate_pence=3100)
    assert saved_searches.notify_new_matches().carers == 1
    assert "Fits" in _notifications(user)[0].message


def test_the_home_and_wishes_are_kept_too(make, login):
    """Both sides' preferences (pets, smoking, kinds of support, groups) are part of the
    search, so a saved search keeps every value of each."""
    user = make.user(roles=["person"])
    client = login(user)
    search = [("postcode", "LS6 1AA"), ("radius_km", "10"), ("pet", "dogs"), ("pet", "cats")]
    search += [("smoking", "y"), ("support", "companionship"), ("support", "out_and_about")]
    search += [("group", "older_people")]
    fields = _hidden_fields(client.get("/search", query_string=search).get_data(as_text=True))
    assert client.post("/saved-searches", data=MultiDict(fields)).status_code == 302
    [saved] = _saved(user.person)
    assert saved.criteria == {
        "group": ["older_people"],
        "pet": ["cats", "dogs"],
        "smoking": True,
        "support": ["companionship", "out_and_about"],
    }
    described = saved_searches.Criteria.from_saved(saved).describe()
    assert described == (
        "Carers within 10 km of LS6 who are happy with cats, dogs and someone smoking in "
        "your home (ranked higher: enjoying giving company and a chat and getting out and "
        "about; liking to support older people)"
    )
