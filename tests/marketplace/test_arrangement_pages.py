"""Arrangement and review pages through the test client: both sides' journeys, errors
shown as an error summary, the address only once agreed, Easy Read, public reviews that
never show a full name or postcode, moderation."""

from __future__ import annotations

import re
from datetime import timedelta

import arrangements_helpers as ah
import sqlalchemy as sa

from marketplace import clock
from marketplace.arrangements import easy_read
from marketplace.choices import FundingRoute
from marketplace.extensions import db
from marketplace.models import Arrangement, AuditLog, Review, ReviewReport


def _start(on) -> dict[str, str]:
    """The terms form's start date: Day, Month and Year boxes (marketplace.date_input)."""
    return {"starts_on_day": str(on.day), "starts_on_month": str(on.month),
            "starts_on_year": str(on.year)}  # fmt: skip


def _csrf_off(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def test_the_person_agrees_on_the_page_and_the_carer_then_sees_the_address(
    app, make, login, monkeypatch
):
    _csrf_off(app, monkeypatch)
    s = ah.setup(make)
    arrangement = ah.propose(s)
    person, carer = login(s.person_user), login(s.carer_users[0])
    page = person.get(f"/arrangements/{arrangement.id}").get_data(as_text=True)
    assert "Agree to version 1" in page and "I get to the allotment on Tuesdays" in page
    # Before agreement the carer is told nothing, and the provider sees only the district.
    assert carer.get(f"/arrangements/{arrangement.id}").status_code == 404
    provider_page = login(s.admin).get(f"/arrangements/{arrangement.id}").get_data(as_text=True)
    assert "LS6 1AA" not in provider_page and "Agree to version 1" not in provider_page
    response = person.post(f"/arrangements/{arrangement.id}/versions/1/accept", data={})
    assert response.status_code == 302
    page = carer.get(f"/arrangements/{arrangement.id}").get_data(as_text=True)
    assert "LS6 1AA" in page and "Agreed" in page
    assert "LS6 1AA" in login(s.admin).get(f"/arrangements/{arrangement.id}").get_data(as_text=True)
    # Another carer of the same provider, not in it, still sees nothing.
    assert login(s.carer_users[2]).get(f"/arrangements/{arrangement.id}").status_code == 404
    assert f"/arrangements/{arrangement.id}" in carer.get("/arrangements").get_data(as_text=True)


def test_a_change_without_an_outcome_gets_an_error_summary_and_changes_nothing(
    app, make, login, monkeypatch
):
    _csrf_off(app, monkeypatch)
    s = ah.setup(make)
    arrangement = ah.agreed(s)
    client = login(s.admin)
    form = {
        **_start(arrangement.starts_on),
        "carers": [str(s.carers[0].id)],
        "funding_route": "direct_payment",
        "price_kind": "hourly",
        "hourly_rate": "23.00",
    }
    response = client.post(f"/arrangements/{arrangement.id}/change", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and 'href="#outcome_1"' in page
    assert len(arrangement.versions) == 1
    form["outcome_1"] = "Cooking together on Fridays"
    form["life_area_1"] = "food_and_drink"
    assert client.post(f"/arrangements/{arrangement.id}/change", data=form).status_code == 302
    db.session.refresh(arrangement)
    assert [v.status for v in arrangement.versions] == ["accepted", "proposed"]
    page = login(s.person_user).get(f"/arrangements/{arrangement.id}").get_data(as_text=True)
    assert "Price: £21.50 an hour → £23.00 an hour" in page
    assert "New outcome: “Cooking together on Fridays”" in page
    assert "Agree to version 2" in page


def test_pausing_without_a_reason_is_an_error_summary(app, make, login, monkeypatch):
    _csrf_off(app, monkeypatch)
    s = ah.setup(make)
    arrangement = ah.agreed(s)
    response = login(s.person_user).post(f"/arrangements/{arrangement.id}/pause", data={})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'href="#reason-pause"' in page and arrangement.status == "active"


def test_both_sides_agreeing_different_versions_on_the_pages(app, make, login, monkeypatch):
    _csrf_off(app, monkeypatch)
    s = ah.setup(make)
    arrangement = ah.agreed(s)
    from marketplace.arrangements import services

    services.propose_change(arrangement, ah.terms(s, hourly_rate_pence=2300), s.admin)
    services.propose_change(arrangement, ah.terms(s, carer_ids=(s.carers[1].id,)), s.person_user)
    assert (
        login(s.admin).post(f"/arrangements/{arrangement.id}/versions/3/accept").status_code == 302
    )
    late = login(s.person_user).post(f"/arrangements/{arrangement.id}/versions/2/accept")
    assert late.status_code == 409
    assert "cannot be agreed now" in late.get_data(as_text=True)
    db.session.refresh(arrangement)
    assert arrangement.agreed_version == 3 and arrangement.hourly_rate_pence == 2150


def test_choose_your_team_page(app, make, login, monkeypatch):
    _csrf_off(app, monkeypatch)
    s = ah.setup(make)
    arrangement = ah.agreed(s)
    client = login(s.person_user)
    page = client.get(f"/arrangements/{arrangement.id}/team").get_data(as_text=True)
    assert "You and Ana S. both enjoy gardening." in page
    assert "You and Bea T. both enjoy music." in page
    assert client.post(f"/arrangements/{arrangement.id}/team", data={}).status_code == 400
    response = client.post(
        f"/arrangements/{arrangement.id}/team", data={"carers": [str(s.carers[1].id)]}
    )
    assert response.status_code == 302
    login(s.admin).post(f"/arrangements/{arrangement.id}/versions/2/accept")
    page = client.get(f"/arrangements/{arrangement.id}").get_data(as_text=True)
    assert "Bea T. (chosen by Amira)" in page
    # The provider's admins cannot choose for the person.
    assert login(s.admin).get(f"/arrangements/{arrangement.id}/team").status_code == 403


def test_a_supporter_who_manages_introductions_agrees_and_reviews_for_the_person(
    app, make, login, monkeypatch
):
    _csrf_off(app, monkeypatch)
    s = ah.setup(make)
    supporter = make.user(roles=["supporter"], display_name="Joe Khan")
    make.consent(s.person, supporter, ["manage_introductions"])
    arrangement = ah.propose(s)
    client = login(supporter)
    assert client.post(f"/arrangements/{arrangement.id}/versions/1/accept").status_code == 302
    page = client.get(f"/arrangements/{arrangement.id}").get_data(as_text=True)
    assert "Joe Khan" in page and "for Amira Khan" in page


def test_easy_read_sentences_are_short_with_pictures_and_hard_words(app, make, login):
    s = ah.setup(make)
    for route in FundingRoute.values():
        arrangement = ah.agreed(s, funding_route=route)
        for viewer in (s.person_user, s.admin):
            lines = easy_read.lines_for(arrangement, viewer)
            for line in lines["lines"]:
                if line.own_words:
                    continue
                for sentence in easy_read.sentences(line.text):
                    assert len(sentence.split()) <= easy_read.MAX_WORDS, sentence
            for _, meaning in lines["hard_words"]:
                for sentence in easy_read.sentences(meaning):
                    assert len(sentence.split()) <= easy_read.MAX_WORDS, sentence
    page = login(s.person_user).get(f"/arrangements/{arrangement.id}/easy-read")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('role="img"') >= 8 and 'aria-label="A calendar"' in html
    assert "Hard words" in html and "An outcome is something good you want to happen." in html
    # The shared Easy Read lines and styles (templates/macros/easy_read.html, easy-read.css),
    # as on a carer's and a team's Easy Read page.
    assert "/static/easy-read.css" in html and "arrangement-easy-read.css" not in html
    assert '<ol class="easy-read-lines">' in html
    assert '<p class="easy-read-word"><strong>Outcome</strong>: An outcome is' in html
    assert '<li class="easy-read-line easy-read-own-words">' in html
    assert "<q>I get to the allotment on Tuesdays</q>" in html


def test_reviews_once_reply_once_report_and_moderate(app, make, login, monkeypatch):
    _csrf_off(app, monkeypatch)
    s = ah.setup(make)
    arrangement = ah.started(s)
    person = login(s.person_user)
    assert person.post(f"/arrangements/{arrangement.id}/review", data={}).status_code == 400
    stars = {"stars_respect": "5", "stars_reliability": "4", "stars_listening": "5",
             "stars_outcomes": "3"}  # fmt: skip
    done = person.post(
        f"/arrangements/{arrangement.id}/review", data={**stars, "text": "Ana is lovely."}
    )
    assert done.status_code == 302
    again = person.post(f"/arrangements/{arrangement.id}/review", data={**stars, "text": "x"})
    assert again.status_code == 302  # back to the arrangement: one review each
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Review).where(
        Review.arrangement_id == arrangement.id)) == 1  # fmt: skip
    review = db.session.scalar(sa.select(Review).where(Review.arrangement_id == arrangement.id))

    # Public pages: the averages with their counts, the first name and an initial only.
    for url in (f"/providers/{s.provider.id}", f"/carers/{s.carers[0].id}",
                f"/teams/{s.team.id}"):  # fmt: skip
        page = app.test_client().get(url).get_data(as_text=True)
        assert "4.2 out of 5, from 1 review." in page, url
        assert "Amira K." in page and "Amira Khan" not in page and "LS6 1AA" not in page
    # A carer not in the arrangement has no reviews, and says so.
    page = app.test_client().get(f"/carers/{s.carers[2].id}").get_data(as_text=True)
    assert "No reviews yet." in page and "out of 5" not in page

    admin = login(s.admin)
    assert admin.post(f"/reviews/{review.id}/reply", data={"text": "Thank you!"}).status_code == 302
    assert admin.post(f"/reviews/{review.id}/reply", data={"text": "Again"}).status_code == 302
    db.session.refresh(review)
    assert review.reply_text == "Thank you!"
    other_admin = login(make.user(roles=["provider_admin"]))
    assert other_admin.get(f"/reviews/{review.id}/reply").status_code == 403

    reporter = login(make.user(roles=["person"]))
    assert reporter.post(f"/reviews/{review.id}/report", data={}).status_code == 400
    assert (
        reporter.post(
            f"/reviews/{review.id}/report", data={"reason": "It names someone"}
        ).status_code
        == 302
    )
    moderator = login(make.user(roles=["reviewer"]))
    queue = moderator.get("/review/reviews").get_data(as_text=True)
    assert f"/review/reviews/{review.id}" in queue
    assert moderator.post(f"/review/reviews/{review.id}", data={}).status_code == 400
    assert (
        moderator.post(
            f"/review/reviews/{review.id}", data={"reason": "Names a carer's family"}
        ).status_code
        == 302
    )
    db.session.refresh(review)
    assert review.status == "hidden"
    assert db.session.scalar(sa.select(ReviewReport.resolved_at)) is not None
    page = app.test_client().get(f"/providers/{s.provider.id}").get_data(as_text=True)
    assert "No reviews yet." in page and "Ana is lovely." not in page
    assert (
        moderator.post(
            f"/review/reviews/{review.id}", data={"reason": "Family agreed it can show"}
        ).status_code
        == 302
    )
    actions = set(db.session.scalars(sa.select(AuditLog.action).where(
        AuditLog.target_type == "Review", AuditLog.target_id == review.id)))  # fmt: skip
    assert {"review.posted", "review.replied", "review.reported", "review.hide",
            "review.restore"} <= actions  # fmt: skip


