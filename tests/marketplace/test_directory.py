"""The public directory: search, provider, carer, team and council pages."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from marketplace.models import TeamMember

SECRET_POSTCODE = "LS6 9QX"  # a carer's private postcode: must never be shown


@pytest.fixture
def listed(make):
    """An approved provider with a team and two listed carers near LS6 1AA."""
    provider = make.provider(
        name="Headingley Test Co-op",
        hourly_rate_pence=2400,
        regulated=True,
        regulator="cqc",
        regulator_number="1-123456789",
        regulator_rating="good",
        contact_email="hello@example.org",
    )
    ana = make.carer(
        provider,
        display_name="Ana Listed",
        postcode=SECRET_POSTCODE,
        district="LS6",
        care_certificate=True,
        bio="I love my allotment.",
    )
    ben = make.carer(
        provider,
        display_name="Ben Listed",
        gender="male",
        skills=["personal_care", "peg_feeding"],
        languages=["en", "ur"],
        lat=53.83,
        lon=-1.58,
    )
    team = make.team(provider, name="Headingley team", patch=["LS6", "LS16"])
    from marketplace.extensions import db

    db.session.add(TeamMember(team_id=team.id, carer_id=ana.id, seat=1, role="coach"))
    db.session.add(TeamMember(team_id=team.id, carer_id=ben.id, seat=2, role="circles_connector"))
    db.session.flush()
    return provider, ana, ben, team


@pytest.fixture
def hidden(make):
    """A provider waiting for review, and its carer: never public."""
    provider = make.provider(qa_status="submitted", name="Unapproved Co-op")
    carer = make.carer(provider, display_name="Hidden Carer", postcode=SECRET_POSTCODE)
    team = make.team(provider, name="Hidden team")
    return provider, carer, team


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_search_lists_approved_carers_with_reasons(client, listed, hidden):
    provider, ana, ben, _ = listed
    response = client.get("/search?postcode=ls6+1aa")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ana Listed" in page and "Ben Listed" in page
    assert f'href="/carers/{ana.id}?' in page and f'href="/providers/{provider.id}"' in page
    assert "Why this match" in page and "travel area" in page
    assert "Headingley Test Co-op" in page  # provider section: covers LS6
    assert "Hidden Carer" not in page and "Unapproved Co-op" not in page
    assert SECRET_POSTCODE not in page


def test_search_without_postcode_shows_the_form(client):
    response = client.get("/search")
    assert response.status_code == 200
    assert 'name="postcode"' in response.get_data(as_text=True)
    assert "There is a problem" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("postcode=", "postcode", "Enter your postcode"),
        ("postcode=zzz", "postcode", "is not a UK postcode"),
        ("postcode=ZZ9+9ZZ", "postcode", "could not find the postcode ZZ9 9ZZ"),
        ("postcode=LS6+1AA&radius_km=0", "radius_km", "from 1 to 50 km"),
        ("postcode=LS6+1AA&radius_km=51", "radius_km", "from 1 to 50 km"),
        ("postcode=LS6+1AA&radius_km=far", "radius_km", "from 1 to 50 km"),
        ("postcode=LS6+1AA&skill=flying", "skill", "Choose help from the list"),
        ("postcode=LS6+1AA&gender=robot", "gender", "Choose a gender"),
        ("postcode=LS6+1AA&language=xx", "language", "Choose languages"),
    ],
)
def test_search_validation(client, listed, query, field, message):
    response = client.get(f"/search?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and f'href="#{field}"' in page
    assert message in page
    assert "<title>Error: " in page
    assert "Ana Listed" not in page


def test_search_bad_page_number_falls_back_to_first_page(client, listed):
    response = client.get("/search?postcode=LS6+1AA&page=zero")
    assert response.status_code == 200 and "Ana Listed" in response.get_data(as_text=True)


def test_search_filters(client, listed):
    page = client.get("/search?postcode=LS6+1AA&skill=peg_feeding").get_data(as_text=True)
    assert "Ben Listed" in page and "Ana Listed" not in page
    assert (
        "1 carer nearby does not offer every skill you asked for" in page
    )  # excluded, in plain English
    page = client.get("/search?postcode=LS6+1AA&gender=female").get_data(as_text=True)
    assert "Ana Listed" in page and "Ben Listed" not in page
    page = client.get("/search?postcode=LS6+1AA&language=ur").get_data(as_text=True)
    assert "Ben Listed" in page and "Ana Listed" not in page
    assert "not speak Urdu" in page


def test_search_empty_state_and_suggestions(client, listed):
    page = client.get("/search?postcode=LS6+1AA&skill=night_care&radius_km=1").get_data(
        as_text=True
    )
    assert "We did not find carers for this search" in page
    far = client.get("/search?postcode=BS1+4DJ").get_data(as_text=True)
    assert "We did not find carers" in far
    assert "No quality-assured provider says it covers BS1" in far


def test_search_paginates(client, make):
    provider = make.provider()
    for n in range(13):
        make.carer(provider, display_name=f"Paged Carer {n:02d}")
    first = client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    assert first.count('class="result"') == 10
    assert "Page 1 of 2" in first and "page=2" in first and 'rel="next"' in first
    second = client.get("/search?postcode=LS6+1AA&page=2").get_data(as_text=True)
    assert second.count('class="result"') == 3 and 'rel="prev"' in second
    assert "Showing carers 11 to 13 of 13" in text(client.get("/search?postcode=LS6+1AA&page=2"))
    # Only the page shown is explained, but every result on it is, on either page.
    for page in (first, second):
        for result in page.split('class="result"')[1:]:
            reasons = result.split("Why this match", 1)[1].split("</ul>", 1)[0]
            assert reasons.count("<li>") >= 1 and "<li></li>" not in reasons


def test_a_carer_opened_from_a_results_page_is_explained_from_that_page(client, make, monkeypatch):
    """The carer page says why this carer matches the search. Opened from page 2 only
    page 2's matches are explained (not the whole list); a page they are not on (the
    catalog moved, or typed) still finds them, and the words are the same either way."""
    from marketplace.search import services

    provider = make.provider()
    for n in range(13):
        make.carer(provider, display_name=f"Paged Carer {n:02d}")
    second = client.get("/search?postcode=LS6+1AA&page=2").get_data(as_text=True)
    link = second.split('class="result"')[1].split('href="', 1)[1].split('"', 1)[0]
    link = link.replace("&amp;", "&")
    assert "page=2" in link
    explained: list[slice] = []
    real_rank = services.rank

    def recording_rank(*args, **kwargs):
        explained.append(kwargs.get("explain"))
        return real_rank(*args, **kwargs)

    monkeypatch.setattr(services, "rank", recording_rank)

    def why(url: str) -> str:
        page = text(client.get(url))
        assert "matches your search" in page and "is not among the results" not in page
        return page.split("matches your search", 1)[1].split("Back to results", 1)[0][:600]

    from_page = why(link)
    assert "from LS6" in from_page and "Paged Carer" in from_page
    assert [(s.start, s.stop) for s in explained] == [(10, 20)]
    explained.clear()
    assert why(link.replace("page=2", "page=1")) == from_page  # not on page 1: whole list
    assert [s.stop - s.start for s in explained][-1] > 10
    assert why(link.replace("&page=2", "")) == from_page


def test_provider_page(client, listed):
    provider, ana, ben, team = listed
    response = client.get(f"/providers/{provider.id}")
    assert response.status_code == 200
    page = text(response)
    assert "Worker co-operative" in page
    assert "Quality assured since" in page
    assert "Care Quality Commission (CQC)" in page
    assert "CQC location ID 1-123456789, CQC rating: Good" in page
    assert "£24.00" in page and "Personal care" in page and "English" in page
    assert "Workers" in page and "Owned by our workers." in page
    assert "hello@example.org" in page
    html = response.get_data(as_text=True)
    assert f'href="/teams/{team.id}"' in html and f'href="/carers/{ana.id}"' in html
    assert SECRET_POSTCODE not in html


def test_carer_page(client, listed):
    _, ana, _, team = listed
    response = client.get(f"/carers/{ana.id}")
    assert response.status_code == 200
    page = text(response)
    assert (
        "DBS check: enhanced with barred list check, certificate issued 27 March 2025, "
        "on the update service" in page
    )
    assert "Right to work in the UK" in page
    # Who vouched, and when (the provider's name, the date in long form).
    check = ana.check("criminal_record")
    day = check.verified_at.astimezone(ZoneInfo("Europe/London")).date()
    assert f"Checks confirmed by Headingley Test Co-op on {day.day} {day:%B %Y}" in page
    # The carer's own statements are never shown as facts.
    assert "Care Certificate" not in page and "001234567890" not in page
    assert "I love my allotment." in page and "LS6" in page and "£18.50" in page
    html = response.get_data(as_text=True)
    assert '<th scope="row">Monday</th>' in html and "Free" in html
    assert f'href="/teams/{team.id}"' in html
    assert SECRET_POSTCODE not in html


def test_team_page(client, listed):
    _, ana, ben, team = listed
    response = client.get(f"/teams/{team.id}")
    assert response.status_code == 200
    page = text(response)
    assert "Ana Listed – Coach" in page
    assert "Ben Listed – Community circles connector" in page
    assert "LS6, LS16" in page


def test_unapproved_and_inactive_are_not_public(client, make, listed, hidden):
    provider, carer, team = hidden
    assert client.get(f"/providers/{provider.id}").status_code == 404
    assert client.get(f"/carers/{carer.id}").status_code == 404
    assert client.get(f"/teams/{team.id}").status_code == 404
    paused = make.carer(listed[0], display_name="Paused Carer", active=False)
    assert client.get(f"/carers/{paused.id}").status_code == 404
    assert "Paused Carer" not in client.get(f"/providers/{listed[0].id}").get_data(as_text=True)
    assert "Paused Carer" not in client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    for url in ("/providers/999999", "/carers/999999", "/teams/999999"):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("status", ["draft", "submitted", "changes_requested", "suspended"])
def test_every_unapproved_status_is_hidden(client, make, status):
    provider = make.provider(qa_status=status, name=f"Status {status} Co-op")
    carer = make.carer(provider, display_name=f"Carer of {status}")
    assert client.get(f"/providers/{provider.id}").status_code == 404
    assert client.get(f"/carers/{carer.id}").status_code == 404
    page = client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    assert f"Carer of {status}" not in page and f"Status {status} Co-op" not in page


def test_councils(client, listed, hidden, make):
    make.provider(
        name="Bristol Only Co-op",
        care_council_code="E06000023",
        postcode="BS1 4DJ",
        district="BS1",
        service_districts=["BS1"],
        lat=51.45,
        lon=-2.59,
    )
    index = client.get("/councils")
    assert index.status_code == 200
    assert 'href="/councils/E08000035"' in index.get_data(as_text=True)
    council = client.get("/councils/E08000035")
    assert council.status_code == 200
    page = council.get_data(as_text=True)
    assert "Co-operative care in Leeds" in page and "Headingley Test Co-op" in page
    assert "Unapproved Co-op" not in page and "Bristol Only Co-op" not in page
    assert client.get("/councils/XX000000").status_code == 404


def test_council_includes_providers_serving_its_districts(client, make):
    make.provider(
        name="Border Co-op",
        care_council_code="E08000036",
        postcode="WF1 1AA",
        district="WF1",
        service_districts=["LS11"],
        lat=53.68,
        lon=-1.49,
    )
    assert "Border Co-op" in client.get("/councils/E08000035").get_data(as_text=True)


def test_search_page_providers_from_the_catalog_snapshot_match_the_query(app, make):
    """The search page looks through listed_provider_points() (kept per catalog
    version) instead of a SELECT: the same providers, order and distances."""
    from marketplace import geo as geo_module
    from marketplace.search import services as search_services

    make.provider(name="Near Co-op")
    make.provider(name="Districts Co-op", district="BD1", service_districts=["LS6"])
    make.provider(name="Far Co-op", district="SW1A", service_radius_km=2.0)
    make.provider(name="Draft Co-op", qa_status="submitted")
    with app.test_request_context("/"):
        points = search_services.listed_provider_points()
        assert {p.name for p in points} >= {"Near Co-op", "Districts Co-op", "Far Co-op"}
        assert "Draft Co-op" not in {p.name for p in points}
        for postcode, radius in (("LS6 1AA", None), ("LS6 1AA", 30.0), ("SW1A 1AA", 5.0)):
            place = geo_module.lookup(postcode)
            queried = search_services.providers_near(place, radius_km=radius)
            kept = search_services.providers_near(place, radius_km=radius, rows=points)
            assert [(h.provider.id, h.distance_km) for h in kept] == [
                (h.provider.id, h.distance_km) for h in queried
            ]
            assert [h.provider.legal_form_label for h in kept] == [
                h.provider.legal_form_label for h in queried
            ]
