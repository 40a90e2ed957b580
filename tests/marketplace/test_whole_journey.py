"""The whole journey of issue 11 in the test client, on the demo data: a newcomer searches
near LS6 1AA for someone who shares an interest, sees why, shortlists them, registers
(confirming the e-mail), fills in the profile and asks for an introduction; Grace, who
runs Headingley Care Co-op, accepts with a time to meet; they meet; both say yes; Grace
proposes an arrangement with an outcome in the person's words; the person agrees it and
leaves a review. Every page and API answer on the way is kept, and none shows the full
postcode of the person, or of any carer, to anyone else before both sides agreed.

The browser version is tests/e2e/test_whole_journey.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from marketplace import clock
from marketplace.demo import seed_demo
from marketplace.extensions import db
from marketplace.models import Arrangement, Carer, Introduction, Person, Review, User

# A full UK postcode (outward and inward code), not a district such as "LS6".
FULL_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
NEWCOMER = "nadia.newcomer@people.example.org"
PASSWORD = "copper kettle river song"
OUTCOME = "I get to the allotment on Tuesday mornings"


def _outbox(app) -> list:
    state = app.extensions["mailman"]
    if not hasattr(state, "outbox"):
        state.outbox = []
    return state.outbox


@dataclass
class Seen:
    """Every answer in the journey: (who saw it, what was asked, the text)."""

    pages: list[tuple[str, str, str]] = field(default_factory=list)

    def keep(self, viewer: str, what: str, text: str) -> None:
        self.pages.append((viewer, what, text))


@dataclass
class Browser:
    """A test client that keeps every answer it is given (following redirects)."""

    viewer: str
    client: FlaskClient
    seen: Seen

    def get(self, path: str, status: int = 200) -> str:
        response = self.client.get(path, follow_redirects=True)
        assert response.status_code == status, (path, response.status_code)
        text = response.get_data(as_text=True)
        self.seen.keep(self.viewer, f"GET {path}", text)
        return text

    def post(self, path: str, data: dict, status: int = 200) -> str:
        response = self.client.post(path, data=data, follow_redirects=True)
        text = response.get_data(as_text=True)
        assert response.status_code == status, (path, response.status_code, text[:3000])
        self.seen.keep(self.viewer, f"POST {path}", text)
        return text

    def api(self, path: str, payload: dict) -> dict:
        response = self.client.post(path, json=payload)
        assert response.status_code == 200, (path, response.status_code)
        self.seen.keep(self.viewer, f"POST {path}", response.get_data(as_text=True))
        return response.get_json()


def _card(html: str, carer_id: int) -> str:
    """The search result card that links to this carer."""
    for chunk in html.split('<li class="result')[1:]:
        if f"/carers/{carer_id}?" in chunk:
            return chunk
    raise AssertionError(f"carer {carer_id} is not in the results")


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _private_postcodes() -> dict[str, set[str]]:
    """Seeded postcodes that must stay private: each person's and each carer's."""
    people = {p.upper() for p in db.session.scalars(sa.select(Person.postcode)) if p}
    carers = {p.upper() for p in db.session.scalars(sa.select(Carer.postcode)) if p}
    return {"people": people, "carers": carers}


def _postcodes_in(text: str) -> set[str]:
    return {" ".join(match.split()) for match in FULL_POSTCODE.findall(text)}


@pytest.fixture
def demo(app):
    # Tuesday 1 December 2026, 9am in Leeds: meeting times must be in the future.
    with clock.frozen(datetime(2026, 12, 1, 9, tzinfo=UTC)):
        seed_demo(carers=40)
        db.session.commit()
        yield


def test_a_newcomer_goes_from_search_to_a_reviewed_arrangement(app, client, login, demo):
    seen = Seen()
    ana = db.session.scalar(
        sa.select(Carer).join(User, User.id == Carer.user_id).where(User.email.like("carer@%"))
    )
    grace_user = _user("provider@coopcare.example")
    newcomer = Browser("person", client, seen)

    # 1. Anonymous search near LS6 1AA for someone who also enjoys gardening: Ana is
    # there, and her card says why.
    results = newcomer.get("/search?postcode=LS6+1AA&radius_km=10&interests=gardening")
    assert "You both enjoy gardening" in _card(results, ana.id)
    newcomer.api("/api/v1/match", {"postcode": "LS6 1AA", "interests": ["gardening"]})
    page = newcomer.get(f"/carers/{ana.id}?postcode=LS6+1AA&radius_km=10&interest=gardening")
    assert "How Ana S. matches your search" in page and "You both enjoy gardening" in page
    assert "Back to results near LS6" in page

    # 2. Shortlisted before having an account: kept on this device.
    page = newcomer.post("/shortlist/add", {"item": f"carer-{ana.id}", "next": f"/carers/{ana.id}"})
    assert "Ana S. is on your shortlist" in page
    assert "Ana S." in newcomer.get("/shortlist")

    # 3. Register, confirm the e-mail address: the shortlist comes along, and the account
    # page says what to do next.
    page = newcomer.post(
        "/register",
        {
            "display_name": "Nadia Newcomer",
            "email": NEWCOMER,
            "password": PASSWORD,
            "confirm": PASSWORD,
            "account_type": "person",
        },
    )
    assert "Check your email" in page
    mail = [m for m in _outbox(app) if m.to == [NEWCOMER]][-1]
    link = re.search(r"https://coopcare\.example(/register/confirm/\S+)", mail.body).group(1)
    page = newcomer.get(link)
    assert "your account is ready" in page and "We kept your shortlist: 1 saved" in page
    assert "Next: tell us what you need" in page and 'href="/profile"' in page
    shortlist = newcomer.get("/shortlist")
    assert f'href="/introductions/ask/carer/{ana.id}"' in shortlist  # no dead end
    # Asking before the profile is allowed, but the page says what that costs.
    assert "Your profile has no postcode yet" in newcomer.get(f"/introductions/ask/carer/{ana.id}")

    # 4. The profile: searches start from it.
    page = newcomer.post(
        "/profile",
        {
            "postcode": "LS6 1AA",
            "max_distance_km": "10",
            "must_have": ["companionship"],
            "interests": ["gardening"],
            "carer_gender": "",
            "slots": ["tue-am"],
            "funding_route": "direct_payment",
        },
    )
    assert "Your profile is saved" in page, page[:3000]
    assert "Next: tell us what you need" not in newcomer.get("/account")
    person = _user(NEWCOMER).person
    assert person.postcode == "LS6 1AA"

    # 5. Ask Ana for an introduction.
    assert "Your profile has no postcode yet" not in newcomer.get(
        f"/introductions/ask/carer/{ana.id}"
    )
    page = newcomer.post(
        f"/introductions/ask/carer/{ana.id}",
        {
            "person": str(person.id),
            "message": "Hello Ana, I would like company for gardening on Tuesday mornings.",
            "preferred_times": ["tue-am"],
        },
    )
    assert "We have sent your request to Ana S. We will tell you their answer." in page
    introduction = db.session.scalars(
        sa.select(Introduction).where(Introduction.person_id == person.id)
    ).one()
    detail = f"/introductions/{introduction.id}"

    # 6. Grace (another browser) sees it in the inbox and accepts with a time to meet.
    grace = Browser("provider", login(grace_user), seen)
    ana_herself = Browser("carer", login(_user("carer@coopcare.example")), seen)
    assert "Nadia Newcomer, LS6" in grace.get("/provider/introductions")
    assert "Nadia Newcomer" in ana_herself.get("/carer/introductions")
    ana_herself.get(detail)
    grace.get(detail)
    grace.get(f"{detail}/accept")
    page = grace.post(
        f"{detail}/accept",
        {"time_1": "8/12/2026 10:30am", "place": "The café by the allotments"},
    )
    assert "You accepted" in page
    assert "Propose an arrangement" not in page  # not before they have met

    # 7. Nadia chooses the time; the meeting happens a week later.
    page = newcomer.post(f"{detail}/meeting", {"meeting_time": "2026-12-08T10:30"})
    assert "Your meeting is arranged" in page
    with clock.frozen(datetime(2026, 12, 8, 14, tzinfo=UTC)):
        page = newcomer.get(detail)
        assert "Once you have met, say whether you would like to go ahead" in page
        # At the meeting stage Grace can already propose the arrangement from here.
        page = grace.get(detail)
        assert f'href="/provider/arrangements/new/{introduction.id}"' in page
        assert "Nadia Newcomer" in grace.get("/arrangements")
        newcomer.post(f"{detail}/yes", {})
        page = newcomer.get(detail)
        assert "Next: the arrangement" not in page  # Grace has not said yes yet

        # Everything anyone but Nadia was shown so far: no full postcode of hers or of a
        # carer's. Nadia's own pages show no carer's postcode.
        private = _private_postcodes()
        assert "LS6 1AA" in private["people"] and private["carers"]
        shown_to_others = [
            (what, found)
            for viewer, what, text in seen.pages
            if viewer != "person" and (found := _postcodes_in(text))
        ]
        assert shown_to_others == [], shown_to_others
        carers_shown_to_her = [
            (what, found)
            for viewer, what, text in seen.pages
            if viewer == "person" and (found := _postcodes_in(text) & private["carers"])
        ]
        assert carers_shown_to_her == [], carers_shown_to_her
        checked = len(seen.pages)
        assert checked >= 20

        # 8. Grace says yes too: now, and only now, they see each other's details.
        page = grace.post(f"{detail}/yes", {})
        assert "You both agreed to go ahead" in page and "nadia" in page.lower()
        # Her postcode waits for an agreed arrangement (one rule: person.see_postcode).
        assert "LS6 1AA" not in page and "LS6 (the full postcode is shared" in page
        page = newcomer.get(detail)
        assert "Next: the arrangement" in page
        assert "Headingley Care Co-op will send you an arrangement to agree" in page

        # 9. Grace proposes the arrangement from the introduction's own page.
        form = grace.get(f"/provider/arrangements/new/{introduction.id}")
        assert "A note for Nadia Newcomer (optional)" in form
        assert "What is new, and why" not in form
        page = grace.post(
            f"/provider/arrangements/new/{introduction.id}",
            {
                "starts_on_day": "15",
                "starts_on_month": "12",
                "starts_on_year": "2026",
                "carers": [str(ana.id)],
                "funding_route": "direct_payment",
                "price_kind": "hourly",
                "hourly_rate": "16.75",
                "outcome_1": OUTCOME,
                "life_area_1": "out_and_about",
                "note": "Ana can start the week after next.",
            },
        )
        assert "The arrangement is sent" in page and OUTCOME in page
        # Not agreed yet: Grace sees Nadia's area only.
        assert "LS6 (the full address is shared once both sides agree)" in page
        arrangement = db.session.scalars(
            sa.select(Arrangement).where(Arrangement.person_id == person.id)
        ).one()
        page = grace.get(detail)
        assert f'href="/arrangements/{arrangement.id}"' in page
        assert "Propose an arrangement" not in page  # one arrangement per introduction

        # 10. Nadia is told, opens it from the introduction, and agrees.
        assert "has proposed an arrangement for Nadia Newcomer" in newcomer.get("/notifications")
        page = newcomer.get(detail)
        assert f'href="/arrangements/{arrangement.id}"' in page
        page = newcomer.get(f"/arrangements/{arrangement.id}")
        assert "Agree to version 1" in page and OUTCOME in page
        page = newcomer.post(f"/arrangements/{arrangement.id}/versions/1/accept", {"reason": ""})
        assert "You agreed. These are now the terms of the arrangement." in page
        db.session.refresh(arrangement)
        assert arrangement.status == "active"
        assert "LS6 1AA" in grace.get(f"/arrangements/{arrangement.id}")

        # 11. The review waits for the start (15 December), then: once per arrangement,
        # shown on Ana's page.
        assert "Write a review" not in grace.get(f"/arrangements/{arrangement.id}")
        page = newcomer.get(f"/arrangements/{arrangement.id}/review", status=403)
        assert "once it has started" in page
    with clock.frozen(datetime(2026, 12, 16, 10, tzinfo=UTC)):
        newcomer.get(f"/arrangements/{arrangement.id}/review")
        page = newcomer.post(
            f"/arrangements/{arrangement.id}/review",
            {
                "stars_respect": "5",
                "stars_reliability": "5",
                "stars_listening": "5",
                "stars_outcomes": "4",
                "text": "Ana helped me get back to the allotment. We planted leeks.",
            },
        )
        assert "Your review is published" in page
        assert "Report this review" not in page  # not one's own
        review = db.session.scalars(
            sa.select(Review).where(Review.arrangement_id == arrangement.id)
        ).one()
        assert review.author_name == "Nadia N."
        public = Browser("anonymous", app.test_client(), seen).get(f"/carers/{ana.id}")
        assert "We planted leeks" in public and "Nadia N." in public
        assert "Report this review" not in public  # not signed in
        assert not _postcodes_in(public)


# -- a supporter, with each scope and without it ----------------------------------------

# What each of Amira's pages needs, and a line from it that must not show without that.
SUPPORTER_PAGES = {
    "profile": ("/supporting/profile", {"view"}, "LS6 1AA"),
    "shortlist": ("/shortlist", {"view"}, "Amira Khan’s shortlist"),
    "introductions": ("/introductions", {"manage_introductions", "message"}, "Leeds team 1"),
    "introduction": ("/introductions/{meeting}", {"manage_introductions", "message"}, "same faces"),
    "arrangement": ("/arrangements/{arrangement}", {"view", "manage_introductions"}, "allotment"),
}
LINKS = {
    "profile": "/supporting/profile",
    "shortlist": "/shortlist",
    "introductions": "/introductions",
    "arrangement": "/arrangements",
}


def test_a_supporter_sees_what_each_scope_allows_and_nothing_else(make, login, demo):
    """One supporter per scope (the demo is seeded once): the links on /supporting and
    Amira's pages match the scope; without it, 403 or 404 and nothing of hers."""
    amira = _user("person@coopcare.example").person
    ids = {
        "meeting": db.session.scalar(
            sa.select(Introduction.id).where(
                Introduction.person_id == amira.id, Introduction.status == "meeting"
            )
        ),
        "arrangement": db.session.scalar(
            sa.select(Arrangement.id).where(Arrangement.person_id == amira.id)
        ),
    }
    for scope in ("view", "message", "manage_introductions", "pay"):
        sam = make.user(roles=["supporter"], email=f"sam-{scope}@people.example.org")
        make.consent(amira, sam, [scope])
        client = login(sam)
        client.post("/supporting/choose", data={"person_id": str(amira.id)})
        supporting = client.get("/supporting").get_data(as_text=True)
        assert "You are acting for <strong>Amira Khan</strong>" in supporting
        links = supporting.split("<main")[1]
        for name, (path, scopes, secret) in SUPPORTER_PAGES.items():
            response = client.get(path.format(**ids))
            text = response.get_data(as_text=True)
            link = LINKS.get(name)
            if scope in scopes:
                assert response.status_code == 200, (scope, name, response.status_code)
                assert secret in text, (scope, name)
                if link:
                    assert f'href="{link}"' in links, f"/supporting has no link to {name}"
            else:
                assert response.status_code in (200, 403, 404), (scope, name)
                assert secret not in text, f"{name} leaks to a supporter with only {scope}"
                if link:
                    assert f'href="{link}"' not in links, (scope, name)
        assert ('href="/search"' in links) == (scope == "manage_introductions"), scope
        if scope not in SUPPORTER_PAGES["introductions"][1]:  # the header still links it
            assert "Nobody you support has let you follow their introductions" in (
                client.get("/introductions").get_data(as_text=True)
            )