def test_no_full_postcode_of_the_person_on_public_pages(app, make):
    s = ah.setup(make)
    ah.agreed(s)
    for url in (f"/providers/{s.provider.id}", f"/carers/{s.carers[0].id}", f"/teams/{s.team.id}"):
        page = app.test_client().get(url).get_data(as_text=True)
        assert not re.search(r"LS6\s?1AA", page)


def test_the_provider_proposes_from_an_introduction_at_the_meeting_stage(
    app, make, login, monkeypatch
):
    _csrf_off(app, monkeypatch)
    s = ah.setup(make)
    early = make.introduction(person=s.person, provider=s.provider, team_id=s.team.id,
                              status="accepted")  # fmt: skip
    met = make.introduction(person=s.person, provider=s.provider, team_id=s.team.id,
                            status="meeting")  # fmt: skip
    admin = login(s.admin)
    listing = admin.get("/arrangements").get_data(as_text=True)
    assert f"/provider/arrangements/new/{met.id}" in listing
    assert f"/provider/arrangements/new/{early.id}" not in listing
    assert admin.get(f"/provider/arrangements/new/{early.id}").status_code == 409
    # Another provider's admin is told nothing about it.
    stranger = login(make.user(roles=["provider_admin"]))
    assert stranger.get(f"/provider/arrangements/new/{met.id}").status_code == 404
    assert login(s.person_user).get(f"/provider/arrangements/new/{met.id}").status_code == 403

    form = {
        **_start(clock.today() + timedelta(days=3)),
        "carers": [str(s.carers[0].id), str(s.carers[1].id)],
        "funding_route": "direct_payment",
        "price_kind": "hourly",
        "hourly_rate": "22.00",
    }
    response = admin.post(f"/provider/arrangements/new/{met.id}", data=form)
    assert response.status_code == 400
    assert 'href="#outcome_1"' in response.get_data(as_text=True)
    form["outcome_1"] = "I go swimming on Saturdays"
    response = admin.post(f"/provider/arrangements/new/{met.id}", data=form)
    assert response.status_code == 302
    arrangement = db.session.scalar(
        sa.select(Arrangement).where(Arrangement.introduction_id == met.id)
    )
    assert arrangement.status == "proposed" and arrangement.team_id == s.team.id
    # Once proposed, the introduction leads to it, not to a second one.
    again = admin.get(f"/provider/arrangements/new/{met.id}")
    assert again.status_code == 302 and again.location.endswith(f"/arrangements/{arrangement.id}")


