"""Whole journeys by keyboard alone (Tab, Shift+Tab, Enter, Space, arrows, typing; no
mouse), each run with JavaScript on and with JavaScript off.

With JavaScript on, every page reached is also checked with axe-core and the GOV.UK form
checks (that is how the onboarding questions, reachable only mid-journey, are covered).
Along the way: focus is always visible (every Tab stop is checked), the skip link is the
first Tab stop and moves focus to <main>, a failed submit shows the error summary (focused
when JavaScript runs) and its links lead to the fields.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from e2e.browser_helpers import (
    DEMO_EMAILS,
    DEMO_PASSWORD,
    Keyboard,
    LiveServer,
    assert_error_summary,
    keyboard_login,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _path(page: Page) -> str:
    return urlsplit(page.url).path


def _flash(page: Page) -> str:
    return " ".join(page.locator("main .notice").all_inner_texts())


@JS
def test_postcode_search_to_provider_to_carer(open_page: Callable[..., Page], js: bool) -> None:
    page = open_page(js=js)
    keyboard = Keyboard(page, audit=js)
    page.goto("/")
    keyboard.skip_to_main()

    # A search with no postcode: the error summary, and its link leads to the field.
    keyboard.activate(text="Find care")
    assert_error_summary(page, js)
    if not js:
        keyboard.tab_to(selector="#error-summary a")
    else:
        keyboard.tab()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "postcode"

    keyboard.type("LS6 1AA")
    keyboard.press("Enter")
    assert "/search" in page.url
    assert "Care near LS6" in page.locator("h1").inner_text()

    keyboard.activate(selector="main a[href^='/providers/']")
    provider_name = page.locator("h1").inner_text()
    assert "/providers/" in page.url

    keyboard.activate(selector="main a[href^='/carers/']")
    assert "/carers/" in page.url
    assert f"Carer with {provider_name}" in page.locator("main").inner_text()
    keyboard.assert_no_problems()


@JS
def test_register_log_in_log_out_and_reset_password(
    open_page: Callable[..., Page], live_server: LiveServer, js: bool
) -> None:
    page = open_page(js=js)
    keyboard = Keyboard(page, audit=js)
    email_address = _unique("sam") + "@coopcare.example"
    password, new_password = "correct horse battery", "staple paper clip moon"

    page.goto("/register")
    keyboard.skip_to_main()
    keyboard.activate(text="Create account")
    assert_error_summary(page, js)
    assert page.locator("#error-summary a").count() == 5

    keyboard.fill("#display_name", "Sam Keys")
    keyboard.fill("#email", email_address)
    keyboard.fill("#password", password)
    keyboard.fill("#confirm", password)
    keyboard.choose("account_type", "person")
    keyboard.activate(text="Create account")
    # The same answer whether or not the address has an account: the email says which.
    assert "Check your email" in page.locator("h1").inner_text()
    page.goto(live_server.last_link_to(email_address, "/register/confirm/"))
    assert _path(page) == "/account", page.url
    assert "your account is ready" in _flash(page)

    keyboard.activate(text="Log out")
    assert "You have logged out" in _flash(page)

    keyboard.activate(selector="header a[href='/login']")
    keyboard.fill("#email", email_address)
    keyboard.fill("#password", "not my password")
    keyboard.press("Enter")
    assert_error_summary(page, js)
    keyboard.fill("#password", password)
    keyboard.activate(text="Log in")
    assert _path(page) == "/account", page.url
    keyboard.activate(text="Log out")

    # Forgotten password: the email link (valid for one hour, as the pages say).
    page.goto("/login")
    keyboard.activate(text="I have forgotten my password")
    assert "one hour" in page.locator("main").inner_text()
    keyboard.fill("#email", email_address)
    keyboard.press("Enter")
    assert "Check your email" in page.locator("h1").inner_text()
    link = live_server.last_link_to(email_address, "/reset-password/")
    page.goto(link)  # as if opened from the email
    keyboard.fill("#password", new_password)
    keyboard.fill("#confirm", new_password)
    keyboard.activate(text="Save new password")
    assert "/login" in page.url
    assert "Your password has been changed" in _flash(page)
    keyboard_login(keyboard, email_address, new_password)
    assert _path(page) == "/account"
    keyboard.assert_no_problems()


def _pdf(tmp_path: Path) -> Path:
    path = tmp_path / "policy.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    return path


def _save(keyboard: Keyboard) -> None:
    keyboard.activate(text="Save and")  # "Save and continue" or "Save and go back"
    assert not keyboard.page.title().startswith("Error"), keyboard.page.locator("main").inner_text()


def _onboard(
    keyboard: Keyboard, name: str, js: bool, document: Path, live_server: LiveServer
) -> None:
    """Register as a provider admin and answer every question, by keyboard."""
    page = keyboard.page
    page.goto("/register")
    keyboard.fill("#display_name", "Kit Keys")
    email_address = f"{name.split()[0].lower()}@coopcare.example"
    keyboard.fill("#email", email_address)
    keyboard.fill("#password", "onboarding by keyboard")
    keyboard.fill("#confirm", "onboarding by keyboard")
    keyboard.choose("account_type", "provider_admin")
    keyboard.activate(text="Create account")
    assert "Check your email" in page.locator("h1").inner_text()
    page.goto(live_server.last_link_to(email_address, "/register/confirm/"))
    assert "/provider/onboarding" in page.url, page.url
    keyboard.activate(text="Start now")

    keyboard.activate(text="Save and continue")  # nothing typed: an error first
    assert_error_summary(page, js)
    keyboard.fill("#name", name)
    _save(keyboard)
    keyboard.choose("legal_form", "cooperative_society")
    _save(keyboard)
    keyboard.fill("#fca_number", "31234R")
    _save(keyboard)
    keyboard.fill("#principles", "Our carers own the co-op together and share what it earns.")
    _save(keyboard)
    keyboard.tick("input[name=members]")
    _save(keyboard)
    keyboard.fill("#postcode", "LS6 1AA")
    keyboard.fill("#radius_km", "10")
    _save(keyboard)
    # The care regulator follows the nation of the service address: CQC for Leeds.
    assert "Care Quality Commission" in page.locator("main").inner_text()
    keyboard.choose("regulated", "no")
    _save(keyboard)
    keyboard.tick("input[name=skills][value=companionship]")
    _save(keyboard)
    keyboard.tick("input[name=languages][value=en]")
    _save(keyboard)
    keyboard.fill("#hourly_rate", "£21.50")
    _save(keyboard)
    keyboard.fill("#contact_email", "hello@keys.example")
    _save(keyboard)
    assert "Check your answers" in page.locator("h1").inner_text()

    keyboard.activate(text="Upload your documents")
    next_year = str(datetime.date.today().year + 1)
    for kind in ("insurance", "safeguarding_policy", "dbs_policy"):
        keyboard.choose("kind", kind)
        keyboard.tab_to(selector="#document")
        # The file dialog belongs to the operating system, not the page: fill it directly.
        page.set_input_files("#document", str(document))
        keyboard.fill("#expires_day", "31")
        keyboard.fill("#expires_month", "12")
        keyboard.fill("#expires_year", next_year)
        keyboard.activate(text="Upload document")
        assert "uploaded" in _flash(page), page.locator("main").inner_text()


@JS
def test_provider_onboarding_review_and_listing(
    open_page: Callable[..., Page], live_server: LiveServer, tmp_path: Path, js: bool
) -> None:
    name = f"Keys{uuid.uuid4().hex[:6]} Care Co-op"
    provider_page = open_page(js=js)
    provider = Keyboard(provider_page, audit=js)
    _onboard(provider, name, js, _pdf(tmp_path), live_server)
    provider_page.goto("/provider")
    provider.activate(text="Send for quality review")
    assert "sent your organisation to our quality reviewers" in _flash(provider_page)
    provider_id = live_server.scalar("SELECT id FROM providers WHERE name = ?", name)

    reviewer_page = open_page(js=js)
    reviewer = Keyboard(reviewer_page, audit=js)
    keyboard_login(reviewer, DEMO_EMAILS["reviewer"], DEMO_PASSWORD)
    reviewer.activate(text="Quality reviews")
    reviewer.activate(selector=f"main a[href='/review/providers/{provider_id}']")
    reviewer.activate(text="Ask for changes")  # no comment: an error
    assert_error_summary(reviewer_page, js)
    reviewer.fill("#comment", "Please say how members vote on decisions.")
    reviewer.activate(text="Ask for changes")
    assert "asked" in _flash(reviewer_page)

    provider_page.goto("/provider")
    assert "Please say how members vote" in provider_page.locator("main").inner_text()
    provider.activate(selector="main a[href*='/provider/onboarding/principles']")
    provider.fill(
        "#principles", "Our carers own the co-op. Each member has one vote at the meeting."
    )
    _save(provider)
    provider.activate(text="Send for quality review")
    assert "sent your organisation" in _flash(provider_page)

    reviewer_page.goto(f"/review/providers/{provider_id}")
    reviewer.activate(text="Approve")
    assert "is approved and listed" in _flash(reviewer_page)

    # Anyone can now find it.
    search = open_page(js=js)
    searcher = Keyboard(search, audit=js)
    search.goto("/")
    searcher.fill("#postcode", "LS6 1AA")
    searcher.press("Enter")
    searcher.activate(text=name)
    assert search.locator("h1").inner_text() == name
    for keyboard in (provider, reviewer, searcher):
        keyboard.assert_no_problems()


@JS
def test_carer_edits_profile_and_availability(open_page: Callable[..., Page], js: bool) -> None:
    page = open_page(js=js)
    keyboard = Keyboard(page, audit=js)
    keyboard_login(keyboard, DEMO_EMAILS["carer"], DEMO_PASSWORD)
    keyboard.activate(text="Your carer profile")
    assert "/carer/profile" in page.url

    keyboard.activate(selector="main a[href='/carer/profile/about']")
    keyboard.fill("#travel_radius_km", "5000")
    keyboard.activate(text="Save about you")
    assert_error_summary(page, js)
    keyboard.fill("#postcode", "LS12 1AA")  # the demo carer has no private postcode yet
    keyboard.fill("#travel_radius_km", "12")
    bio = f"I enjoy gardening and football. ({'js' if js else 'no-js'} test)"
    keyboard.fill("#bio", bio)
    keyboard.activate(text="Save about you")
    assert "your changes have been saved" in _flash(page)
    assert bio in page.locator("main").inner_text()

    keyboard.activate(selector="main a[href='/carer/profile/availability']")
    slot = "#availability-sun-eve"
    was_free = page.is_checked(slot)
    keyboard.tick(slot)
    assert page.is_checked(slot) is not was_free
    keyboard.activate(text="Save availability")
    assert "your changes have been saved" in _flash(page)
    page.goto("/carer/profile/availability")
    assert page.is_checked(slot) is not was_free
    keyboard.assert_no_problems()


@JS
def test_provider_admin_creates_a_team_and_adds_a_member(
    open_page: Callable[..., Page], js: bool
) -> None:
    page = open_page(js=js)
    keyboard = Keyboard(page, audit=js)
    keyboard_login(keyboard, DEMO_EMAILS["provider_admin"], DEMO_PASSWORD)
    keyboard.activate(selector="header a[href^='/provider/teams']")
    keyboard.activate(text="Create a team")

    # Nothing typed: the error summary, then a real team.
    keyboard.activate(text="Create team")
    assert_error_summary(page, js)
    name = f"Keyboard team {'js' if js else 'no-js'} {uuid.uuid4().hex[:6]}"
    keyboard.fill("#name", name)
    keyboard.fill("#patch", "LS6, LS7")
    keyboard.activate(text="Create team")
    assert name in page.locator("h1").inner_text()

    # Pick the first carer in the list with the arrow key, then add them.
    keyboard.tab_to(selector="#add-carer")
    page.keyboard.press("ArrowDown")
    chosen = page.evaluate("document.querySelector('#add-carer').selectedOptions[0].textContent")
    keyboard.activate(text="Add to team")
    members = page.locator("main table").inner_text()
    assert chosen.split(",")[0].strip() in members  # options read "Ana S., LS12"
    keyboard.assert_no_problems()


@JS
def test_invited_carer_accepts_and_sets_up_an_account(
    open_page: Callable[..., Page], live_server: LiveServer, js: bool
) -> None:
    admin = open_page(js=js)
    keyboard = Keyboard(admin, audit=js)
    keyboard_login(keyboard, DEMO_EMAILS["provider_admin"], DEMO_PASSWORD)
    admin.goto("/provider/carers/")
    keyboard.activate(text="Invite a carer by email")
    keyboard.activate(text="Send invitation")  # nothing typed
    assert_error_summary(admin, js)
    email_address = _unique("newcarer") + "@coopcare.example"
    keyboard.fill("#display_name", "Nia K.")
    keyboard.fill("#email", email_address)
    keyboard.activate(text="Send invitation")
    assert email_address in admin.locator("main").inner_text()

    # The carer opens the link from the email in their own browser.
    carer = open_page(js=js)
    keyboard = Keyboard(carer, audit=js)
    carer.goto(live_server.last_link_to(email_address, "/carer/invitation/"))
    keyboard.activate(text="Create account and accept")  # nothing typed
    assert_error_summary(carer, js)
    keyboard.fill("#display_name", "Nia Kaur")
    keyboard.fill("#password", "sunny gardens of leeds")
    keyboard.fill("#confirm", "sunny gardens of leeds")
    keyboard.activate(text="Create account and accept")
    assert "/carer/profile" in carer.url, carer.url
    keyboard.assert_no_problems()
