"""The app-wide permission matrix: every route in ``app.url_map`` × every kind of user.

Each row is one request (method, address, form) and the status each kind of user gets.
``test_every_route_is_in_the_matrix`` fails when a route is added without a row, so a
new page cannot ship without someone deciding who may use it. Object-level rows ask
for this provider's and another provider's carer, team and evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from qa_helpers import add_evidence, ready_provider

from marketplace import clock
from marketplace.extensions import db
from marketplace.models import IntroductionMessage, SavedSearch, ShortlistEntry, TeamMember, utcnow

WHO = [
    "anonymous",
    "person",
    "supporter_view",  # a supporter whose grant from the person covers "view"
    "supporter_message",
    "supporter_pay",
    "supporter_expired",  # the grant covered every scope, and ended yesterday
    "supporter_none",  # a supporter with no grant from anyone
    "carer",  # the carer of this provider, on their own profile
    "this_admin",  # an admin of this provider
    "other_admin",  # an admin of another provider
    "reviewer",
    "admin",
]
# More kinds of supporter, asked of every route too. Each expects what the column named
# here expects, unless OVERRIDES below says otherwise for a row (so rows written before
# these kinds existed hold for them without being rewritten).
EXTRA_WHO = {
    "supporter_introductions": "supporter_message",  # manage_introductions only
    "supporter_revoked": "supporter_expired",  # every scope, revoked by the person
    "supporter_other_person": "supporter_none",  # every scope, from a different person
}
ALL_SCOPES = ["view", "message", "manage_introductions", "pay"]
COUNCIL = "E08000035"  # Leeds


@dataclass
class World:
    clients: dict[str, Any]
    values: dict[str, Any]


def _world(app, make, login, tmp_path, with_arrangements: bool = True) -> World:
    this_admin = make.user(roles=["provider_admin"])
    other_admin = make.user(roles=["provider_admin"])
    provider = ready_provider(make, status="draft", admin=this_admin, upload_folder=tmp_path)
    other = ready_provider(
        make, status="approved", admin=other_admin, upload_folder=tmp_path, name="Other Co-op"
    )
    submitted = make.provider(qa_status="submitted", name="Waiting Co-op")
    next_year = clock.today() + timedelta(days=365)
    evidence = add_evidence(provider, "cqc_registration", next_year, upload_folder=tmp_path)
    other_evidence = add_evidence(other, "cqc_registration", next_year, upload_folder=tmp_path)
    carer_user = make.user(roles=["carer"])
    carer = make.carer(provider, display_name="Ana S.", user_id=carer_user.id)
    other_carer = make.carer(other, display_name="Bob T.")
    pa_business = make.provider(legal_form="self_employed_pa", name="Cath Jones PA")
    pa = make.carer(pa_business, display_name="Cath J.")
    team = make.team(provider, name="Headingley North")
    other_team = make.team(other, name="Other North")
    db.session.add(TeamMember(team_id=team.id, carer_id=carer.id, seat=1, role="member"))
    person_user = make.user(roles=["person"])
    supporters = {
        name: make.user(roles=["supporter"]) for name in [*WHO, *EXTRA_WHO] if "supporter" in name
    }
    grants = {
        scope: make.consent(person_user.person, supporters[f"supporter_{scope}"], [scope])
        for scope in ("view", "message", "pay")
    }
    make.consent(
        person_user.person, supporters["supporter_introductions"], ["manage_introductions"]
    )
    make.consent(
        person_user.person,
        supporters["supporter_expired"],
        ALL_SCOPES,
        starts_at=utcnow() - timedelta(days=30),
        ends_at=utcnow() - timedelta(days=1),
    )
    make.consent(
        person_user.person,
        supporters["supporter_revoked"],
        ALL_SCOPES,
        status="revoked",
        revoked_at=utcnow() - timedelta(hours=1),
    )
    olive = make.user(roles=["person"], display_name="Olive Other").person  # a different person
    other_grant = make.consent(olive, supporters["supporter_other_person"], ALL_SCOPES)
    invitation, invite_token = _invitation(person_user.person, "invitee@example.org")
    other_invitation, _ = _invitation(olive, "someone@example.org")
    budget = make.budget(person_user.person)
    isf = make.budget(
        person_user.person, funding_route="individual_service_fund", holder_provider_id=provider.id
    )
    # Shortlists and saved searches: the person's own, and another person's.
    other_person = make.user(roles=["person"]).person
    entry = ShortlistEntry(person_id=person_user.person.id, carer_id=other_carer.id, note="x")
    other_entry = ShortlistEntry(person_id=other_person.id, carer_id=other_carer.id)
    db.session.add_all(
        [entry, other_entry, ShortlistEntry(person_id=person_user.person.id, team_id=other_team.id)]
    )
    saved = SavedSearch(person_id=person_user.person.id, outcode="LS6", radius_km=10, key="a")
    other_saved = SavedSearch(person_id=other_person.id, outcode="LS6", radius_km=10, key="a")
    db.session.add_all([saved, other_saved])
    memberships = _membership_rows(provider, other, person_user.person, make)
    invoices = _invoice_rows(provider, budget, isf)
    # Introductions: the person's to this provider's carer (with a reported message on its
    # thread), and another person's to the other provider's carer.
    introduction = make.introduction(person=person_user.person, carer=carer)
    other_introduction = make.introduction(person=other_person, carer=other_carer)
    message = IntroductionMessage(
        introduction_id=introduction.id,
        author_user_id=person_user.id,
        side="person",
        body="Hello",
        reported_at=utcnow(),
    )
    other_message = IntroductionMessage(
        introduction_id=other_introduction.id,
        author_user_id=other_person.user_id,
        side="person",
        body="Hello",
    )
    db.session.add_all([message, other_message])
    db.session.flush()
    arrangement_ids = {}
    if with_arrangements:  # only the rows that need them: the matrix is run often
        arranged, other_arranged, other_review = _arrangements(
            make, person_user, provider, this_admin, carer, other, other_admin, other_carer
        )
        arrangement_ids = {
            "arrangement": arranged.id,
            "other_arrangement": other_arranged.id,
            "other_review": other_review.id,
            "met": make.introduction(person_user.person, carer, status="meeting").id,
            "other_met": make.introduction(person_user.person, other_carer, status="meeting").id,
        }
    users = {
        "person": person_user,
        **supporters,
        "carer": carer_user,
        "this_admin": this_admin,
        "other_admin": other_admin,
        "reviewer": make.user(roles=["reviewer"]),
        "admin": make.user(roles=["admin"]),
    }
    clients = {name: login(user) for name, user in users.items()}
    clients["anonymous"] = app.test_client()
    values = {
        "provider": provider.id,
        "other_provider": other.id,
        "submitted": submitted.id,
        "evidence": evidence.id,
        "other_evidence": other_evidence.id,
        "carer": carer.id,
        "other_carer": other_carer.id,
        "pa": pa.id,
        "team": team.id,
        "other_team": other_team.id,
        "council": COUNCIL,
        "budget": budget.id,
        "isf": isf.id,
        "person": person_user.person.id,
        "intro": introduction.id,
        "other_intro": other_introduction.id,
        "message": message.id,
        "other_message": other_message.id,
        "entry": entry.id,
        "other_entry": other_entry.id,
        "saved": saved.id,
        "other_saved": other_saved.id,
        **memberships,
        **invoices,
        **arrangement_ids,
        "grant": grants["view"].id,
        "other_grant": other_grant.id,
        "invitation": invitation.id,
        "other_invitation": other_invitation.id,
        "invite_token": invite_token,
    }
    return World(clients, values)


def _membership_rows(provider, other, person, make) -> dict[str, int]:
    """A plan of each provider; the person's (demo, so no Stripe) membership of this
    provider's plan with a reviewed month; another person's membership of the other's."""
    from marketplace.models import (
        Membership,
        MembershipInvoice,
        MembershipPlan,
        MembershipStart,
        OutcomeReview,
        OutcomeReviewLine,
    )

    def plan(owner):
        row = MembershipPlan(provider_id=owner.id, name="Living well", monthly_price_pence=45_000,
                             included="Weekly visits", outcomes=["Sleeps well"])  # fmt: skip
        db.session.add(row)
        db.session.flush()
        return row

    this_plan, other_plan = plan(provider), plan(other)
    stranger = make.person()

    def membership(of_plan, who, sub):
        row = Membership(plan_id=of_plan.id, person_id=who.id, stripe_subscription_id=sub,
                         status="active", status_observed_at=1, current_period_end=2_000_000_000,
                         outcomes=["Sleeps well"], demo=True)  # fmt: skip
        db.session.add(row)
        db.session.flush()
        return row

    mine = membership(this_plan, person, "sub_demo_matrix")
    theirs = membership(other_plan, stranger, "sub_demo_matrix_other")
    invoice = MembershipInvoice(stripe_invoice_id="in_demo_matrix", membership_id=mine.id,
                                status="paid", amount_due_pence=45_000, amount_paid_pence=45_000,
                                observed_at=1)  # fmt: skip
    db.session.add(invoice)
    db.session.flush()
    review = OutcomeReview(membership_id=mine.id, membership_invoice_id=invoice.id, status="open")
    review.lines = [OutcomeReviewLine(position=1, outcome="Sleeps well", person_comment="",
                                      team_comment="")]  # fmt: skip
    start = MembershipStart(token="matrix-token-0123456789", plan_id=other_plan.id,
                            person_id=person.id, user_id=person.user_id)  # fmt: skip
    db.session.add_all([review, start])
    db.session.flush()
    return {
        "plan": this_plan.id,
        "other_plan": other_plan.id,
        "membership": mine.id,
        "other_membership": theirs.id,
        "review": review.id,
        "start": start.id,
    }


