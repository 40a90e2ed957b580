"""The search page offers everything the engine knows, says what a budget buys, and
turns the engine's advice into links (issue 11, items 1, 3 and 4)."""

from __future__ import annotations

import html
import re

import pytest

from marketplace.extensions import db
from tests.marketplace.test_person_profile import _new_person, _post_profile


def text(response) -> str:
    page = response if isinstance(response, str) else response.get_data(as_text=True)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def hrefs(response) -> list[str]:
    page = response.get_data(as_text=True)
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


@pytest.fixture
def carers(make):
    coop = make.provider(name="Garden Co-op", legal_form="worker_coop")
    charity = make.provider(name="Kind Charity", legal_form="charity")
    ana = make.carer(
        coop,
        display_name="Ana Garden",
        skills=["personal_care", "cooking"],
        interests=["gardening"],
        languages=["en", "ur"],
        availability=["mon-am", "mon-pm"],
        hourly_rate_pence=2000,
        gender="female",
    )
    ben = make.carer(
        charity,
        display_name="Ben Football",
        skills=["personal_care"],
        interests=["football"],
        languages=["en"],
        availability=["tue-pm"],
        hourly_rate_pence=2500,
        gender="male",
    )
    return ana, ben


SEARCH = "/search?postcode=LS6+1AA&radius_km=10"


def test_the_form_offers_everything_the_engine_knows(client, carers):
    page = client.get("/search").get_data(as_text=True)
    for name in (
        "postcode",
        "radius_km",
        "priority",
        "skill",
        "nice",
        "interests",
        "language",
        "gender",
        "slot",
        "only_free",
        "budget",
        "hours",
        "within_budget",
    ):
        assert f'name="{name}"' in page, name
    assert 'list="interest-suggestions"' in page and '<option value="Gardening">' in page
    assert "What matters most to you" in page and "A lower price" in page


def test_interests_are_free_text_and_synonyms_count(client, carers):
    response = client.get(f"{SEARCH}&interests=garden")
    shown = text(response)
    assert "You both enjoy gardening" in shown
    assert "Enjoys: Gardening." in shown  # as understood
    assert 'value="Gardening"' in response.get_data(as_text=True)
    carer_link = next(h for h in hrefs(response) if h.startswith("/carers/"))
    assert "interest=gardening" in carer_link and "interests=" not in carer_link


def test_an_unknown_interest_is_explained_with_the_nearest(client, carers):
    shown = text(client.get(f"{SEARCH}&interests=gardnx"))
    assert "There is a problem" in shown
    assert "We do not know “gardnx” as an interest. Did you mean gardening?" in shown


def test_language_is_the_engines_hard_filter_with_its_own_count(client, carers):
    shown = text(client.get(f"{SEARCH}&language=ur"))
    assert "Ana Garden" in shown and "Ben Football" not in shown
    assert "1 carer nearby does not speak Urdu." in shown
    response = client.get(f"{SEARCH}&language=ur")
    assert "1 more carer if they do not have to speak Urdu" in text(response)
    drop = next(
        h
        for h in hrefs(response)
        if h.startswith("/search?") and "language=" not in h and "page=" not in h
    )
    assert "Ben Football" in text(client.get(drop))


def test_several_must_speak_languages_without_javascript(client, carers, make):
    ana, _ben = carers
    make.carer(
        make.provider(name="Third Co-op", legal_form="worker_coop"),
        display_name="Cy Polish",
        skills=["personal_care"],
        languages=["en", "pl"],
    )
    form = client.get("/search").get_data(as_text=True)
    # Plain checkboxes (no script): one per language, all named "language".
    assert 'type="checkbox" value="ur"' in form and 'type="checkbox" value="pl"' in form
    assert 'name="language" type="checkbox"' in form
    one = text(client.get(f"{SEARCH}&language=en"))
    assert "Ana Garden" in one and "Ben Football" in one and "Cy Polish" in one
    response = client.get(f"{SEARCH}&language=en&language=ur")
    both = text(response)
    assert "Ana Garden" in both and "Ben Football" not in both and "Cy Polish" not in both
    assert "Speaks: English, Urdu" in both
    assert "2 carers nearby do not speak English and Urdu." in both
    page = response.get_data(as_text=True)
    assert re.search(r'value="en" checked', page) and re.search(r'value="ur" checked', page)
    # Links keep both languages; the one-click undo drops only Urdu.
    links = [h for h in hrefs(response) if "language=en" in h]
    assert any(h.startswith("/carers/") and "language=ur" in h for h in links)
    undo = [h for h in links if h.startswith("/search?") and "language=ur" not in h]
    assert undo and "Ben Football" in text(client.get(undo[0]))
    assert ana.id