# -- the person told, and shown others, after a no or no answer -------------------------


def test_others_who_may_suit_leave_out_whoever_the_person_already_asked(make, login, demo):
    amira = _user("person@coopcare.example").person
    waiting_for = db.session.scalar(  # the demo's open request, to Ana S.
        sa.select(Introduction.carer_id).where(
            Introduction.person_id == amira.id, Introduction.status == "requested"
        )
    )
    carers = db.session.scalars(
        sa.select(Carer).where(Carer.is_listed, Carer.id != waiting_for).order_by(Carer.id)
    ).all()
    said_no = make.introduction(person=amira, carer=carers[0], status="declined")
    closed = make.introduction(person=amira, carer=carers[1], status="expired")
    page = login(amira.user).get(f"/introductions/{closed.id}").get_data(as_text=True)
    others = page.split('id="similar"')[1].split("</ul>")[0]
    shown = {int(i) for i in re.findall(r'href="/carers/(\d+)"', others)}
    assert shown, "no others shown"
    assert not shown & {waiting_for, said_no.carer_id, closed.carer_id}, shown
    assert 'href="/search"' in page

    # Someone who asked before giving a postcode is told how to get suggestions.
    newcomer = make.user(roles=["person"]).person
    newcomer.postcode = newcomer.district = newcomer.lat = newcomer.lon = None  # no profile yet
    db.session.flush()
    declined = make.introduction(person=newcomer, carer=carers[2], status="declined")
    page = login(newcomer.user).get(f"/introductions/{declined.id}").get_data(as_text=True)
    assert "We can suggest others when we know your area" in page
    assert 'href="/profile">Add your postcode to your profile' in page