def _invoice_rows(provider, budget, isf) -> dict[str, int]:
    """This provider's invoice waiting for the person's answer on their budget, and an
    approved one on the individual service fund this provider holds."""
    from marketplace.models import ProviderInvoice

    def invoice(on, reference, status):
        row = ProviderInvoice(provider_id=provider.id, budget_id=on.id, reference=reference,
                              description="Visits", category="agency_care", minutes=60,
                              rate_pence=2000, amount_pence=2000, status=status)  # fmt: skip
        db.session.add(row)
        db.session.flush()
        return row

    return {
        "invoice": invoice(budget, "MX-1", "raised").id,
        "isf_invoice": invoice(isf, "MX-2", "approved").id,
    }


def _arrangements(make, person_user, provider, admin, carer, other, other_admin, other_carer):
    """The person's agreed arrangement with this provider (the carer in it), and another
    person's with the other provider, which has a review."""
    from arrangements_helpers import Setup, terms

    from marketplace.arrangements import services as arrangement_services
    from marketplace.reviews import services as review_services

    def agreed(setup):
        arrangement = arrangement_services.propose_arrangement(
            person=setup.person, provider=setup.provider, team=None,
            terms=terms(setup, carer_ids=(setup.carers[0].id,), starts_on=clock.today()),
            actor=setup.admin,  # starting today: reviews wait for the start
        )  # fmt: skip
        arrangement_services.decide(arrangement, 1, "accept", setup.person_user)
        return arrangement

    mine = agreed(Setup(provider, admin, None, [carer], [], person_user.person, person_user))
    someone = make.user(roles=["person"])
    theirs = agreed(Setup(other, other_admin, None, [other_carer], [], someone.person, someone))
    review = review_services.write(
        theirs, {"respect": 5, "reliability": 4, "listening": 5, "outcomes": 4}, "Kind.", someone
    )
    db.session.flush()
    return mine, theirs, review


def _invitation(person, email: str):
    """A real invitation from ``person`` to ``email``, and the secret in its link."""
    import re

    import sqlalchemy as sa

    from marketplace.models import OutboxEmail
    from marketplace.supporters import services

    invitation = services.invite(
        person,
        person.user,
        services.InvitationRequest(email, "Invitee", "friend", ["view"], None),
    )
    body = db.session.scalars(
        sa.select(OutboxEmail.body).where(OutboxEmail.to_address == email)
    ).one()
    return invitation, re.search(r"/supporter-invitation/([\w-]+)", body).group(1)


@pytest.fixture
def world(app, make, login, monkeypatch, request, shared_rows):
    from conftest import copy_client

    from marketplace.extensions import limiter

    # Flask-Limiter keeps one `enabled` flag per process; a rate-limit test that built its
    # own app may have left it on. The matrix asks who may, not how often.
    monkeypatch.setattr(limiter, "enabled", False)
    params = getattr(request.node, "callspec", None)
    url = str(params.params.get("url", "")) if params is not None else ""
    keys = ("{arrangement}", "{other_arrangement}", "{other_review}", "{met}", "{other_met}")
    needs = any(key in url for key in keys)

    def build(folder):
        monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
        return _world(app, make, login, folder, with_arrangements=needs)

    # Built once for the tests in a row that need the same world, each test rolled back
    # to it (tests/conftest.py, SharedRows), with clients of its own.
    built, folder = shared_rows.get(("permission matrix", needs), build)
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    clients = {name: copy_client(app, client) for name, client in built.clients.items()}
    return World(clients, built.values)


def _feed_id(client, collection: str) -> str:
    """The id of the first item in an Open Referral collection (ids are UUIDs)."""
    return client.get(f"/api/openreferral/v3/{collection}").get_json()["contents"][0]["id"]


def request_as(world: World, who: str, method: str, url: str, data: Any):
    values = dict(world.values)
    anonymous = world.clients["anonymous"]
    for key, collection in (
        ("or_service", "services"),
        ("or_sal", "service_at_locations"),
        ("or_taxonomy", "taxonomies"),
        ("or_term", "taxonomy_terms"),
    ):
        if "{" + key + "}" in url:
            values[key] = _feed_id(anonymous, collection)
    url = url.format(**values)
    client = world.clients[who]
    if method == "GET":
        return client.get(url)
    if isinstance(data, dict) and data.get("__json__"):
        return client.post(url, json=data["__json__"])
    form = {k: v.format(**values) if isinstance(v, str) else v for k, v in (data or {}).items()}
    return client.post(url, data=form)


