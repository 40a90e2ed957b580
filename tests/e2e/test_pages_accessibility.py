"""Every page of every role, including error and empty states: axe-core (WCAG 2.2 AA),
a full keyboard walk (no trap, focus always visible, every control reachable), GOV.UK
form patterns, and reflow at 320 px and at 200% zoom. Screenshots at 1280 px and 320 px
go to tests/e2e/screenshots/.

Adding a page is one line in PAGES: Visit(role, path) or Visit(role, path, action).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from e2e.browser_helpers import (
    ROLES,
    axe_violations,
    form_problems,
    keyboard_walk,
    reflow_problems,
    screenshot,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

Action = Callable[[Page], None]


def submit_empty(page: Page) -> None:
    """Send the page's main form without filling it in."""
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state()


def press_button(label: str) -> Action:
    """Send the main form with the button of that name (e.g. a reviewer's decision)."""

    def action(page: Page) -> None:
        page.locator("main form").get_by_role("button", name=label).click()
        page.wait_for_load_state()

    action.__name__ = "press_" + label.lower().replace(" ", "_")
    return action


def fill_and_submit(**values: str) -> Action:
    """Fill fields by id (a value of "check" ticks a box or picks a radio), then send."""

    def action(page: Page) -> None:
        for field_id, value in values.items():
            if value == "check":
                page.check(f"#{field_id}")
            else:
                page.fill(f"#{field_id}", value)
        submit_empty(page)

    action.__name__ = "fill_" + "_".join(values)
    return action


@dataclass(frozen=True)
class Visit:
    role: str
    path: str
    action: Action | None = None
    status: int = 200
    note: str = ""

    @property
    def name(self) -> str:
        path = self.path.split("?")[0] if self.note else self.path
        slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
        parts = [self.role, slug]
        if self.note or self.action:
            parts.append(self.note or self.action.__name__.replace("_", "-"))
        return "-".join(parts)


