"""A carer's own profile: sections, validation, availability grid, privacy."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from carers_teams_helpers import (
    SECRET_POSTCODE,
    build_world,
    has_error_summary,
    snapshot,
    text,
    version,
)

from marketplace.carers import services
from marketplace.choices import SLOT_LABELS
from marketplace.extensions import db
from marketplace.models import AuditLog

ABOUT = {
    "display_name": "Ana S.",
    "postcode": "ls6 2ab",
    "bio": "I love gardens.",
    "gender": "female",
    "travel_radius_km": "12",
    "hourly_rate": "£18.50",
}


def typed(text: str, field: str = "dbs_issue_date") -> dict[str, str]:
    """A date typed as "27 3 2024" in the form's Day, Month and Year boxes."""
    day, month, year = (text.split() + ["", "", ""])[:3]
    return {f"{field}_day": day, f"{field}_month": month, f"{field}_year": year}


CHECKS = {
    "dbs_level": "enhanced_barred",
    "dbs_number": "0012 3456 7890",
    **typed("27 3 2024"),
    "dbs_update_service": "yes",
    "care_certificate": "y",
}


def test_summary_shows_every_section(make, login):
    world = build_world(make)
    page = text(login(world.carer_user).get("/carer/profile"))
    for title in services.SECTIONS.values():
        assert title in page
    for section in services.SECTIONS:
        assert f'href="/carer/profile/{section}"' in page
    assert "Monday morning" in page  # availability shown in words


def test_save_about(make, login):
    world = build_world(make)
    before = version()
    response = login(world.carer_user).post("/carer/profile/about", data=ABOUT)
    assert response.status_code == 302 and response.headers["Location"].endswith("/carer/profile")
    carer = world.carer
    db.session.refresh(carer)
    assert (carer.postcode, carer.district) == ("LS6 2AB", "LS6")
    assert carer.lat == pytest.approx(53.82222) and carer.lon == pytest.approx(-1.57226)
    assert carer.travel_radius_km == 12 and carer.hourly_rate_pence == 1850
    assert carer.bio == "I love gardens." and carer.gender == "female"
    assert version() == before + 1


@pytest.mark.parametrize(
    "rate, pence", [("18", 1800), ("18.5", 1850), ("1,00.00", 10000), ("", None)]
)
def test_rate_in_pounds_becomes_pence(make, login, rate, pence):
    world = build_world(make)
    login(world.carer_user).post("/carer/profile/about", data={**ABOUT, "hourly_rate": rate})
    db.session.refresh(world.carer)
    assert world.carer.hourly_rate_pence == pence


def test_prefer_not_to_say_stores_no_gender(make, login):
    world = build_world(make)
    login(world.carer_user).post(
        "/carer/profile/about", data={**ABOUT, "gender": "prefer_not_to_say"}
    )
    db.session.refresh(world.carer)
    assert world.carer.gender is None


