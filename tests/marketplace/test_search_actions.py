"""Search that a person can act on: pages that clamp, results first, the carer page
keeping the search (issue 11, items 1-5)."""

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
    return [
        h.replace("&amp;", "&")
        for h in re.findall(r'href="([^"]+)"', response.get_data(as_text=True))
    ]


@pytest.fixture
def thirteen(make):
    provider = make.provider(name="Paging Co-op")
    return [make.carer(provider, display_name=f"Paged Carer {n:02d}") for n in range(13)]


def test_a_page_past_the_last_shows_the_last_page(client, thirteen):
    response = client.get("/search?postcode=LS6+1AA&page=99")
    assert response.status_code == 200
    shown = text(response)
    assert "Showing carers 11 to 13 of 13" in shown
    assert "Page 2 of 2" in shown
    assert response.get_data(as_text=True).count('class="result"') == 3
    assert shown.count("travel area") == 3  # the page shown is explained
    assert 'rel="next"' not in response.get_data(as_text=True)


def test_the_api_keeps_an_empty_page_past_the_last(client, make):
    make.provider(name="Only Co-op")
    body = client.get("/api/v1/providers?page=99").get_json()
    assert body["results"] == [] and body["page"] == 99 and body["next"] is None


def test_results_come_before_the_folded_form_with_the_choices_in_force(client, thirteen):
    page = client.get(
        "/search?postcode=LS6+1AA&skill=personal_care&interest=gardening&gender=female"
    ).get_data(as_text=True)
    summary = page.index("Your search:")
    folded = page.index('<details class="change-search">')  # closed: no "open"
    first_result = page.index('class="result"')
    assert summary < folded < first_result
    shown = text(page)
    assert "Must offer: Personal care." in shown and "Enjoys: Gardening." in shown
    assert "Carer's gender: Female." in shown
    # Each long list is folded on its own and says how many are chosen.
    assert "Help you must have (1 chosen)" in page and 'value="Gardening"' in page


def test_the_folded_form_opens_when_something_needs_fixing(client, thirteen):
    page = client.get("/search?postcode=LS6+1AA&radius_km=500").get_data(as_text=True)
    assert "There is a problem" in page
    assert "Change your search" not in page  # no results: the form is shown as it is
    assert 'id="radius_km"' in page


def test_the_carer_page_keeps_the_search(client, make):
    provider = make.provider(name="Context Co-op")
    ana = make.carer(provider, display_name="Ana Context", interests=["gardening"])
    results = client.get("/search?postcode=LS6+1AA&interest=gardening&radius_km=20")
    link = next(h for h in hrefs(results) if h.startswith(f"/carers/{ana.id}?"))
    assert "interest=gardening" in link and "radius_km=20" in link
    response = client.get(link)
    page = response.get_data(as_text=True)
    shown = text(response)
    assert "How Ana Context matches your search" in shown
    assert "You both enjoy gardening" in shown
    assert re.search(r"(under 1|[\d.]+) km from LS6", shown)
    back = next(h for h in hrefs(response) if h.startswith("/search?"))
    assert "interest=gardening" in back and "radius_km=20" in back and "postcode=LS6" in back
    assert "Back to results near LS6" in page


def test_the_carer_page_without_a_search_has_no_context(client, make):
    ana = make.carer(display_name="Ana Plain")
    page = client.get(f"/carers/{ana.id}").get_data(as_text=True)
    assert "Back to results" not in page and "matches your search" not in page
    # A bad search in the address is ignored, never an error page or a link elsewhere.
    response = client.get(f"/carers/{ana.id}?postcode=nowhere&next=//evil.example")
    assert response.status_code == 200
    assert "Back to results" not in response.get_data(as_text=True)
    assert not [h for h in hrefs(response) if h.startswith(("//", "http")) and "evil" in h]


def test_back_to_results_is_built_from_the_form_never_from_the_address(client, make):
    ana = make.carer(display_name="Ana Safe")
    response = client.get(
        f"/carers/{ana.id}?postcode=LS6+1AA&radius_km=10&back=https://evil.example/"
        "&next=//evil.example"
    )
    back = [h for h in hrefs(response) if h.startswith("/search")]
    assert len(back) == 1 and "evil" not in back[0] and "next" not in back[0]
    assert not [h for h in hrefs(response) if h.startswith(("//", "http")) and "evil" in h]


def test_a_carer_outside_the_search_says_so(client, make):
    provider = make.provider()
    ana = make.carer(provider, display_name="Ana Elsewhere", skills=["cooking"])
    page = text(client.get(f"/carers/{ana.id}?postcode=LS6+1AA&skill=peg_feeding"))
    assert "Ana Elsewhere is not among the results of your search near LS6" in page


def test_from_a_profile_no_link_carries_the_postcode(make, login):
    make.carer(display_name="Ana Profile", skills=["personal_care"], interests=["gardening"])
    user, _ = _new_person(make)
    client = login(user)
    _post_profile(client)
    db.session.commit()
    results = client.get("/search")
    carer_link = next(h for h in hrefs(results) if h.startswith("/carers/"))
    assert "postcode" not in carer_link and "radius_km=" in carer_link
    response = client.get(carer_link)
    assert "no-store" in response.headers["Cache-Control"]
    assert "How Ana Profile matches your search" in text(response)
    assert all("postcode" not in h for h in hrefs(response))
    assert "LS6 1AA" not in response.get_data(as_text=True)
    # A link that names choices keeps them, and still takes the postcode from the profile.
    narrowed = text(client.get("/search?radius_km=10&skill=peg_feeding"))
    assert "Must offer: PEG feeding." in narrowed and "Care near LS6" in narrowed