def test_deleting_the_account_of_a_person_with_an_agreed_reviewed_arrangement(
    app, make, login, monkeypatch
):
    """The arrangement, its versions and the review go with the person; the provider and
    its carers stay."""
    from factories import PASSWORD

    from marketplace.models import ArrangementVersion, Carer, User
    from marketplace.reviews import services as review_services

    _csrf_off(app, monkeypatch)
    s = ah.setup(make)
    arrangement = ah.started(s)
    review_services.write(arrangement, {"respect": 5}, "Good.", s.person_user)
    arrangement_id, user_id = arrangement.id, s.person_user.id
    response = login(s.person_user).post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    assert db.session.get(Arrangement, arrangement_id) is None
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(ArrangementVersion).where(
            ArrangementVersion.arrangement_id == arrangement_id)
    ) == 0  # fmt: skip
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0
    assert db.session.get(Carer, s.carers[0].id) is not None


def test_the_data_export_holds_every_version_and_the_review(app, make, login):
    from marketplace.reviews import services as review_services

    s = ah.setup(make)
    arrangement = ah.started(s)
    review_services.write(arrangement, {"respect": 4}, "Fine.", s.person_user)
    data = login(s.person_user).get("/account/export").get_json()
    [row] = data["person"]["arrangements"]
    assert row["versions"][0]["outcomes"][0]["text"] == "I get to the allotment on Tuesdays"
    assert row["review"]["ratings"] == {"respect": 4}