PAGES: list[Visit] = [
    # Public pages
    Visit("anonymous", "/"),
    Visit("anonymous", "/about"),
    Visit("anonymous", "/accessibility"),
    Visit("anonymous", "/no-such-page", status=404, note="not-found"),
    Visit("anonymous", "/logout"),
    # Logging in and accounts, with their error states
    Visit("anonymous", "/login"),
    Visit("anonymous", "/login", submit_empty),
    Visit(
        "anonymous",
        "/login",
        fill_and_submit(email="person@coopcare.example", password="not-the-password"),
        note="wrong-password",
    ),
    Visit("anonymous", "/register"),
    Visit("anonymous", "/register", submit_empty),
    Visit(
        "anonymous",
        "/register",
        fill_and_submit(
            display_name="Sam", email="not-an-email", password="short", confirm="other"
        ),
        note="bad-answers",
    ),
    Visit(
        "anonymous",
        "/register",
        fill_and_submit(
            display_name="Sam",
            email="sam-axe@coopcare.example",
            password="password1234",
            confirm="password1234",
            account_type="check",
        ),
        note="weak-password",
    ),
    Visit(
        "anonymous",
        "/register",
        fill_and_submit(
            display_name="Sam",
            email="sam-axe@coopcare.example",
            password="kettle orbit violin meadow",
            confirm="kettle orbit violin meadow",
            account_type="check",
        ),
        note="check-email",
    ),
    Visit("anonymous", "/register/confirm/not-a-real-token", status=400, note="bad-token"),
    Visit("anonymous", "/reset-password"),
    Visit("anonymous", "/reset-password", submit_empty),
    Visit(
        "anonymous",
        "/reset-password",
        fill_and_submit(email="nobody@coopcare.example"),
        note="sent",
    ),
    Visit("anonymous", "/reset-password/not-a-real-token", status=400, note="bad-token"),
    # Every signed-in role
    *[Visit(role, "/account") for role in ROLES if role != "anonymous"],
    Visit("person", "/logout"),
    Visit("person", "/account/delete"),
    Visit("person", "/account/delete", submit_empty),
    Visit(
        "person",
        "/account/delete",
        fill_and_submit(password="not-the-password"),
        note="wrong-password",
    ),
    # The public directory: search with results, long lists, empty and error states
    Visit("anonymous", "/search"),
    Visit("anonymous", "/search?postcode=LS6+1AA", note="results"),
    Visit("anonymous", "/search?postcode=LS6+1AA&radius_km=50&page=2", note="page-2"),
    Visit(
        "anonymous",
        "/search?postcode=LS6+1AA&skill=peg_feeding&gender=male&language=so",
        note="filters-no-results",
    ),
    Visit("anonymous", "/search?postcode=ZE1", note="no-results"),
    Visit(
        "anonymous",
        "/search?postcode=LS6+1AA&interests=garden&priority=interests&slot=mon-am"
        "&only_free=y&budget=250&hours=10&within_budget=y&nice=cooking",
        note="every-choice",
    ),
    Visit(
        "anonymous", "/search?postcode=LS6+1AA&interests=gardnx&within_budget=y", note="bad-choices"
    ),
    Visit("anonymous", "/search?postcode=NOT+A+POSTCODE", note="bad-postcode"),
    Visit("anonymous", "/search?postcode=", note="no-postcode"),
    Visit("anonymous", "/providers/{headingley}"),
    # Memberships for outcomes: the plan on the provider's page, starting one (payments
    # are not set up in the browser tests: the page says so), the status page and a
    # past review, the provider's plans, plan form and trends
    Visit("person", "/memberships/start/{demo_plan}"),
    Visit("person", "/memberships"),
    Visit("person", "/memberships/{amira_membership}"),
    Visit("person", "/memberships/{amira_membership}/reviews/{amira_review}"),
    Visit("supporter", "/memberships/{amira_membership}"),
    Visit("supporter", "/memberships", note="supporter"),
    Visit("provider_admin", "/provider/plans"),
    Visit("provider_admin", "/provider/plans/new"),
    Visit("provider_admin", "/provider/plans/new", submit_empty),
    Visit("provider_admin", "/provider/plans/{demo_plan}/edit"),
    Visit("provider_admin", "/provider/memberships"),
    Visit("provider_admin", "/memberships/{amira_membership}"),
    Visit("anonymous", "/providers/999999", status=404, note="not-found"),
    Visit("anonymous", "/carers/{ana}"),
    Visit("anonymous", "/carers/{ana}?postcode=LS6+1AA&interest=gardening", note="from-search"),
    Visit("anonymous", "/teams/{headingley_team}"),
    Visit("anonymous", "/councils"),
    Visit("anonymous", "/councils/{leeds}"),
    Visit("anonymous", "/map"),
    Visit("anonymous", "/map?legal_form=worker_coop&skill=peg_feeding", note="filtered"),
    Visit("anonymous", "/map?legal_form=pirate_ship", note="bad-filter"),
    Visit("person", "/search?postcode=LS6+1AA", note="results"),
    # Provider admins: carers and teams
    Visit("provider_admin", "/provider/carers/"),
    Visit("provider_admin", "/provider/carers/new"),
    Visit("provider_admin", "/provider/carers/new", submit_empty),
    Visit("provider_admin", "/provider/carers/invite"),
    Visit("provider_admin", "/provider/carers/invite", submit_empty),
    Visit("provider_admin", "/provider/carers/{ana}"),
    *[
        Visit("provider_admin", f"/provider/carers/{{ana}}/profile/{section}")
        for section in ("about", "skills", "availability", "checks")
    ],
    Visit("provider_admin", "/provider/carers/{ana}/checks/verify"),
    Visit("provider_admin", "/provider/carers/{ana}/checks/verify", submit_empty),
    Visit("provider_admin", "/provider/teams/"),
    Visit("provider_admin", "/provider/teams/new"),
    Visit("provider_admin", "/provider/teams/new", submit_empty),
    Visit("provider_admin", "/provider/teams/{headingley_team}"),
    Visit("provider_admin", "/provider/teams/{headingley_team}/edit"),
    Visit("provider_admin", "/provider/teams/{headingley_team}/delete"),
    # Carers: their own profile
    Visit("carer", "/carer/profile"),
    *[
        Visit("carer", f"/carer/profile/{section}")
        for section in ("about", "skills", "availability", "checks")
    ],
    Visit(
        "carer",
        "/carer/profile/about",
        fill_and_submit(display_name="", travel_radius_km="500"),
        note="bad-answers",
    ),
    # Provider admins: their organisation, onboarding and quality-review documents
    Visit("provider_admin", "/provider"),
    Visit("provider_admin", "/provider/onboarding"),
    Visit("provider_admin", "/provider/onboarding/check"),
    Visit("provider_admin", "/provider/onboarding/registration"),
    Visit("provider_admin", "/provider/onboarding/regulator"),
    Visit(
        "provider_admin",
        "/provider/onboarding/regulator",
        fill_and_submit(regulated="check", regulator_number="CS123"),
        note="bad-answers",
    ),
    Visit("provider_admin", "/provider/evidence"),
    Visit("provider_admin", "/provider/evidence", press_button("Upload document")),
    # Reviewers: the queue and a provider in each state, with a decision left unexplained
    Visit("reviewer", "/review"),
    Visit("reviewer", "/review/carer-checks"),
    Visit("reviewer", "/review/providers/{submitted}"),
    Visit("reviewer", "/review/providers/{submitted}", press_button("Ask for changes")),
    Visit("reviewer", "/review/providers/{changes_requested}"),
    Visit("reviewer", "/review/providers/{suspended}"),
    Visit("reviewer", "/review/providers/{draft}"),
    Visit("reviewer", "/review/providers/{headingley}", press_button("Suspend")),
    Visit("admin", "/review"),
    Visit("admin", "/provider", note="no-organisation"),
    # Admins: each council's own links, shown on its public page
    Visit("admin", "/admin/councils"),
    Visit("admin", "/admin/councils/{leeds}"),
    Visit(
        "admin",
        "/admin/councils/{leeds}",
        fill_and_submit(direct_payment_support_url="not a web address"),
        note="bad-link",
    ),
    Visit("anonymous", "/search?postcode=LS6+1AA&radius_km=50", note="map"),
    Visit(
        "anonymous", "/search?postcode=LS6+1AA&interest=gardening&interest=music", note="interests"
    ),
    Visit("anonymous", "/providers/{suspended}", status=404, note="suspended"),
    Visit("anonymous", "/carer/invitation/not-a-real-token", status=400, note="bad-token"),
    # Everyone signed in: their notifications
    Visit("person", "/notifications"),
    # A person's profile, and its error state
    Visit("person", "/profile"),
    Visit("person", "/profile", fill_and_submit(postcode="LS6"), note="bad-postcode"),
    Visit("person", "/search", note="from-profile"),
    Visit("provider_admin", "/notifications"),
    # Shortlists, compare and saved searches (Amira's demo shortlist and saved search)
    Visit("person", "/shortlist"),
    Visit("person", "/shortlist/compare?{amira_compare}", note="compare"),
    Visit("person", "/shortlist/compare?item=carer-1", status=400, note="compare-one"),
    Visit("person", "/saved-searches"),
    Visit("person", "/saved-searches/new?postcode=LS7&radius_km=5", note="confirm"),
    Visit("anonymous", "/saved-searches/new?postcode=LS7", note="sign-in"),
    Visit("anonymous", "/shortlist", note="empty"),
    Visit("supporter", "/shortlist", note="supporting"),
    Visit("anonymous", "/carers/{ana}/easy-read"),
    Visit("person", "/carers/{ana}/easy-read", note="for-amira"),
    Visit("anonymous", "/search?postcode=TR19+7AA", note="nobody-near"),
    # Introductions: asking, the person's list and page, the provider's and carer's
    # inboxes, answering (with the error states), and the reviewers' reported messages
    Visit("person", "/introductions/ask/provider/{headingley}"),
    Visit("person", "/introductions/ask/provider/{headingley}", submit_empty),
    Visit("person", "/introductions"),
    Visit("person", "/introductions/{open_introduction}"),
    Visit("person", "/introductions/{meeting_introduction}"),
    Visit("provider_admin", "/provider/introductions"),
    Visit("provider_admin", "/introductions/{open_introduction}"),
    Visit("provider_admin", "/introductions/{open_introduction}/accept"),
    Visit("provider_admin", "/introductions/{open_introduction}/accept", submit_empty),
    Visit("provider_admin", "/introductions/{open_introduction}/decline", submit_empty),
    Visit("provider_admin", "/introductions/{meeting_introduction}"),
    Visit("carer", "/carer/introductions"),
    Visit("reviewer", "/review/reported-messages"),
    # Arrangements: both sides, the carer in it, Easy Read, choosing the team, errors
    Visit("person", "/arrangements"),
    Visit("person", "/arrangements/{amira_arrangement}"),
    Visit("person", "/arrangements/{amira_arrangement}/easy-read"),
    Visit("person", "/arrangements/{amira_arrangement}/team"),
    Visit("person", "/arrangements/{amira_arrangement}/change"),
    Visit("person", "/arrangements/{amira_arrangement}/change", submit_empty),
    Visit("supporter", "/arrangements/{amira_arrangement}"),
    Visit("carer", "/arrangements/{amira_arrangement}"),
    Visit("provider_admin", "/arrangements"),
    Visit("provider_admin", "/arrangements/{amira_arrangement}"),
    Visit("provider_admin", "/arrangements/{amira_arrangement}/easy-read"),
    Visit("admin", "/arrangements/{amira_arrangement}"),  # with "Set up a budget for …"
    Visit("admin", "/memberships/{amira_membership}"),
    # Reviews: on public pages, the provider's list, reports and moderation
    Visit("provider_admin", "/provider/reviews"),
    Visit("person", "/reviews/{amira_public_review}/report"),
    Visit("person", "/reviews/{amira_public_review}/report", submit_empty),
    Visit("reviewer", "/review/reviews"),
    Visit("reviewer", "/review/reviews/{amira_public_review}"),
    Visit("reviewer", "/review/reviews/{amira_public_review}", submit_empty),
    # Supporters: the person's list, the invitation form and its errors, the activity
    # page; the supporter's people; a bad link
    Visit("person", "/supporters"),
    Visit("person", "/supporters/invite"),
    Visit("person", "/supporters/invite", submit_empty),
    Visit("person", "/supporters/activity"),
    Visit("supporter", "/supporting"),
    Visit("anonymous", "/supporter-invitation/not-a-real-token", status=400, note="bad-token"),
    # Budgets: the overview, statements (a quarter, a bad period), setting up and changing
    # a budget with their error states, the ISF provider's entry form, council defaults
    Visit("person", "/budgets"),
    Visit("person", "/budgets/{amira_budget}"),
    Visit(
        "person", "/budgets/{amira_budget}/statement?from=2026-04-01&to=2026-06-30", note="quarter"
    ),
    Visit(
        "person",
        "/budgets/{amira_budget}/statement?from_day=31&from_month=2&from_year=2026",
        status=400,
        note="bad-period",
    ),
    Visit("person", "/budgets/new"),
    Visit("person", "/budgets/new", submit_empty),
    Visit("person", "/budgets/{amira_budget}/edit"),
    Visit(
        "person", "/budgets/{amira_budget}/edit", fill_and_submit(amount="lots"), note="bad-amount"
    ),
    Visit("supporter", "/budgets"),
    Visit("provider_admin", "/budgets/{derek_fund}"),
    Visit("provider_admin", "/budgets/{derek_fund}/statement", note="isf"),
    Visit("provider_admin", "/budgets/{derek_fund}/entries/new"),
    Visit("provider_admin", "/budgets/{derek_fund}/entries/new", submit_empty),
    Visit("admin", "/admin/councils/{leeds}/budgets"),
    Visit(
        "admin",
        "/admin/councils/{leeds}/budgets",
        fill_and_submit(surplus_limit_weeks="0"),
        note="bad-limit",
    ),
    # Signed-in people see 403 pages for others' areas
    Visit("person", "/provider/teams/", status=403, note="forbidden"),
]


@pytest.mark.parametrize("visit", PAGES, ids=lambda visit: visit.name)
def test_page_is_accessible(
    open_page: Callable[..., Page], demo_ids: dict[str, object], visit: Visit
) -> None:
    page = open_page(visit.role)
    response = page.goto(visit.path.format(**demo_ids))
    assert response is not None
    if visit.action is None:
        assert response.status == visit.status, f"{visit.path} answered {response.status}"
    else:
        visit.action(page)
    problems: list[str] = []

    problems += [f"1280px: {line}" for line in axe_violations(page)]
    problems += form_problems(page)
    screenshot(page, f"{visit.name}-1280")
    problems += [f"keyboard: {line}" for line in keyboard_walk(page)]

    # 200% zoom of a 1280 px window is a 640 px wide page; 320 px is WCAG 1.4.10 reflow.
    for width in (640, 320):
        page.set_viewport_size({"width": width, "height": 800})
        problems += [f"{width}px: {line}" for line in reflow_problems(page)]
    problems += [f"320px: {line}" for line in axe_violations(page)]
    screenshot(page, f"{visit.name}-320")

    assert not problems, f"{visit.role} {visit.path}:\n" + "\n".join(problems)
