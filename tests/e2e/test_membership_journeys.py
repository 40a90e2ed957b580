"""Memberships by keyboard alone, with JavaScript on and off: a provider admin writes a
membership plan (the error summary first), and a family follows its membership's status
page to a past outcome review. The browser tests run without Stripe (no network), so the
plan says it is not on Stripe yet and the demo membership says it is demo data."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from e2e.browser_helpers import (
    DEMO_EMAILS,
    DEMO_PASSWORD,
    Keyboard,
    assert_error_summary,
    keyboard_login,
    screenshot,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])


@JS
def test_provider_admin_writes_a_membership_plan(open_page: Callable[..., Page], js: bool) -> None:
    page = open_page(js=js)
    keyboard = Keyboard(page, audit=js)
    keyboard_login(keyboard, DEMO_EMAILS["provider_admin"], DEMO_PASSWORD)
    keyboard.activate(selector="header a[href='/provider/plans']")
    keyboard.activate(text="Add a plan")
    keyboard.activate(text="Save the plan")
    assert_error_summary(page, js)
    name = f"Keyboard plan {'js' if js else 'no-js'} {uuid.uuid4().hex[:6]}"
    keyboard.fill("#name", name)
    keyboard.fill("#monthly_price", "395.50")
    keyboard.fill("#included", "A team of two, six hours a week")
    keyboard.fill("#outcomes", "Walks to the park")
    keyboard.fill("#guarantee_percent", "15")
    keyboard.choose("guarantee_rule", "all_not_met")
    keyboard.activate(text="Save the plan")
    main = page.locator("main").inner_text()
    assert "Payments are not set up on this site yet" in main
    assert name in main and "£395.50 a month" in main and "Not on Stripe yet" in main
    keyboard.assert_no_problems()


@JS
def test_family_sees_the_membership_status_and_a_past_review(
    open_page: Callable[..., Page], js: bool
) -> None:
    page = open_page(js=js)
    keyboard = Keyboard(page, audit=js)
    keyboard_login(keyboard, DEMO_EMAILS["person"], DEMO_PASSWORD)
    keyboard.activate(selector="header a[href='/memberships']")
    keyboard.activate(text="Living well at home with Headingley Care Co-op")
    main = page.locator("main").inner_text()
    assert "Demo data." in main and "Active. The next monthly payment is taken on" in main
    assert "1 January 2027" in main and "£480.00" in main
    assert "Cancel at the end of this month" not in main  # demo rows cannot be changed
    if not js:
        page.set_viewport_size({"width": 360, "height": 800})
        screenshot(page, "membership-status-360px")
    keyboard.activate(text="October 2026")
    review = page.locator("main").inner_text()
    assert "Every Tuesday, and we picked the last beans." in review
    assert "Rated by both" in review
    keyboard.assert_no_problems()


def test_family_reviews_a_month_and_the_guarantee_is_decided(
    open_page: Callable[..., Page],
) -> None:
    """Without JavaScript: the family opens November's review from the status page, sends
    it half-filled (the error summary), then rates an outcome not met. The plan's guarantee
    owes a refund; the demo membership says no refund is made (there is no Stripe here)."""
    page = open_page(js=False)
    keyboard = Keyboard(page)
    keyboard_login(keyboard, DEMO_EMAILS["person"], DEMO_PASSWORD)
    keyboard.activate(selector="header a[href='/memberships']")
    keyboard.activate(text="Living well at home with Headingley Care Co-op")
    keyboard.activate(text="Review November 2026")
    assert "Outcome review: November 2026" in page.locator("h1").inner_text()
    keyboard.choose("rating_1", "met")
    keyboard.activate(text="Save the ratings")
    assert_error_summary(page, js=False)
    keyboard.choose("rating_1", "met")
    keyboard.choose("rating_2", "not_met")
    keyboard.fill("#comment_2", "No cooking at all this month")
    keyboard.choose("rating_3", "partly_met")
    keyboard.activate(text="Save the ratings")
    main = page.locator("main").inner_text()
    assert "Thank you: the ratings are saved." in main
    assert "Refund of £120.00" in main and "this is demo data, so no refund is made" in main
    assert "Rated by the family, waiting for the team" in main
    keyboard.assert_no_problems()


def test_team_gives_its_ratings_and_sees_the_guarantee(open_page: Callable[..., Page]) -> None:
    """With JavaScript (and axe on every page): the provider admin finds the review
    waiting for the team and rates it; both sides' ratings are then on the page."""
    page = open_page(js=True)
    keyboard = Keyboard(page, audit=True)
    keyboard_login(keyboard, DEMO_EMAILS["provider_admin"], DEMO_PASSWORD)
    keyboard.activate(selector="header a[href='/provider/plans']")
    keyboard.activate(text="See your memberships and outcome trends")
    keyboard.activate(text="November 2026: Living well at home for Amira Khan")
    for position in (1, 2, 3):
        keyboard.choose(f"rating_{position}", "partly_met")
    keyboard.activate(text="Save the ratings")
    main = page.locator("main").inner_text()
    assert "Thank you: the ratings are saved." in main
    assert "Rated by" in main and "Not rated yet" not in main
    keyboard.assert_no_problems()