def test_the_terms_dates_are_day_month_and_year_boxes(app, make, login, monkeypatch):
    _csrf_off(app, monkeypatch)
    s = ah.setup(make)
    arrangement = ah.agreed(s)
    client = login(s.admin)
    page = client.get(f"/arrangements/{arrangement.id}/change").get_data(as_text=True)
    on = arrangement.starts_on
    assert f'name="starts_on_day" type="text" inputmode="numeric" value="{on.day}"' in page
    assert 'name="ends_on_year" type="text" inputmode="numeric" value=""' in page
    assert "Leave it empty if there is no end date. For example, 30 4 2027" in page
    form = {
        **_start(on),
        "ends_on_day": "31",
        "ends_on_month": "2",
        "ends_on_year": "2030",
        "carers": [str(s.carers[0].id)],
        "funding_route": "direct_payment",
        "price_kind": "hourly",
        "hourly_rate": "23.00",
        "outcome_1": "Cooking together on Fridays",
    }
    bad = client.post(f"/arrangements/{arrangement.id}/change", data=form)
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert '<a href="#ends_on_day">The end date must be a real date, like 30 4 2027</a>' in text
    assert len(arrangement.versions) == 1
    form["ends_on_day"] = "28"
    assert client.post(f"/arrangements/{arrangement.id}/change", data=form).status_code == 302
    db.session.refresh(arrangement)
    assert arrangement.versions[-1].ends_on.isoformat() == "2030-02-28"