@pytest.mark.parametrize(
    "section, data, message",
    [
        ("about", {**ABOUT, "display_name": ""}, "Enter the name to show on the profile"),
        ("about", {**ABOUT, "postcode": "LS6"}, "Enter the full postcode"),
        ("about", {**ABOUT, "postcode": "bananas"}, "is not a UK postcode"),
        ("about", {**ABOUT, "postcode": "QQ1 1AA"}, "We could not find the postcode"),
        ("about", {**ABOUT, "travel_radius_km": "0"}, "a whole number from 1 to 100"),
        ("about", {**ABOUT, "travel_radius_km": "101"}, "a whole number from 1 to 100"),
        ("about", {**ABOUT, "travel_radius_km": "ten"}, "a whole number from 1 to 100"),
        ("about", {**ABOUT, "hourly_rate": "lots"}, "in pounds and pence, like £21.50"),
        ("about", {**ABOUT, "hourly_rate": "18.505"}, "in pounds and pence, like £21.50"),
        ("about", {**ABOUT, "hourly_rate": "250"}, "£200 or less"),
        ("about", {**ABOUT, "gender": "robot"}, "Not a valid choice"),
        ("about", {**ABOUT, "bio": "x" * 2001}, "2,000 characters or fewer"),
        ("skills", {"skills": ["cooking"], "languages": []}, "Choose at least one language"),
        ("skills", {"skills": ["juggling"], "languages": ["en"]}, "not a valid choice"),
        ("availability", {"availability": ["mon-night"]}, "not a valid choice"),
        ("checks", {**CHECKS, "dbs_number": "12345"}, "must be 12 digits"),
        ("checks", {**CHECKS, "dbs_number": ""}, "Enter the DBS certificate number"),
        ("checks", {**CHECKS, **typed("")}, "Enter the certificate date of issue"),
        ("checks", {**CHECKS, **typed("31 2 2024")}, "must be a real date"),
        (
            "checks",
            {**CHECKS, **typed((date.today() + timedelta(days=1)).strftime("%d %m %Y"))},
            "today or in the past",
        ),
        ("checks", {**CHECKS, "dbs_level": "platinum"}, "Not a valid choice"),
    ],
)
def test_validation_errors_show_summary_and_change_nothing(make, login, section, data, message):
    world = build_world(make)
    before, catalog = snapshot(world.carer), version()
    response = login(world.carer_user).post(f"/carer/profile/{section}", data=data)
    assert response.status_code == 400
    page = text(response)
    assert has_error_summary(page), page
    assert message in page.replace("&#39;", "'")
    assert page.count('class="error-message"') >= 1
    assert "<title>Error: " in page
    assert snapshot(world.carer) == before
    assert version() == catalog


def test_skills_and_interests_with_free_text(make, login):
    world = build_world(make)
    client = login(world.carer_user)
    response = client.post(
        "/carer/profile/skills",
        data={
            "skills": ["cooking", "dementia_care"],
            "interests": ["football"],
            "other_interests": "my allotment, Jazz,  , Football",
            "languages": ["en", "pl"],
        },
    )
    assert response.status_code == 302
    db.session.refresh(world.carer)
    assert world.carer.skills == ["cooking", "dementia_care"]
    assert world.carer.interests == ["football", "gardening", "jazz"]
    assert world.carer.languages == ["en", "pl"]
    page = text(client.get("/carer/profile/skills"))
    assert re.search(r'value="gardening" checked', page)
    assert 'value="jazz"' in page  # the free-text line keeps what matched nothing


def test_stored_labels_show_as_ticked_boxes(make, login):
    world = build_world(make)
    world.carer.interests = ["cooking and baking", "ukulele"]  # as old imports stored them
    db.session.flush()
    page = text(login(world.carer_user).get("/carer/profile/skills"))
    assert re.search(r'value="cooking_baking" checked', page)
    assert 'value="ukulele"' in page


def availability_boxes(page: str) -> dict[str, bool]:
    boxes = re.findall(
        r'<input class="choice-input" type="checkbox" name="availability" '
        r'value="([a-z]+-[a-z]+)" id="([^"]+)"( checked)?>',
        page,
    )
    return {value: bool(checked) for value, _id, checked in boxes}


def test_availability_grid_is_labelled(make, login):
    world = build_world(make)
    page = text(login(world.carer_user).get("/carer/profile/availability"))
    assert "<fieldset" in page and "<legend" in page
    assert len(availability_boxes(page)) == 21
    for slot, label in SLOT_LABELS.items():
        input_id = "availability" if slot == "mon-am" else f"availability-{slot}"
        assert f'id="{input_id}"' in page
        assert f'<label class="visually-hidden" for="{input_id}">{label}</label>' in page
    assert '<th scope="row">Sunday</th>' in page and '<th scope="col">Evening</th>' in page
    assert "Monday morning" in SLOT_LABELS.values()