STEP = "legal-form"
SOON = f"{clock.today() + timedelta(days=30):%d/%m/%Y} 10:30"  # a time to meet, next month
OK, GO, BAD, NO, NF, CONFLICT = 200, 302, 400, 403, 404, 409
EVERYONE_200, EVERYONE_404 = [OK] * len(WHO), [NF] * len(WHO)
# Expected statuses, one per kind of user, in WHO order:
#   anonymous, person, supporter_view, supporter_message, supporter_pay, supporter_expired,
#   supporter_none, carer, this_admin, other_admin, reviewer, admin
# GO (302) for anonymous is a redirect to the login page; NO (403) forbidden; NF (404) not
# found or hidden; BAD (400) allowed but the input was wrong; CONFLICT (409) a move refused.
ROWS: list[tuple[str, str, Any, list[int]]] = [
    # Public pages
    ("GET", "/", None, EVERYONE_200),
    ("GET", "/about", None, EVERYONE_200),
    ("GET", "/accessibility", None, EVERYONE_200),
    ("GET", "/search?postcode=LS6+1AA", None, EVERYONE_200),
    ("GET", "/councils", None, EVERYONE_200),
    ("GET", "/councils/{council}", None, EVERYONE_200),
    ("GET", "/councils/{council}/providers.csv", None, EVERYONE_200),
    ("GET", "/providers/{other_provider}", None, EVERYONE_200),
    ("GET", "/providers/{provider}", None, EVERYONE_404),  # a draft is not public
    ("GET", "/carers/{other_carer}", None, EVERYONE_200),
    ("GET", "/teams/{other_team}", None, EVERYONE_200),
    ("GET", "/carers/{other_carer}/easy-read", None, EVERYONE_200),
    ("GET", "/carers/{carer}/easy-read", None, EVERYONE_404),  # a draft provider's carer
    ("GET", "/teams/{other_team}/easy-read", None, EVERYONE_200),
    ("GET", "/teams/{team}/easy-read", None, EVERYONE_404),  # a draft provider's team
    ("GET", "/static/coopcare.js", None, EVERYONE_200),
    ("GET", "/map", None, EVERYONE_200),
    ("GET", "/sitemap.xml", None, EVERYONE_200),
    ("GET", "/robots.txt", None, EVERYONE_200),
    ("GET", "/favicon.ico", None, EVERYONE_200),
    # Accounts
    ("GET", "/login", None, [OK, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO]),
    ("POST", "/login", {"email": "nobody@example.org", "password": "wrong password"},
     [OK, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO]),
    ("GET", "/logout", None, EVERYONE_200),
    ("POST", "/logout", {}, [GO, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO]),
    ("GET", "/register", None, [OK, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO]),
    ("POST", "/register", {"email": "not-an-email"},
     [OK, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO]),
    ("GET", "/register/confirm/not-a-real-token", None,
     [BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD]),
    ("GET", "/reset-password", None, EVERYONE_200),
    ("POST", "/reset-password", {"email": "nobody@example.org"}, EVERYONE_200),
    ("GET", "/reset-password/not-a-real-token", None,
     [BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD]),
    ("POST", "/reset-password/not-a-real-token", {"password": "x"},
     [BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD]),
    ("GET", "/account", None, [GO, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ("GET", "/account/export", None, [GO, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ("GET", "/account/delete", None, [GO, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ("POST", "/account/delete", {"password": "not the password"},
     [GO, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD]),
    ("GET", "/notifications", None, [GO, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    # A person's own profile: only the account holder (admins hold no profile)
    ("GET", "/profile", None, [GO, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/profile", {}, [GO, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/notifications/read", {}, [GO, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO, GO]),
    # The JSON API and the Open Referral feed: public
    ("GET", "/api/v1/health", None, EVERYONE_200),
    ("GET", "/api/v1/vocabulary", None, EVERYONE_200),
    ("GET", "/api/v1/openapi.json", None, EVERYONE_200),
    ("GET", "/api/v1/geo/LS6 1AA", None, EVERYONE_200),
    ("GET", "/api/v1/providers?postcode=LS6+1AA", None, EVERYONE_200),
    ("GET", "/api/v1/providers/{other_provider}", None, EVERYONE_200),
    ("GET", "/api/v1/providers/{provider}", None, EVERYONE_404),  # a draft is not public
    ("GET", "/api/v1/providers.geojson", None, EVERYONE_200),
    ("POST", "/api/v1/match", {"__json__": {"postcode": "LS6 1AA"}}, EVERYONE_200),
    ("GET", "/api/openreferral/v3/", None, EVERYONE_200),
    ("GET", "/api/openreferral/v3/openapi.json", None, EVERYONE_200),
    ("GET", "/api/openreferral/v3/services", None, EVERYONE_200),
    ("GET", "/api/openreferral/v3/services/{or_service}", None, EVERYONE_200),
    ("GET", "/api/openreferral/v3/service_at_locations", None, EVERYONE_200),
    ("GET", "/api/openreferral/v3/service_at_locations/{or_sal}", None, EVERYONE_200),
    ("GET", "/api/openreferral/v3/taxonomies", None, EVERYONE_200),
    ("GET", "/api/openreferral/v3/taxonomies/{or_taxonomy}", None, EVERYONE_200),
    ("GET", "/api/openreferral/v3/taxonomy_terms", None, EVERYONE_200),
    ("GET", "/api/openreferral/v3/taxonomy_terms/{or_term}", None, EVERYONE_200),
    # Provider admins: their organisation
    ("GET", "/provider", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("GET", "/provider?provider={other_provider}", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, OK, NO, OK]),
    ("POST", "/provider/switch", {"provider_id": "{provider}"},
     [GO, NO, NO, NO, NO, NO, NO, NO, GO, NO, NO, GO]),
    ("POST", "/provider/switch", {"provider_id": "{other_provider}"},
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, GO, NO, GO]),
    ("POST", "/provider/submit", {}, [GO, NO, NO, NO, NO, NO, NO, NO, GO, CONFLICT, NO, GO]),
    ("POST", "/provider/notifications/read", {}, [GO, NO, NO, NO, NO, NO, NO, NO, GO, GO, NO, GO]),
    ("GET", "/provider/onboarding", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("GET", "/provider/onboarding/check", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, GO]),
    ("GET", f"/provider/onboarding/{STEP}", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, GO]),
    ("POST", "/provider/onboarding/rate", {"hourly_rate": "20"},
     [GO, NO, NO, NO, NO, NO, NO, NO, GO, GO, NO, GO]),
    ("GET", "/provider/evidence", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, GO]),
    ("POST", "/provider/evidence", {}, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, GO]),
    ("GET", "/provider/evidence/{evidence}/download", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, OK, NF, OK, OK]),
    ("GET", "/provider/evidence/{other_evidence}/download", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NF, OK, OK, OK]),
    ("GET", "/provider/evidence/999999/download", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NF, NF, NF, NF]),
    # Provider admins: carers
    ("GET", "/provider/carers/", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("GET", "/provider/carers/?provider={other_provider}", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, OK, NO, OK]),
    ("GET", "/provider/carers/new", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("POST", "/provider/carers/new", {"display_name": "Dee E.", "postcode": "LS6 2AB"},
     [GO, NO, NO, NO, NO, NO, NO, NO, GO, GO, NO, OK]),
    ("GET", "/provider/carers/invite", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("POST", "/provider/carers/invite", {"carer": "new", "display_name": "Eve F.",
                                          "email": "eve@example.org"},
     [GO, NO, NO, NO, NO, NO, NO, NO, GO, GO, NO, OK]),
    ("GET", "/provider/carers/{carer}", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, NF, NO, OK]),
    ("GET", "/provider/carers/{other_carer}", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NF, OK, NO, OK]),
    ("POST", "/provider/carers/{carer}/pause", {},
     [GO, NO, NO, NO, NO, NO, NO, NO, GO, NF, NO, GO]),
    ("POST", "/provider/carers/{other_carer}/pause", {},
     [GO, NO, NO, NO, NO, NO, NO, NO, NF, GO, NO, GO]),
    ("POST", "/provider/carers/{carer}/reactivate", {},
     [GO, NO, NO, NO, NO, NO, NO, NO, GO, NF, NO, GO]),
    ("GET", "/provider/carers/{carer}/profile/about", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, OK, NF, NO, OK]),
    ("GET", "/provider/carers/{other_carer}/profile/about", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NF, OK, NO, OK]),
    ("GET", "/provider/carers/{carer}/checks/verify", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, OK, NF, NO, NO]),  # only its own provider vouches
    ("GET", "/provider/carers/{other_carer}/checks/verify", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NF, OK, NO, NO]),
    ("POST", "/provider/carers/{carer}/checks/verify", {},
     [GO, NO, NO, NO, NO, NO, NO, NO, BAD, NF, NO, NO]),
    ("POST", "/provider/carers/{carer}/profile/availability", {"availability": ["mon-am"]},
     [GO, NO, NO, NO, NO, NO, NO, NO, GO, NF, NO, GO]),
    ("GET", "/provider/carers/{carer}/profile/preferences", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, OK, NF, NO, OK]),
    ("POST", "/provider/carers/{carer}/profile/preferences",
     {"pets_ok": ["dogs"], "smoking_ok": "no"}, [GO, NO, NO, NO, NO, NO, NO, NO, GO, NF, NO, GO]),
    ("POST", "/provider/carers/{other_carer}/profile/preferences",
     {"pets_ok": ["dogs"], "smoking_ok": "no"}, [GO, NO, NO, NO, NO, NO, NO, NO, NF, GO, NO, GO]),
    # Provider admins: teams
    ("GET", "/provider/teams/", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("GET", "/provider/teams/new", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("POST", "/provider/teams/new", {"name": "Meanwood", "patch": "LS6"},
     [GO, NO, NO, NO, NO, NO, NO, NO, GO, GO, NO, OK]),
    ("GET", "/provider/teams/{team}", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, NF, NO, OK]),
    ("GET", "/provider/teams/{other_team}", None, [GO, NO, NO, NO, NO, NO, NO, NO, NF, OK, NO, OK]),
    ("GET", "/provider/teams/{team}/edit", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, NF, NO, OK]),
    ("POST", "/provider/teams/{team}/edit", {"name": "Headingley South", "patch": "LS6"},
     [GO, NO, NO, NO, NO, NO, NO, NO, GO, NF, NO, GO]),
    ("GET", "/provider/teams/{team}/delete", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, OK, NF, NO, OK]),
    ("POST", "/provider/teams/{team}/delete", {}, [GO, NO, NO, NO, NO, NO, NO, NO, GO, NF, NO, GO]),
    ("POST", "/provider/teams/{other_team}/delete", {},
     [GO, NO, NO, NO, NO, NO, NO, NO, NF, GO, NO, GO]),
    ("POST", "/provider/teams/{team}/members", {"carer": "{carer}"},
     [GO, NO, NO, NO, NO, NO, NO, NO, BAD, NF, NO, BAD]),
    ("POST", "/provider/teams/{team}/members/{carer}/remove", {},
     [GO, NO, NO, NO, NO, NO, NO, NO, GO, NF, NO, GO]),
    ("POST", "/provider/teams/{team}/roles", {"coach": "{carer}", "circles_connector": ""},
     [GO, NO, NO, NO, NO, NO, NO, NO, GO, NF, NO, GO]),
    # Carers: their own profile, and invitations
    ("GET", "/carer/profile", None, [GO, NO, NO, NO, NO, NO, NO, OK, NO, NO, NO, NF]),
    ("GET", "/carer/profile/about", None, [GO, NO, NO, NO, NO, NO, NO, OK, NO, NO, NO, NF]),
    ("POST", "/carer/profile/availability", {"availability": ["tue-pm"]},
     [GO, NO, NO, NO, NO, NO, NO, GO, NO, NO, NO, NF]),
    ("GET", "/carer/profile/preferences", None, [GO, NO, NO, NO, NO, NO, NO, OK, NO, NO, NO, NF]),
    ("POST", "/carer/profile/preferences", {"pets_ok": ["cats"], "smoking_ok": "yes"},
     [GO, NO, NO, NO, NO, NO, NO, GO, NO, NO, NO, NF]),
    ("GET", "/carer/invitation/not-a-real-token", None,
     [BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD]),
    ("POST", "/carer/invitation/not-a-real-token", {},
     [BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD]),
    # Reviewers
    ("GET", "/review", None, [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, OK, OK]),
    ("GET", "/review/providers/{submitted}", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, OK, OK]),
    ("POST", "/review/providers/{submitted}", {"action": "request_changes",
                                                "comment": "Please fix."},
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, GO, GO]),
    ("GET", "/review/carer-checks", None, [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, OK, OK]),
    ("GET", "/review/carers/{pa}/checks", None, [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, OK, OK]),
    ("GET", "/review/carers/{carer}/checks", None,  # a provider's carer: its provider vouches
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/review/carers/{pa}/checks", {}, [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, BAD, BAD]),
    ("GET", "/review/providers/999999", None, [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NF, NF]),
    # Stripe's webhook: only a correctly signed event counts, whoever sends it
    ("POST", "/payments/stripe/webhook", {"__json__": {"id": "evt_1", "type": "x"}},
     [BAD] * len(WHO)),
    # Budgets: the person, supporters with the view or pay scope, the provider holding an
    # individual service fund (isf, held by this provider), and admins
    ("GET", "/budgets", None, [GO, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ("GET", "/budgets/{budget}", None, [GO, OK, OK, NF, OK, NF, NF, NF, NF, NF, NF, OK]),
    ("GET", "/budgets/{isf}", None, [GO, OK, OK, NF, OK, NF, NF, NF, OK, NF, NF, OK]),
    ("GET", "/budgets/999999", None, [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("GET", "/budgets/{budget}/statement", None,
     [GO, OK, OK, NF, OK, NF, NF, NF, NF, NF, NF, OK]),
    ("GET", "/budgets/{isf}/statement?from=2026-01-01&to=2026-01-31", None,
     [GO, OK, OK, NF, OK, NF, NF, NF, OK, NF, NF, OK]),
    ("GET", "/budgets/{budget}/statement.csv", None,
     [GO, OK, OK, NF, OK, NF, NF, NF, NF, NF, NF, OK]),
    ("GET", "/budgets/{isf}/statement.csv", None,
     [GO, OK, OK, NF, OK, NF, NF, NF, OK, NF, NF, OK]),
    ("GET", "/budgets/{isf}/entries/new", None, [GO, NO, NO, NF, NO, NF, NF, NF, OK, NF, NF, OK]),
    ("POST", "/budgets/{isf}/entries/new", {}, [GO, NO, NO, NF, NO, NF, NF, NF, BAD, NF, NF, BAD]),
    ("GET", "/budgets/{budget}/entries/new", None,
     [GO, NO, NO, NF, NO, NF, NF, NF, NF, NF, NF, NO]),
    # Setting up and changing a budget: the person, a supporter with the pay scope, admins
    # (who see the person but may not pay: 403; who has nothing to do with them: 404)
    ("GET", "/budgets/new?person={person}", None,
     [GO, OK, NO, NO, OK, NF, NF, NF, NF, NF, NF, OK]),
    ("POST", "/budgets/new?person={person}", {},
     [GO, BAD, NO, NO, BAD, NF, NF, NF, NF, NF, NF, BAD]),
    ("GET", "/budgets/{budget}/edit", None, [GO, OK, NO, NF, OK, NF, NF, NF, NF, NF, NF, OK]),
    ("GET", "/budgets/{isf}/edit", None, [GO, OK, NO, NF, OK, NF, NF, NF, NO, NF, NF, OK]),
    ("POST", "/budgets/{budget}/edit", {}, [GO, BAD, NO, NF, BAD, NF, NF, NF, NF, NF, NF, BAD]),
    # Provider invoices: the provider raises and answers (/provider/invoices); the person
    # or a supporter with pay approves, queries and pays; for an individual service fund
    # the provider holding it pays; either side and admins see it
    ("GET", "/provider/invoices", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("GET", "/provider/invoices/new", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("POST", "/provider/invoices/new", {}, [GO, NO, NO, NO, NO, NO, NO, NO, BAD, BAD, NO, OK]),
    ("GET", "/provider/invoices/{invoice}", None,
     [GO, NO, NO, NF, NO, NF, NF, NF, OK, NF, NF, OK]),
    ("GET", "/provider/invoices/999999", None, [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("GET", "/provider/invoices/{invoice}/amend", None,  # only a queried invoice changes
     [GO, NO, NO, NF, NO, NF, NF, NF, CONFLICT, NF, NF, CONFLICT]),
    ("POST", "/provider/invoices/{invoice}/amend", {},
     [GO, NO, NO, NF, NO, NF, NF, NF, CONFLICT, NF, NF, CONFLICT]),
    ("POST", "/provider/invoices/{invoice}/reply", {},
     [GO, NO, NO, NF, NO, NF, NF, NF, BAD, NF, NF, BAD]),
    ("POST", "/provider/invoices/{invoice}/withdraw", {},
     [GO, NO, NO, NF, NO, NF, NF, NF, BAD, NF, NF, BAD]),
    ("GET", "/invoices/{invoice}", None, [GO, OK, OK, NF, OK, NF, NF, NF, OK, NF, NF, OK]),
    ("GET", "/invoices/{isf_invoice}", None, [GO, OK, OK, NF, OK, NF, NF, NF, OK, NF, NF, OK]),
    ("GET", "/invoices/999999", None, [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("POST", "/invoices/{invoice}/approve", {}, [GO, GO, NO, NF, GO, NF, NF, NF, NO, NF, NF, NO]),
    ("POST", "/invoices/{invoice}/query", {}, [GO, BAD, NO, NF, BAD, NF, NF, NF, NO, NF, NF, NO]),
    ("POST", "/invoices/{invoice}/pay/bank-transfer", {},
     [GO, BAD, NO, NF, BAD, NF, NF, NF, NO, NF, NF, NO]),
    ("POST", "/invoices/{isf_invoice}/pay/bank-transfer", {},
     [GO, NO, NO, NF, NO, NF, NF, NF, BAD, NF, NF, NO]),
    ("POST", "/invoices/{invoice}/pay/card", {},  # no Stripe here: 503, nothing changes
     [GO, 503, NO, NF, 503, NF, NF, NF, NO, NF, NF, NO]),
    ("POST", "/invoices/{invoice}/pay/card/check", {},  # "Check with Stripe again": as paying
     [GO, 503, NO, NF, 503, NF, NF, NF, NO, NF, NF, NO]),
    # Shortlists: a visitor's (in the session) or the person's own; a supporter with view
    # consent reads the person's (the one they act for, or ?person=); changing it needs
    # manage_introductions; another person's entry or search is not found
    ("GET", "/shortlist", None, [OK, OK, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/shortlist?person={person}", None, [NF, OK, OK, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("GET", "/shortlist/compare?item=carer-{other_carer}&item=team-{other_team}", None,
     [BAD, OK, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO]),  # a visitor's own list is empty
    ("GET", "/shortlist/compare?person={person}&item=carer-{other_carer}&item=team-{other_team}",
     None, [NF, OK, OK, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("POST", "/shortlist/add", {"item": "carer-{other_carer}", "next": "/search"},
     [GO, GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/shortlist/add", {"item": "carer-{carer}"},  # a draft provider's: not public
     [NF, NF, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/shortlist/remove", {"item": "carer-{other_carer}", "next": "/search"},
     [GO, GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/shortlist/notes/{entry}", {"note": "Kind"},
     [GO, GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("POST", "/shortlist/notes/{other_entry}", {"note": "Mine now"},
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    # Saved searches: only the person whose searches they are
    ("GET", "/saved-searches", None, [GO, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/saved-searches/new?postcode=LS6", None,
     [OK, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/saved-searches", {"postcode": "LS6", "radius_km": "5"},
     [GO, GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/saved-searches/{saved}/delete", {},
     [GO, GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("POST", "/saved-searches/{other_saved}/delete", {},
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    # Memberships for outcomes: plans (provider admins), starting one (the person or a
    # supporter with pay), the status page (the person, supporters with view or pay, the
    # plan's provider, admins), changes (the payer), the monthly review (each side).
    ("GET", "/provider/plans", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("GET", "/provider/plans/new", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("POST", "/provider/plans/new", {}, [GO, NO, NO, NO, NO, NO, NO, NO, BAD, BAD, NO, OK]),
    ("GET", "/provider/plans/{plan}/edit", None, [GO, NF, NF, NF, NF, NF, NF, NF, OK, NF, NF, OK]),
    ("GET", "/provider/plans/{other_plan}/edit", None,
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, OK, NF, OK]),
    ("POST", "/provider/plans/{plan}/edit", {}, [GO, NF, NF, NF, NF, NF, NF, NF, BAD, NF, NF, BAD]),
    ("GET", "/provider/plans/999999/edit", None, [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("POST", "/provider/plans/{plan}/stripe", {}, [GO, NF, NF, NF, NF, NF, NF, NF, GO, NF, NF, GO]),
    ("POST", "/provider/plans/{other_plan}/stripe", {},
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, GO, NF, GO]),
    ("GET", "/provider/memberships", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("GET", "/memberships", None, [GO, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ("GET", "/memberships/start/{other_plan}", None,
     [GO, OK, NO, NO, OK, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/memberships/start/{plan}", None,  # a draft provider's plan is not offered
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("POST", "/memberships/start/{other_plan}", {},
     [GO, BAD, NO, NO, BAD, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/memberships/checkout/{start}/done", None,
     [GO, OK, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("GET", "/memberships/{membership}", None, [GO, OK, OK, NF, OK, NF, NF, NF, OK, NF, NF, OK]),
    ("GET", "/memberships/{other_membership}", None,
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, OK, NF, OK]),
    ("GET", "/memberships/999999", None, [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("POST", "/memberships/{membership}/cancel", {},  # demo data: nothing to cancel at Stripe
     [GO, CONFLICT, NO, NF, CONFLICT, NF, NF, NF, NO, NF, NF, NO]),
    ("POST", "/memberships/{other_membership}/cancel", {},
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, NO, NF, NO]),
    ("POST", "/memberships/{membership}/resume", {},
     [GO, CONFLICT, NO, NF, CONFLICT, NF, NF, NF, NO, NF, NF, NO]),
    ("POST", "/memberships/{membership}/refresh", {},
     [GO, CONFLICT, CONFLICT, NF, CONFLICT, NF, NF, NF, CONFLICT, NF, NF, CONFLICT]),
    ("POST", "/memberships/{membership}/reviews", {},
     [GO, GO, NO, NF, GO, NF, NF, NF, GO, NF, NF, NO]),
    ("POST", "/memberships/{other_membership}/reviews", {},  # no paid month to review yet
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, CONFLICT, NF, NO]),
    ("GET", "/memberships/{membership}/reviews/{review}", None,
     [GO, OK, OK, NF, OK, NF, NF, NF, OK, NF, NF, OK]),
    ("GET", "/memberships/{other_membership}/reviews/{review}", None,  # not its review
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("POST", "/memberships/{membership}/reviews/{review}", {"side": "person"},
     [GO, BAD, NO, NF, BAD, NF, NF, NF, NO, NF, NF, NO]),
    ("POST", "/memberships/{membership}/reviews/{review}", {"side": "team"},
     [GO, NO, NO, NF, NO, NF, NF, NF, BAD, NF, NF, NO]),
    ("POST", "/memberships/{membership}/reviews/{review}/refund", {},
     [GO, CONFLICT, NO, NF, CONFLICT, NF, NF, NF, CONFLICT, NF, NF, NO]),
    # Introductions: asked by the person (or a supporter with the manage-introductions
    # scope, a kind of user this matrix has not got); answered by this provider's admins and
    # the carer it is to; seen by both sides and a supporter with the message scope. The
    # thread is private: platform staff (reviewers; admins hold every role) read it only
    # with a recorded reason, a reported message ({intro} has one, {other_intro} not), and
    # never act on it (403). Another person's or provider's introduction is not found (404).
    ("GET", "/introductions/ask/carer/{other_carer}", None,
     [GO, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/introductions/ask/carer/{other_carer}", {"person": "{person}", "message": "Hi"},
     [GO, GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/introductions/ask/carer/{other_carer}", {"person": "{person}", "message": ""},
     [GO, BAD, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/introductions/ask/carer/{carer}", None,  # a draft provider's carer: not listed
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("GET", "/introductions/ask/team/{other_team}", None,
     [GO, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/introductions/ask/provider/{other_provider}", None,
     [GO, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/introductions", None, [GO, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ("GET", "/provider/introductions", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("GET", "/provider/introductions?provider={other_provider}", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, OK, NO, OK]),
    ("GET", "/carer/introductions", None, [GO, NO, NO, NO, NO, NO, NO, OK, NO, NO, NO, NF]),
    ("GET", "/introductions/{intro}", None, [GO, OK, NF, OK, NF, NF, NF, OK, OK, NF, OK, OK]),
    ("GET", "/introductions/{other_intro}", None,
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, OK, NF, NF]),
    ("GET", "/introductions/999999", None, [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("GET", "/introductions/{intro}/accept", None,
     [GO, NO, NF, NO, NF, NF, NF, OK, OK, NF, NO, NO]),
    ("POST", "/introductions/{intro}/accept", {},
     [GO, NO, NF, NO, NF, NF, NF, BAD, BAD, NF, NO, NO]),
    ("POST", "/introductions/{other_intro}/accept", {"time_1": SOON},
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, GO, NF, NF]),
    ("GET", "/introductions/{intro}/decline", None,
     [GO, NO, NF, NO, NF, NF, NF, OK, OK, NF, NO, NO]),
    ("POST", "/introductions/{intro}/decline", {"reason": "no_capacity"},
     [GO, NO, NF, NO, NF, NF, NF, GO, GO, NF, NO, NO]),
    ("POST", "/introductions/{intro}/meeting", {},
     [GO, BAD, NF, NO, NF, NF, NF, NO, NO, NF, NO, NO]),
    ("POST", "/introductions/{intro}/yes", {},  # not met yet: refused plainly
     [GO, CONFLICT, NF, NO, NF, NF, NF, CONFLICT, CONFLICT, NF, NO, NO]),
    ("POST", "/introductions/{intro}/withdraw", {},
     [GO, GO, NF, NO, NF, NF, NF, NO, NO, NF, NO, NO]),
    ("POST", "/introductions/{intro}/not-going-ahead", {},  # not from "requested"
     [GO, CONFLICT, NF, CONFLICT, NF, NF, NF, CONFLICT, CONFLICT, NF, NO, NO]),
    ("POST", "/introductions/{intro}/messages", {"body": "Hello"},
     [GO, GO, NF, GO, NF, NF, NF, GO, GO, NF, NO, NO]),
    ("POST", "/introductions/{other_intro}/messages", {"body": "Hello"},
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, GO, NF, NF]),
    ("POST", "/introductions/{intro}/messages/{message}/report", {},  # the person wrote it
     [GO, BAD, NF, GO, NF, NF, NF, GO, GO, NF, NO, NO]),
    ("POST", "/introductions/{intro}/messages/{other_message}/report", {},  # not this thread
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NO, NO]),
    ("POST", "/introductions/{intro}/block", {}, [GO, GO, NF, GO, NF, NF, NF, GO, GO, NF, NO, NO]),
    ("POST", "/introductions/{intro}/unblock", {},
     [GO, GO, NF, GO, NF, NF, NF, GO, GO, NF, NO, NO]),
    # Reviewers: reported messages
    ("GET", "/review/reported-messages", None, [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, OK, OK]),
    ("POST", "/review/reported-messages/{message}/hide", {},
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, GO, GO]),
    ("POST", "/review/reported-messages/{other_message}/keep", {},  # nobody reported it
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NF, NF]),
    # Arrangements: the person's side (supporters with "manage_introductions" act, tested
    # in test_arrangement_pages; "view" only sees; "message" alone neither),
    # the provider's admins, the carers in it once agreed; anyone else is told nothing (404)
    ("GET", "/arrangements", None, [GO, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ("GET", "/arrangements/{arrangement}", None,
     [GO, OK, OK, NF, NF, NF, NF, OK, OK, NF, NF, OK]),
    ("GET", "/arrangements/{other_arrangement}", None,
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, OK, NF, OK]),
    ("GET", "/arrangements/999999", None, [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("GET", "/arrangements/{arrangement}/easy-read", None,
     [GO, OK, OK, NF, NF, NF, NF, OK, OK, NF, NF, OK]),
    ("GET", "/arrangements/{other_arrangement}/easy-read", None,
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, OK, NF, OK]),
    ("POST", "/arrangements/{arrangement}/versions/1/withdraw", {},  # already agreed
     [GO, CONFLICT, NO, NF, NF, NF, NF, NO, CONFLICT, NF, NF, CONFLICT]),
    ("POST", "/arrangements/{arrangement}/versions/9/accept", {},
     [GO, NF, NO, NF, NF, NF, NF, NO, NF, NF, NF, NF]),
    ("POST", "/arrangements/{other_arrangement}/versions/1/reject", {},
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, CONFLICT, NF, CONFLICT]),
    ("POST", "/arrangements/{arrangement}/pause", {},  # a reason is needed
     [GO, BAD, NO, NF, NF, NF, NF, NO, BAD, NF, NF, BAD]),
    ("POST", "/arrangements/{arrangement}/resume", {},
     [GO, CONFLICT, NO, NF, NF, NF, NF, NO, CONFLICT, NF, NF, CONFLICT]),
    ("POST", "/arrangements/{other_arrangement}/end", {},
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, BAD, NF, BAD]),
    ("GET", "/arrangements/{arrangement}/change", None,
     [GO, OK, NO, NF, NF, NF, NF, NO, OK, NF, NF, OK]),
    ("POST", "/arrangements/{arrangement}/change", {},
     [GO, BAD, NO, NF, NF, NF, NF, NO, BAD, NF, NF, BAD]),
    ("GET", "/arrangements/{other_arrangement}/change", None,
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, OK, NF, OK]),
    ("GET", "/arrangements/{arrangement}/team", None,  # not with a team
     [GO, NF, NO, NF, NF, NF, NF, NO, NO, NF, NF, NO]),
    ("POST", "/arrangements/{arrangement}/team", {},
     [GO, NF, NO, NF, NF, NF, NF, NO, NO, NF, NF, NO]),
    # The provider proposes from an introduction at its meeting stage (its own only)
    ("GET", "/provider/arrangements/new/{met}", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, OK, NF, NO, OK]),
    ("POST", "/provider/arrangements/new/{met}", {},
     [GO, NO, NO, NO, NO, NO, NO, NO, BAD, NF, NO, BAD]),
    ("GET", "/provider/arrangements/new/{other_met}", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NF, OK, NO, OK]),
    ("GET", "/provider/arrangements/new/999999", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NF, NF, NO, NF]),
    # Reviews: the person's side of an agreed arrangement writes; its provider replies;
    # anyone signed in reports; reviewers moderate
    ("GET", "/arrangements/{arrangement}/review", None,
     [GO, OK, NO, NF, NF, NF, NF, NO, NO, NF, NF, NO]),
    ("POST", "/arrangements/{arrangement}/review", {},
     [GO, BAD, NO, NF, NF, NF, NF, NO, NO, NF, NF, NO]),
    ("GET", "/arrangements/{other_arrangement}/review", None,  # reviewed already
     [GO, NF, NF, NF, NF, NF, NF, NF, NF, NO, NF, NO]),
    ("GET", "/reviews/{other_review}/reply", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, OK, NO, OK]),
    ("POST", "/reviews/{other_review}/reply", {},
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, BAD, NO, BAD]),
    ("GET", "/reviews/{other_review}/report", None,
     [GO, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ("POST", "/reviews/{other_review}/report", {},
     [GO, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD]),
    ("GET", "/reviews/999999/report", None, [GO, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ("GET", "/provider/reviews", None, [GO, NO, NO, NO, NO, NO, NO, NO, OK, OK, NO, OK]),
    ("GET", "/review/reviews", None, [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, OK, OK]),
    ("GET", "/review/reviews/{other_review}", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, OK, OK]),
    ("POST", "/review/reviews/{other_review}", {},
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, BAD, BAD]),
    # Supporters: the person invites, changes and revokes (only for their own grants and
    # invitations: another person's are not found); nobody else, not even a supporter
    # with every scope, manages the person's supporters
    ("GET", "/supporters", None, [GO, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/supporters/invite", None, [GO, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/supporters/invite", {}, [GO, BAD, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/supporters/activity", None, [GO, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/supporters/{grant}", None, [GO, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/supporters/{other_grant}", None, [GO, NF, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/supporters/{grant}", {"scopes": "message"},
     [GO, GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/supporters/{grant}/revoke", {}, [GO, GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/supporters/{other_grant}/revoke", {},
     [GO, NF, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/supporters/invitations/{invitation}/withdraw", {},
     [GO, GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/supporters/invitations/{other_invitation}/withdraw", {},
     [GO, NF, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    # The invitation link: signed out, both ways in; signed in, only its address (the
    # person who sent it and everyone else signed in with another address: 403)
    ("GET", "/supporter-invitation/{invite_token}", None,
     [OK, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("POST", "/supporter-invitation/{invite_token}", {},
     [BAD, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/supporter-invitation/not-a-real-token", None, [BAD] * 12),
    ("POST", "/supporter-invitation/not-a-real-token", {}, [BAD] * 12),
    # The supporter: whom they act for (only someone whose grant is in force now) and
    # that person's profile, read-only, with the view scope
    ("GET", "/supporting", None, [GO, NO, OK, OK, OK, OK, OK, NO, NO, NO, NO, OK]),
    ("POST", "/supporting/choose", {"person_id": "{person}"},
     [GO, NO, GO, GO, GO, NO, NO, NO, NO, NO, NO, NO]),
    ("GET", "/supporting/profile", None, [GO, NO, OK, NO, NO, NO, NO, NO, NO, NO, NO, NO]),
    # Administrators: councils
    ("GET", "/admin/councils", None, [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, OK]),
    ("GET", "/admin/councils/{council}", None, [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, OK]),
    ("POST", "/admin/councils/{council}", {"website": "https://www.leeds.gov.uk"},
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, GO]),
    ("GET", "/admin/councils/{council}/budgets", None,
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, OK]),
    ("POST", "/admin/councils/{council}/budgets", {},
     [GO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, BAD]),
]  # fmt: skip


# Visitors may use these without logging in: they redirect back, not to the login page.
VISITOR_POSTS = {"/logout", "/shortlist/add", "/shortlist/remove"}
# Where an extra kind of supporter expects something other than its like-for-like column,
# by (method, url) or, for rows that share an address, (method, url, the form's item or
# message).
OVERRIDES: dict[tuple[str, ...], dict[str, int]] = {
    # The supporter of a different person acts for that person (authz.acting_for picks the
    # one person whose grant is in force), never for the matrix's person: their profile,
    # shortlist (empty, so compare has nothing) and plans are that other person's.
    ("GET", "/supporting/profile"): {"supporter_other_person": OK},
    ("GET", "/shortlist"): {"supporter_other_person": OK},
    ("GET", "/shortlist/compare?item=carer-{other_carer}&item=team-{other_team}"): {
        "supporter_other_person": BAD
    },
    ("GET", "/memberships/start/{other_plan}"): {"supporter_other_person": OK},
    ("POST", "/memberships/start/{other_plan}"): {"supporter_other_person": BAD},
    # manage_introductions changes the shortlist of the person they act for.
    ("POST", "/shortlist/add", "carer-{other_carer}"): {
        "supporter_introductions": GO,
        "supporter_other_person": GO,
    },
    ("POST", "/shortlist/add", "carer-{carer}"): {
        "supporter_introductions": NF,
        "supporter_other_person": NF,
    },
    ("POST", "/shortlist/remove"): {"supporter_introductions": GO, "supporter_other_person": GO},
    ("POST", "/shortlist/notes/{entry}"): {"supporter_introductions": GO},
    # Introductions: manage_introductions asks, arranges the meeting and withdraws for the
    # person; the supporter of another person may ask only for that person (the form
    # refuses the matrix's person as a choice: 400, saying nothing about them).
    ("GET", "/introductions/ask/carer/{other_carer}"): {
        "supporter_introductions": OK,
        "supporter_other_person": OK,
    },
    ("POST", "/introductions/ask/carer/{other_carer}", "Hi"): {
        "supporter_introductions": GO,
        "supporter_other_person": BAD,
    },
    ("POST", "/introductions/ask/carer/{other_carer}", ""): {
        "supporter_introductions": BAD,
        "supporter_other_person": BAD,
    },
    ("GET", "/introductions/ask/team/{other_team}"): {
        "supporter_introductions": OK,
        "supporter_other_person": OK,
    },
    ("GET", "/introductions/ask/provider/{other_provider}"): {
        "supporter_introductions": OK,
        "supporter_other_person": OK,
    },
    ("POST", "/introductions/{intro}/meeting"): {"supporter_introductions": BAD},
    ("POST", "/introductions/{intro}/yes"): {"supporter_introductions": CONFLICT},
    ("POST", "/introductions/{intro}/withdraw"): {"supporter_introductions": GO},
    # Arrangements: manage_introductions acts on the person's side (sees it, proposes
    # changes, pauses, reviews); the refusals are the same the person gets.
    ("GET", "/arrangements/{arrangement}"): {"supporter_introductions": OK},
    ("GET", "/arrangements/{arrangement}/easy-read"): {"supporter_introductions": OK},
    ("POST", "/arrangements/{arrangement}/versions/1/withdraw"): {
        "supporter_introductions": CONFLICT
    },
    ("POST", "/arrangements/{arrangement}/pause"): {"supporter_introductions": BAD},
    ("POST", "/arrangements/{arrangement}/resume"): {"supporter_introductions": CONFLICT},
    ("GET", "/arrangements/{arrangement}/change"): {"supporter_introductions": OK},
    ("POST", "/arrangements/{arrangement}/change"): {"supporter_introductions": BAD},
    ("GET", "/arrangements/{arrangement}/review"): {"supporter_introductions": OK},
    ("POST", "/arrangements/{arrangement}/review"): {"supporter_introductions": BAD},
}


def _expected_for_extra(method: str, url: str, data: Any, who: str, like_status: int) -> int:
    item = None
    if isinstance(data, dict):
        item = data.get("item", data.get("message"))
    for key in ((method, url, item), (method, url)):
        if who in OVERRIDES.get(key, {}):
            return OVERRIDES[key][who]
    return like_status


CASES = [
    pytest.param(method, url, data, who, expected[i], id=f"{method} {url} {who}")
    for method, url, data, expected in ROWS
    for i, who in enumerate(WHO)
] + [
    pytest.param(
        method,
        url,
        data,
        who,
        _expected_for_extra(method, url, data, who, expected[WHO.index(like)]),
        id=f"{method} {url} {who}",
    )
    for method, url, data, expected in ROWS
    for who, like in EXTRA_WHO.items()
]


@pytest.mark.parametrize("method, url, data, who, expected", CASES)
def test_permission_matrix(world, method, url, data, who, expected):
    response = request_as(world, who, method, url, data)
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if who == "anonymous" and expected == 302 and "/api/" not in url and url not in VISITOR_POSTS:
        assert "/login" in response.location
    response.close()


def test_every_route_is_in_the_matrix(app):
    """A route added without a row here fails: someone must decide who may use it."""
    adapter = app.url_map.bind("localhost")
    covered = set()
    for method, url, _, _ in ROWS:
        path = url.split("?")[0].format(
            **{k: 1 for k in ("provider", "other_provider", "submitted", "evidence", "pa",
                              "other_evidence", "carer", "other_carer", "team", "other_team",
                              "budget", "isf", "person", "entry", "other_entry", "saved",
                              "other_saved", "plan", "other_plan", "membership",
                              "other_membership", "review", "start", "intro",
                              "other_intro", "message", "other_message", "arrangement",
                              "other_arrangement", "other_review", "met", "other_met",
                              "grant", "other_grant", "invitation", "other_invitation",
                              "invoice", "isf_invoice")},
            invite_token="not-a-real-token",
            council=COUNCIL,
            **{k: "00000000-0000-0000-0000-000000000000"
               for k in ("or_service", "or_sal", "or_taxonomy", "or_term")},
        )  # fmt: skip
        endpoint, _ = adapter.match(path, method=method)
        covered.add((endpoint, method))
    every = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert every - covered == set()
    assert all(len(expected) == len(WHO) for *_, expected in ROWS)


def test_navigation_links_by_role(make, login):
    page = login(make.user(roles=["provider_admin"])).get("/account").get_data(as_text=True)
    assert 'href="/provider">Your organisation' in page
    assert "Quality reviews" not in page
    page = login(make.user(roles=["reviewer"])).get("/account").get_data(as_text=True)
    assert 'href="/review">Quality reviews' in page
    assert "Your organisation" not in page
