"""Issue 9, finding 2: only carers whose checks are verified are listed.

What a carer (or their provider) enters is *declared*; the carer's provider admin (a
quality reviewer for a self-employed PA) verifies it, recorded with who and when; public
pages show only verified checks and "Checks confirmed by <provider> on <date>".
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from carers_teams_helpers import build_world, text

from marketplace.carers import checks
from marketplace.catalog_version import current_catalog_version
from marketplace.extensions import db
from marketplace.models import AuditLog, Carer, CarerCheck, Provider, TeamMember

CHECKS_FORM = {
    "dbs_scheme": "dbs",
    "dbs_level": "enhanced_barred",
    "dbs_number": "0012 3456 7890",
    "dbs_issue_date_day": "27",
    "dbs_issue_date_month": "3",
    "dbs_issue_date_year": "2025",
    "dbs_update_service": "yes",
    "care_certificate": "y",
    "right_to_work_checked": "y",
}


def _confirmed_today(organisation: str) -> str:
    return f"Checks confirmed by {organisation} on {checks.long_date(checks.today())}"


# --- a new carer starts unlisted, with a clear list of what is missing ---------------------


def test_a_carer_added_with_only_a_name_and_postcode_is_not_listed(make, login, client):
    world = build_world(make)
    admin = login(world.admin)
    response = admin.post(
        f"/provider/carers/new?provider={world.provider.id}",
        data={"display_name": "Newly Added", "postcode": "LS6 2AB"},
    )
    assert response.status_code == 302
    carer = db.session.scalar(sa.select(Carer).where(Carer.display_name == "Newly Added"))
    assert carer.active and not carer.is_listed
    # Nowhere public: not the carer page, not search, not the match API.
    assert client.get(f"/carers/{carer.id}").status_code == 404
    assert "Newly Added" not in client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    match = client.post("/api/v1/match", json={"postcode": "LS6 1AA", "max_distance_km": 10})
    assert carer.id not in [r["carer_id"] for r in match.json["results"]]
    # The provider's page says what is missing, and who must do it.
    page = text(admin.get(f"/provider/carers/{carer.id}"))
    assert "Not listed" in page and "What is missing before Newly Added is listed" in page
    assert "Criminal record check (DBS, PVG or AccessNI): not entered yet" in page
    assert "Right to work in the UK: not entered yet" in page


def test_checks_the_carer_declares_are_never_shown_publicly_as_fact(make, login, client):
    world = build_world(make)
    carer = make.carer(
        world.provider,
        display_name="Declares Only",
        checks=None,
        user_id=make.user(roles=["carer"]).id,
        care_certificate=True,
    )
    own = login(db.session.get(type(world.carer_user), carer.user_id))
    assert own.post("/carer/profile/checks", data=CHECKS_FORM).status_code == 302
    db.session.refresh(carer)
    assert carer.check("criminal_record").status == "declared" and not carer.is_listed
    assert client.get(f"/carers/{carer.id}").status_code == 404
    # Even once listed, the public page shows only what was verified, never the number
    # or the carer's own statement about the Care Certificate.
    checks.declare(carer, "right_to_work", {}, world.admin.id)  # the provider records it
    checks.verify(carer, world.admin, checks.today())
    db.session.flush()
    page = text(client.get(f"/carers/{carer.id}"))
    assert "Care Certificate" not in page and "001234567890" not in page
    assert "None recorded" not in page


def test_home_page_does_not_overclaim(client):
    page = text(client.get("/"))
    assert "Every provider here has passed our quality checks" not in page
    assert "every carer listed has had their criminal record and right-to-work checks" in page


# --- verification ------------------------------------------------------------------------


def test_provider_admin_verifies_and_the_public_page_says_who_and_when(make, login, client):
    world = build_world(make)
    carer = make.carer(world.provider, display_name="To Verify", checks="declared")
    before = current_catalog_version()
    admin = login(world.admin)
    page = text(admin.get(f"/provider/carers/{carer.id}/checks/verify"))
    assert "Verify To Verify's checks" in page and "Not verified yet" in page
    # Without the confirmation nothing changes.
    refused = admin.post(f"/provider/carers/{carer.id}/checks/verify", data={})
    assert refused.status_code == 400 and "Confirm that you have seen the original" in text(refused)
    db.session.refresh(carer)
    assert not carer.is_listed
    done = admin.post(f"/provider/carers/{carer.id}/checks/verify", data={"confirm": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    carer = db.session.get(Carer, carer.id)
    assert carer.is_listed and current_catalog_version() > before
    record = carer.check("criminal_record")
    assert record.status == "verified" and record.verified_by_user_id == world.admin.id
    assert record.verified_at is not None
    assert record.verified_by_organisation == "Headingley Test Co-op"
    audit = db.session.scalar(
        sa.select(AuditLog).where(
            AuditLog.action == "carer.checks_verified", AuditLog.target_id == carer.id
        )
    )
    assert audit.actor_user_id == world.admin.id
    assert sorted(audit.detail["kinds"]) == ["criminal_record", "right_to_work"]
    public = text(client.get(f"/carers/{carer.id}"))
    assert _confirmed_today("Headingley Test Co-op") in public
    assert "DBS check: enhanced with barred list check" in public
    # The provider's own page names the person who verified.
    assert f"Verified by {world.admin.display_name} for Headingley Test Co-op" in text(
        admin.get(f"/provider/carers/{carer.id}")
    )


def test_the_public_date_is_in_long_form(make):
    carer = make.carer()
    summary = checks.public_checks(carer)
    assert re.fullmatch(
        r"Checks confirmed by Test Care Co-op \d+ on \d{1,2} [A-Z][a-z]+ \d{4}", summary.sentence
    )
    for record in carer.checks:
        record.verified_at = record.verified_at.replace(year=2026, month=5, day=3, hour=9)
    assert checks.public_checks(carer).sentence.endswith("on 3 May 2026")


def test_incomplete_checks_cannot_be_verified(make, login):
    world = build_world(make)
    carer = make.carer(world.provider, display_name="Half Done", checks=None)
    checks.declare(carer, "criminal_record", {"scheme": "dbs", "level": "enhanced"}, None)
    db.session.flush()
    admin = login(world.admin)
    page = text(admin.get(f"/provider/carers/{carer.id}/checks/verify"))
    assert "enter the certificate number, the date of issue" in page
    assert "Right to work in the UK: not entered yet" in page
    response = admin.post(f"/provider/carers/{carer.id}/checks/verify", data={"confirm": "y"})
    assert response.status_code == 400
    db.session.refresh(carer)
    assert carer.check("criminal_record").status == "declared"


def test_an_out_of_date_dbs_cannot_be_verified(make):
    world = build_world(make)
    carer = make.carer(
        world.provider, checks="declared", update_service=False, issued_on=date(2020, 1, 1)
    )
    with pytest.raises(checks.ChecksNotReady, match="more than three years ago"):
        checks.verify(carer, world.admin, date(2026, 6, 1))


def test_changing_a_verified_check_unlists_until_verified_again(make, login):
    world = build_world(make)
    assert world.carer.is_listed
    checks.declare(
        world.carer,
        "criminal_record",
        {**_record_values(world.carer), "certificate_number": "009999999999"},
        world.carer_user.id,
    )
    db.session.flush()
    assert world.carer.check("criminal_record").status == "declared"
    assert not world.carer.is_listed
    # Unchanged details keep the verification.
    other = world.spare
    assert not checks.declare(other, "criminal_record", _record_values(other), None)
    assert other.check("criminal_record").status == "verified"


def _record_values(carer: Carer) -> dict:
    record = carer.check("criminal_record")
    return {name: getattr(record, name) for name in checks.CHECK_FIELDS["criminal_record"]}


def test_a_self_employed_pa_is_verified_by_a_reviewer_not_by_themselves(make, login, client):
    pa_user = make.user(roles=["provider_admin", "carer"])
    pa_provider = make.provider(legal_form="self_employed_pa", name="Jo Bloggs PA", admin=pa_user)
    pa = make.carer(pa_provider, display_name="Jo B.", user_id=pa_user.id, checks="declared")
    assert pa.required_check_kinds == ("criminal_record", "right_to_work", "insurance")
    own = login(pa_user)
    assert own.get(f"/provider/carers/{pa.id}/checks/verify").status_code == 403
    assert "A CoopCare quality reviewer verifies the checks" in text(
        own.get(f"/provider/carers/{pa.id}")
    )
    reviewer = make.user(roles=["reviewer"], display_name="Priya Reviewer")
    as_reviewer = login(reviewer)
    assert "Jo B." in text(as_reviewer.get("/review/carer-checks"))
    assert (
        as_reviewer.post(f"/review/carers/{pa.id}/checks", data={"confirm": "y"}).status_code == 302
    )
    db.session.expire_all()
    pa = db.session.get(Carer, pa.id)
    assert pa.is_listed and pa.check("insurance").verified_by_user_id == reviewer.id
    assert f"/review/carers/{pa.id}/checks" not in as_reviewer.get("/review/carer-checks").get_data(
        as_text=True
    )
    page = text(client.get(f"/carers/{pa.id}"))
    assert _confirmed_today("the CoopCare quality team") in page
    assert "Public liability insurance until 31 December 2030" in page


def test_a_reviewer_cannot_verify_a_co_op_carer(make, login):
    world = build_world(make)
    reviewer = login(make.user(roles=["reviewer"]))
    assert reviewer.get(f"/review/carers/{world.carer.id}/checks").status_code == 403


@pytest.mark.parametrize(
    "who, expected",
    [
        ("anonymous", 302),
        ("person", 403),
        ("carer_own", 403),  # a carer never verifies their own checks
        ("other_provider_admin", 404),  # another provider's carer: not found
        ("reviewer", 403),
        ("admin", 403),  # vouching is the provider's: a platform admin does it by import
        ("provider_admin", 200),
    ],
)
def test_who_may_open_the_verify_page(make, login, client, who, expected):
    world = build_world(make)
    users = {
        "person": make.user(roles=["person"]),
        "carer_own": world.carer_user,
        "other_provider_admin": world.other_admin,
        "reviewer": make.user(roles=["reviewer"]),
        "admin": make.user(roles=["admin"]),
        "provider_admin": world.admin,
    }
    session = client if who == "anonymous" else login(users[who])
    url = f"/provider/carers/{world.carer.id}/checks/verify"
    assert session.get(url).status_code == expected
    post = session.post(url, data={"confirm": "y"})
    assert post.status_code == (302 if who in {"anonymous", "provider_admin"} else expected)


@pytest.mark.parametrize(
    "who, expected",
    [("anonymous", 302), ("person", 403), ("provider_admin", 403), ("reviewer", 200)],
)
def test_who_may_open_the_reviewer_checks_list(make, login, client, who, expected):
    session = client if who == "anonymous" else login(make.user(roles=[who]))
    assert session.get("/review/carer-checks").status_code == expected
    assert session.get("/review/carers/999999/checks").status_code == (
        404 if who == "reviewer" else expected
    )


# --- pause and reactivate say plainly what each side must do ------------------------------


def test_pause_and_reactivate_rules_are_stated(make, login):
    world = build_world(make)
    admin_page = text(login(world.admin).get(f"/provider/carers/{world.carer.id}"))
    assert "Only you (the provider) can pause or reactivate" in admin_page
    assert "Reactivating lists Ana S. again only when their checks are verified" in admin_page
    carer_page = text(login(world.carer_user).get("/carer/profile"))
    assert "Only Headingley Test Co-op can pause or reactivate your profile" in carer_page


def test_reactivating_an_unverified_carer_says_it_is_not_listed(make, login):
    world = build_world(make)
    carer = make.carer(
        world.provider, display_name="Paused Unverified", active=False, checks="declared"
    )
    admin = login(world.admin)
    response = admin.post(f"/provider/carers/{carer.id}/reactivate", follow_redirects=True)
    assert "Paused Unverified is active, but not listed yet" in text(response)


# --- Carer.is_listed / Provider.is_listed: one rule in Python and SQL ------------------------


def test_is_listed_agrees_in_python_and_sql(make):
    approved = make.provider()
    pa_provider = make.provider(legal_form="self_employed_pa")
    cases = {
        "verified": make.carer(approved),
        "declared": make.carer(approved, checks="declared"),
        "nothing": make.carer(approved, checks=None),
        "paused": make.carer(approved, active=False),
        "draft provider": make.carer(make.provider(qa_status="draft")),
        "suspended provider": make.carer(make.provider(qa_status="suspended")),
        "pa verified": make.carer(pa_provider),
        "no provider": make.carer(provider_id=None),
    }
    lapsed = make.carer(approved)
    lapsed.check("criminal_record").status = "lapsed"
    cases["lapsed"] = lapsed
    pa_without_insurance = make.carer(pa_provider)
    pa_without_insurance.checks.remove(pa_without_insurance.check("insurance"))
    cases["pa without insurance"] = pa_without_insurance
    db.session.flush()
    in_sql = set(db.session.scalars(sa.select(Carer.id).where(Carer.is_listed)))
    in_python = {c.id for c in cases.values() if c.is_listed}
    assert in_python == {cases["verified"].id, cases["pa verified"].id}
    assert in_sql & {c.id for c in cases.values()} == in_python
    listed_providers = set(db.session.scalars(sa.select(Provider.id).where(Provider.is_listed)))
    assert approved.id in listed_providers and approved.is_listed
    draft = cases["draft provider"].provider
    assert draft.id not in listed_providers and not draft.is_listed


# --- the automatic catalog version bump ---------------------------------------------------


def test_catalog_version_bumps_by_itself_on_any_listing_change(make):
    world = build_world(make)
    steps = [
        lambda: setattr(world.carer, "skills", ["cooking"]),
        lambda: setattr(world.carer.check("right_to_work"), "status", "lapsed"),
        lambda: db.session.add(TeamMember(team_id=world.team.id, carer_id=world.spare.id, seat=2)),
        lambda: setattr(world.provider, "name", "Renamed Co-op"),
        lambda: db.session.delete(world.spare.check("criminal_record")),
        lambda: db.session.execute(sa.update(CarerCheck).values(update_service=False)),
    ]
    for step in steps:
        before = current_catalog_version()
        step()
        db.session.flush()
        assert current_catalog_version() == before + 1


def test_editing_a_draft_provider_does_not_bump(make):
    draft = make.provider(qa_status="draft")
    db.session.flush()
    before = current_catalog_version()
    draft.description = "Still writing this."
    db.session.flush()
    assert current_catalog_version() == before


def test_no_manual_bumps_are_left():
    from pathlib import Path

    import marketplace

    root = Path(marketplace.__file__).parent
    callers = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if "bump_catalog_version(" in path.read_text(encoding="utf-8")
    ]
    assert callers == ["catalog_version.py"]


def test_public_checks_is_none_unless_everything_is_verified(make):
    carer = make.carer(checks="declared")
    assert checks.public_checks(carer) is None
    gaps = checks.listing_gaps(carer, checks.today())
    assert any("entered but not verified" in gap for gap in gaps)