def test_availability_round_trip(make, login):
    world = build_world(make)
    client = login(world.carer_user)
    chosen = ["sun-eve", "mon-am", "wed-pm", "tue-pm"]
    before = version()
    assert (
        client.post("/carer/profile/availability", data={"availability": chosen}).status_code == 302
    )
    db.session.refresh(world.carer)
    assert world.carer.availability == ["mon-am", "tue-pm", "wed-pm", "sun-eve"]
    assert version() == before + 1
    boxes = availability_boxes(text(client.get("/carer/profile/availability")))
    assert {slot for slot, checked in boxes.items() if checked} == set(chosen)
    # Ticking nothing means "ask about availability", stored as unknown.
    assert client.post("/carer/profile/availability", data={}).status_code == 302
    db.session.refresh(world.carer)
    assert world.carer.availability is None
    assert "Ask about availability" in text(client.get("/carer/profile"))


def test_save_checks(make, login):
    world = build_world(make)
    assert (
        login(world.carer_user)
        .post("/carer/profile/checks", data={**CHECKS, "right_to_work_checked": "y"})
        .status_code
        == 302
    )
    carer = world.carer
    db.session.refresh(carer)
    record = carer.check("criminal_record")
    assert (record.scheme, record.level, record.certificate_number) == (
        "dbs",
        "enhanced_barred",
        "001234567890",
    )
    assert record.issued_on == date(2024, 3, 27) and record.update_service
    assert carer.care_certificate
    # The date comes back in its Day, Month and Year boxes (marketplace.date_input).
    page = text(login(world.carer_user).get("/carer/profile/checks"))
    for part, value in (("day", "27"), ("month", "3"), ("year", "2024")):
        box = f'name="dbs_issue_date_{part}" type="text" inputmode="numeric" value="{value}"'
        assert box in page
    # The carer changed a verified check: it is only declared again, and unlisted.
    assert record.status == "declared" and record.verified_at is None
    assert not carer.is_listed
    # The provider records right to work, not the carer: theirs is unchanged.
    assert carer.check("right_to_work").status == "verified"


def test_no_dbs_clears_the_certificate(make, login):
    world = build_world(make)
    client = login(world.carer_user)
    client.post("/carer/profile/checks", data=CHECKS)
    client.post("/carer/profile/checks", data={"dbs_level": "none", "dbs_update_service": "no"})
    db.session.refresh(world.carer)
    assert world.carer.check("criminal_record") is None and not world.carer.is_listed


def test_provider_admin_records_right_to_work(make, login):
    world = build_world(make)
    carer = make.carer(world.provider, checks=None)
    admin = login(world.admin)
    assert "Has the right to work in the UK" in text(
        admin.get(f"/provider/carers/{carer.id}/profile/checks")
    )
    assert (
        admin.post(
            f"/provider/carers/{carer.id}/profile/checks",
            data={**CHECKS, "right_to_work_checked": "y"},
        ).status_code
        == 302
    )
    db.session.refresh(carer)
    assert carer.check("right_to_work").status == "declared"


def test_insurance_only_for_self_employed_pas(make, login):
    world = build_world(make)
    client = login(world.carer_user)
    assert "insurance" not in text(client.get("/carer/profile/checks")).lower()
    pa_user = make.user(roles=["carer"])
    pa_provider = make.provider(legal_form="self_employed_pa", name="Jo Bloggs PA")
    pa = make.carer(pa_provider, user_id=pa_user.id, checks=None)
    pa_client = login(pa_user)
    assert "Public liability insurance expiry date" in text(pa_client.get("/carer/profile/checks"))
    response = pa_client.post(
        "/carer/profile/checks", data={**CHECKS, **typed("31 12 2030", "insurance_expires_on")}
    )
    assert response.status_code == 302
    db.session.refresh(pa)
    assert pa.check("insurance").expires_on == date(2030, 12, 31)
    bad = pa_client.post(
        "/carer/profile/checks", data={**CHECKS, **typed("soon", "insurance_expires_on")}
    )
    assert bad.status_code == 400 and "The insurance expiry date must include a month" in text(bad)


