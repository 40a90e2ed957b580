"""A supporter's whole journey by keyboard alone, with JavaScript on and off, in separate
browsers for each person: Amira invites a new supporter, who creates an account from the
e-mailed link and accepts; Derek invites the same supporter, who accepts while signed in;
the supporter switches to Amira and opens her budget; Amira stops them, and at once they
get 403 with nothing about her on the page. axe-core checks every page reached (with JS).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from e2e.browser_helpers import (
    DEMO_EMAILS,
    DEMO_PASSWORD,
    Keyboard,
    LiveServer,
    assert_error_summary,
    keyboard_login,
    screenshot,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

DEREK = "isf@coopcare.example"


def _path(page: Page) -> str:
    return urlsplit(page.url).path


def _main(page: Page) -> str:
    return page.locator("main").inner_text()


def _invite(keyboard: Keyboard, email_address: str, scope_id: str, js: bool) -> None:
    page = keyboard.page
    page.goto("/supporters")
    keyboard.skip_to_main()
    keyboard.activate(text="Invite a supporter")
    keyboard.activate(text="Send the invitation")  # nothing filled in
    assert_error_summary(page, js)
    keyboard.fill("#display_name", "Sam")
    keyboard.fill("#email", email_address)
    keyboard.choose("relationship", "friend")
    keyboard.tick(f"#{scope_id}")
    keyboard.activate(text="Send the invitation")
    assert _path(page) == "/supporters", page.url
    assert f"We have emailed an invitation to {email_address}" in _main(page)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_invite_accept_switch_view_budget_revoke(
    open_page: Callable[..., Page], live_server: LiveServer, js: bool
) -> None:
    supporter_email = f"sam-{uuid.uuid4().hex[:8]}@coopcare.example"

    # Amira (the demo person) invites Sam to see her profile and budget.
    amira = open_page(js=js)
    amira_keys = Keyboard(amira, audit=js)
    keyboard_login(amira_keys, DEMO_EMAILS["person"], DEMO_PASSWORD)
    _invite(amira_keys, supporter_email, "scopes", js)  # the first box: view

    # Sam opens the link in their own browser, creates an account and accepts.
    sam = open_page(js=js)
    sam_keys = Keyboard(sam, audit=js)
    link = live_server.last_link_to(supporter_email, "/supporter-invitation/")
    assert link.startswith(live_server.url)  # built from PUBLIC_BASE_URL
    sam.goto(link)
    assert "Support Amira Khan" in _main(sam)
    sam_keys.activate(text="Create my account and accept")  # nothing filled in
    assert_error_summary(sam, js)
    sam_keys.fill("#display_name", "Sam Supporter")
    sam_keys.fill("#password", "copper kettle river song")
    sam_keys.fill("#confirm", "copper kettle river song")
    sam_keys.activate(text="Create my account and accept")
    assert _path(sam) == "/supporting", sam.url
    assert "Amira Khan" in _main(sam)
    # The link works once.
    sam.goto(link)
    assert "already been accepted" in _main(sam)

    # Derek invites Sam too (to pay only); Sam accepts while signed in.
    derek = open_page(js=js)
    derek_keys = Keyboard(derek, audit=js)
    keyboard_login(derek_keys, DEREK, DEMO_PASSWORD)
    _invite(derek_keys, supporter_email, "scopes-4", js)  # the fourth box: pay
    sam.goto(live_server.last_link_to(supporter_email, "/supporter-invitation/"))
    sam_keys.activate(text="Accept and support Derek Walsh")
    assert _path(sam) == "/supporting"
    assert "Choose who you are acting for" in _main(sam)

    # Sam switches to Amira and opens her budget, then her profile.
    sam_keys.activate(text="Act for Amira Khan")
    assert "You are acting for Amira Khan" in _main(sam)
    if js:
        screenshot(sam, "supporter-supporting-1280")
    sam_keys.activate(text="See Amira Khan’s budget")
    assert _path(sam) == "/budgets"
    sam_keys.activate(text="Amira Khan:")  # Derek's budget is listed too (Sam may pay)
    budget_path = _path(sam)
    assert "Amira Khan" in _main(sam)
    sam.goto("/supporting")
    sam_keys.activate(text="See Amira Khan’s profile")
    assert "Amira Khan’s profile" in _main(sam) and "LS6 1AA" in _main(sam)

    # Amira sees what Sam did, then stops Sam at once.
    amira.goto("/supporters/activity")
    activity = _main(amira)
    assert "Sam Supporter" in activity and "Looked at your budget" in activity
    amira.goto("/supporters")
    if js:
        amira.set_viewport_size({"width": 360, "height": 800})
        screenshot(amira, "person-supporters-360")
        amira.set_viewport_size({"width": 1280, "height": 900})
    amira_keys.activate(text="Stop Sam Supporter supporting you")
    assert "Sam Supporter can no longer act for you" in _main(amira)

    # The very next request: 403 and 404, and nothing of Amira on them.
    response = sam.goto("/supporting/profile")
    assert response is not None and response.status == 403
    assert "Amira" not in _main(sam)
    response = sam.goto(budget_path)
    assert response is not None and response.status == 404
    assert "Amira" not in _main(sam)
    sam.goto("/supporting")
    assert "Amira" not in _main(sam) and "Derek Walsh" in _main(sam)

    for keys in (amira_keys, sam_keys, derek_keys):
        keys.assert_no_problems()
