"""The carer's "homes and people you like to support" section (issue 11 item 2): the carer
and their provider's admins edit it; bad answers change nothing; matching sees it."""

from __future__ import annotations

import pytest
from carers_teams_helpers import build_world, has_error_summary, snapshot, text, version

from marketplace.extensions import db

GOOD = {
    "pets_ok": ["dogs", "cats"],
    "smoking_ok": "no",
    "enjoys_support": ["out_and_about", "companionship"],
    "would_support": ["older_people", "dementia"],
}


def test_the_carer_saves_their_preferences_and_the_catalog_changes(make, login):
    world = build_world(make)
    client = login(world.carer_user)
    form = text(client.get("/carer/profile/preferences"))
    assert "Which pets are you happy to be with in someone" in form
    assert 'value="ask" checked' in form  # not said yet, and shown as such
    before = version()
    response = client.post("/carer/profile/preferences", data=GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/carer/profile")
    carer = world.carer
    db.session.refresh(carer)
    assert carer.pets_ok == ["dogs", "cats"] and carer.smoking_ok is False
    assert carer.enjoys_support == ["out_and_about", "companionship"]
    assert carer.would_support == ["older_people", "dementia"]
    assert version() == before + 1
    summary = text(client.get("/carer/profile"))
    assert "Dogs, Cats" in summary and "People living with dementia" in summary
    assert 'href="/carer/profile/preferences"' in summary
    again = text(client.get("/carer/profile/preferences"))
    assert 'value="dogs" checked' in again and 'value="no" checked' in again


def test_none_and_not_said_are_different_answers(make, login):
    world = build_world(make)
    client = login(world.carer_user)
    client.post("/carer/profile/preferences", data={"pets_ok": ["none"], "smoking_ok": "yes"})
    db.session.refresh(world.carer)
    assert world.carer.pets_ok == [] and world.carer.smoking_ok is True
    assert 'value="none" checked' in text(client.get("/carer/profile/preferences"))
    client.post("/carer/profile/preferences", data={"smoking_ok": "ask"})
    db.session.refresh(world.carer)
    assert world.carer.pets_ok is None and world.carer.smoking_ok is None
    assert world.carer.enjoys_support == [] and world.carer.would_support == []
    assert "Not said (people are told to ask)" in text(client.get("/carer/profile"))


@pytest.mark.parametrize(
    "data, message",
    [
        ({**GOOD, "pets_ok": ["dogs", "none"]}, "Choose the pets you are happy with, or none"),
        ({**GOOD, "pets_ok": ["snakes"]}, "Choose pets from the list"),
        ({**GOOD, "smoking_ok": "sometimes"}, "Say whether you are happy to work in a home"),
        ({**GOOD, "smoking_ok": ""}, "Say whether you are happy to work in a home"),
        ({**GOOD, "enjoys_support": ["juggling"]}, "Choose kinds of support from the list"),
        ({**GOOD, "would_support": ["everyone"]}, "Choose who you would like to support"),
    ],
)
def test_bad_answers_show_the_error_summary_and_change_nothing(make, login, data, message):
    world = build_world(make)
    before, catalog = snapshot(world.carer), version()
    response = login(world.carer_user).post("/carer/profile/preferences", data=data)
    assert response.status_code == 400
    page = text(response)
    assert has_error_summary(page) and "<title>Error: " in page
    assert message in page.replace("&#39;", "'")
    assert snapshot(world.carer) == before and version() == catalog


def test_the_provider_admin_edits_them_and_another_provider_cannot(make, login):
    world = build_world(make)
    url = f"/provider/carers/{world.carer.id}/profile/preferences"
    admin = login(world.admin)
    assert "Which kinds of support do you enjoy giving?" in text(admin.get(url))
    assert admin.post(url, data=GOOD).status_code == 302
    db.session.refresh(world.carer)
    assert world.carer.would_support == ["older_people", "dementia"]
    before = snapshot(world.carer)
    other = login(world.other_admin)
    # Another provider's carer is not confirmed to exist (authz.get_or_abort: 404).
    assert other.get(url).status_code == 404
    assert other.post(url, data={**GOOD, "smoking_ok": "yes"}).status_code == 404
    assert snapshot(world.carer) == before