def test_provider_admin_edits_with_the_same_forms_and_keeps_the_postcode(make, login):
    world = build_world(make)
    admin = login(world.admin)
    form = text(admin.get(f"/provider/carers/{world.carer.id}/profile/about"))
    assert 'name="postcode"' in form and SECRET_POSTCODE not in form
    response = admin.post(
        f"/provider/carers/{world.carer.id}/profile/about",
        data={**ABOUT, "postcode": "", "display_name": "Ana Silva"},
    )
    assert response.status_code == 302
    db.session.refresh(world.carer)
    assert world.carer.display_name == "Ana Silva" and world.carer.postcode == SECRET_POSTCODE


def test_postcode_is_required_when_no_place_is_held(make, login):
    world = build_world(make)
    world.carer.postcode = None
    world.carer.lat = world.carer.lon = None
    db.session.flush()
    response = login(world.carer_user).post("/carer/profile/about", data={**ABOUT, "postcode": ""})
    assert response.status_code == 400 and "Enter a home postcode" in text(response)


def test_carer_placed_by_district_only_keeps_that_place(make, login):
    # Demo and imported carers may have a district and a point but no full postcode.
    world = build_world(make)
    world.carer.postcode = None
    db.session.flush()
    response = login(world.carer_user).post("/carer/profile/about", data={**ABOUT, "postcode": ""})
    assert response.status_code == 302
    db.session.refresh(world.carer)
    assert world.carer.district == "LS6" and world.carer.lat is not None


def test_carer_without_profile_gets_a_clear_404(make, login):
    response = login(make.user(roles=["carer"])).get("/carer/profile")
    assert response.status_code == 404 and "invitation" in text(response)


def test_nav_link_for_carers(make, login):
    world = build_world(make)
    page = text(login(world.carer_user).get("/account"))
    assert 'href="/carer/profile">Your carer profile</a>' in page


def test_postcode_only_on_the_carers_own_edit_form(app, make, login, client):
    """The full postcode appears on one page only: the carer's own "About you" form."""
    world = build_world(make)
    carer_client, admin = login(world.carer_user), login(world.admin)
    compact = SECRET_POSTCODE.replace(" ", "")
    own_form = text(carer_client.get("/carer/profile/about"))
    assert f'value="{SECRET_POSTCODE}"' in own_form

    pages = {
        carer_client: [
            "/carer/profile",
            "/carer/profile/skills",
            "/carer/profile/availability",
            "/carer/profile/checks",
            "/account",
        ],
        admin: [
            "/provider/carers/",
            f"/provider/carers/{world.carer.id}",
            f"/provider/carers/{world.carer.id}/profile/about",
            f"/provider/carers/{world.carer.id}/profile/skills",
            f"/provider/carers/{world.carer.id}/profile/availability",
            f"/provider/carers/{world.carer.id}/profile/checks",
            "/provider/teams/",
            f"/provider/teams/{world.team.id}",
            f"/provider/teams/{world.team.id}/edit",
            "/provider/carers/invite",
        ],
        # Public pages (built by the directory engineer) when they exist in this build.
        client: [
            url
            for url in (
                f"/carers/{world.carer.id}",
                f"/teams/{world.team.id}",
                f"/providers/{world.provider.id}",
                "/search?postcode=LS6",
            )
            if _routed(app, url)
        ],
    }
    for who, urls in pages.items():
        for url in urls:
            response = who.get(url)
            assert response.status_code == 200, (url, response.status_code)
            body = text(response).upper().replace(" ", "")
            assert compact not in body, url
    # Saving a profile never writes the postcode into the audit log either.
    carer_client.post("/carer/profile/about", data={**ABOUT, "postcode": SECRET_POSTCODE})
    details = [row.detail for row in db.session.scalars(sa.select(AuditLog))]
    assert all(compact not in str(d).upper().replace(" ", "") for d in details)


def _routed(app, url: str) -> bool:
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(url.split("?")[0])
    except Exception:  # noqa: BLE001 - NotFound or MethodNotAllowed: not in this build
        return False
    return True