def test_times_filter_and_its_one_click_undo(client, carers):
    response = client.get(f"{SEARCH}&slot=mon-am&only_free=y")
    shown = text(response)
    assert "Ana Garden" in shown and "Ben Football" not in shown
    assert "1 carer nearby is not free at any of your times" in shown
    assert "Free at all your times: Monday morning" in shown
    undo = [h for h in hrefs(response) if h.startswith("/search?") and "slot=mon-am" in h]
    undo = [h for h in undo if "only_free" not in h and "page=" not in h]
    assert undo, "a link that drops the filter"
    assert "Ben Football" in text(client.get(undo[0]))


def test_what_matters_most_sets_the_order_and_is_said(client, make, carers):
    shown = text(client.get(f"{SEARCH}&interests=football&priority=interests"))
    assert shown.index("Ben Football") < shown.index("Ana Garden")
    assert "You both enjoy football (you said this matters most)" in shown
    assert "Matters most: someone who enjoys the same things as me." in shown
    cheap = text(client.get(f"{SEARCH}&priority=price"))
    assert cheap.index("Ana Garden") < cheap.index("Ben Football")
    assert "£20.00 an hour, the lowest of these matches (you said this matters most)" in cheap


def test_must_have_to_nice_to_have_in_one_click(client, carers):
    response = client.get(f"{SEARCH}&skill=personal_care&skill=cooking")
    shown = text(response)
    assert "Ben Football" not in shown
    link = next(h for h in hrefs(response) if "nice=cooking" in h and h.startswith("/search?"))
    assert "skill=personal_care" in link and "skill=cooking" not in link
    after = text(client.get(link))
    assert "Ben Football" in after and "Nice to have: Cooking." in after


def test_no_advice_past_the_largest_distance(client, make):
    make.carer(display_name="Far Carer", postcode="NE1 4ST", district="NE1")
    response = client.get("/search?postcode=LS6+1AA&radius_km=50")
    shown = text(response)
    assert "We did not find carers for this search" in shown
    assert not [h for h in hrefs(response) if "radius_km=" in h and "radius_km=50" not in h]
    # The nearest carer whatever the distance, and where to ask.
    assert "The nearest carers for your choices, whatever the distance" in shown
    assert "Far Carer" in shown and "beyond Far Carer's" in shown
    assert "Your council can help" in shown
    assert 'href="/councils/E08000035"' in response.get_data(as_text=True)


def test_a_wider_distance_is_one_click(client, make):
    make.carer(
        display_name="Wider Carer", postcode="LS25 1AA", district="LS25", travel_radius_km=40
    )
    response = client.get("/search?postcode=LS6+1AA&radius_km=5")
    link = next(
        h
        for h in hrefs(response)
        if h.startswith("/search?") and "radius_km=" in h and "radius_km=5&" not in h + "&"
    )
    assert "Wider Carer" in text(client.get(link))


def test_a_weekly_budget_says_the_hours_and_filters(client, carers):
    response = client.get(f"{SEARCH}&budget=210&hours=10&within_budget=y")
    shown = text(response)
    assert "Ana Garden" in shown and "Ben Football" not in shown
    assert "£20.00: your budget pays for 10.5 hours a week" in shown
    assert "1 carer nearby costs more than your budget." in shown
    assert "Budget: £210 a week, 10 hours (up to £21.00 an hour)." in shown
    above = next(
        h
        for h in hrefs(response)
        if h.startswith("/search?")
        and "budget=210" in h
        and "within_budget" not in h
        and "page=" not in h
    )
    both = text(client.get(above))
    assert "Ben Football" in both and "£25.00: your budget pays for 8 hours a week" in both


def test_within_budget_needs_a_budget_and_hours(client, carers):
    assert "Enter your weekly budget" in text(client.get(f"{SEARCH}&within_budget=y"))
    assert "Enter the hours of support" in text(client.get(f"{SEARCH}&budget=100&within_budget=y"))
    assert "Enter the weekly budget in pounds and pence" in text(
        client.get(f"{SEARCH}&budget=lots")
    )
    assert "choose one for each" in text(client.get(f"{SEARCH}&skill=cooking&nice=cooking"))


def test_cards_show_rate_badge_checks_and_must_haves(client, carers):
    shown = text(client.get(f"{SEARCH}&skill=personal_care"))
    assert "Co-op" in shown and "Checks confirmed by" in shown
    assert "Offers all the help you must have: Personal care" in shown
    assert "Hourly rate £20.00" in shown and "Hourly rate £25.00" in shown
    assert "(Charity)" in shown and "(Worker co-operative)" in shown


def test_a_saved_budget_counts_but_stays_out_of_the_address(make, login, carers):
    user, person = _new_person(make)
    client = login(user)
    _post_profile(client, must_have=[], nice_to_have=[], slots=[], carer_gender="", languages=[])
    make.budget(person, amount_pence=20000, period="weekly")
    db.session.commit()
    response = client.get("/search")
    shown = text(response)
    assert "your budget pays for 10 hours a week" in shown
    assert "We use the budget saved with your account: £200.00 a week" in shown
    assert "no-store" in response.headers["Cache-Control"]
    assert all("budget=" not in h for h in hrefs(response))
