"""Memberships against localstripe, by keyboard alone, with axe-core on every page: a
provider admin puts a plan on Stripe, a family starts it with Stripe's test card and sees
it active (status, next payment date, the paid invoice), cancels at the end of the month
and changes its mind; a month later the review says an agreed outcome was not met, the
plan's guarantee refunds part of the fee through Stripe, and both sides see the refund.

These run on their own server (`stripe_server`), which talks to a localstripe started for
the session on a free loopback port; the other browser tests keep their Stripe-less one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from e2e.browser_helpers import (
    DEMO_EMAILS,
    DEMO_PASSWORD,
    Keyboard,
    LiveServer,
    keyboard_login,
    screenshot,
)
from playwright.sync_api import Browser, BrowserContext, Page

from payments.gateway import make_stripe_client

pytestmark = pytest.mark.e2e

StripePage = Callable[[], Page]


@pytest.fixture
def stripe_page(browser: Browser, stripe_server: LiveServer) -> Iterator[StripePage]:
    """stripe_page() -> a new logged-out page on the server that pays through localstripe."""
    contexts: list[BrowserContext] = []

    def _open() -> Page:
        context = browser.new_context(
            base_url=stripe_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()
    stripe_server.move_clock(0)


def _main(page: Page) -> str:
    return page.locator("main").inner_text()


def _add_plan(keyboard: Keyboard, name: str, price: str, guarantee: str) -> None:
    """As the provider admin: write a plan and put it on Stripe."""
    keyboard.activate(selector="header a[href='/provider/plans']")
    keyboard.activate(text="Add a plan")
    keyboard.fill("#name", name)
    keyboard.fill("#monthly_price", price)
    keyboard.fill("#included", "A team of two who know you, six hours a week")
    keyboard.fill("#outcomes", "Walks to the park every week\nSees friends at the cafe")
    keyboard.fill("#guarantee_percent", guarantee)
    keyboard.choose("guarantee_rule", "any_not_met")
    keyboard.activate(text="Save the plan")
    main = _main(keyboard.page)
    assert "The plan is saved and ready for families to start." in main, main[:800]
    section = keyboard.page.locator("section", has=keyboard.page.get_by_role("heading", name=name))
    assert "Offered" in section.inner_text()


def _start_membership(keyboard: Keyboard, server: LiveServer, plan_name: str) -> int:
    """As the person: from the provider's public page, start the plan; the membership id."""
    headingley = server.scalar("SELECT id FROM providers WHERE name = 'Headingley Care Co-op'")
    keyboard.page.goto(f"/providers/{headingley}")
    keyboard.check_page()
    keyboard.activate(text=f"Start the {plan_name} membership")
    main = _main(keyboard.page)
    assert "pays with Stripe's test card" in main, main[:800]
    keyboard.activate(text="Start the membership")
    assert "The membership has started." in _main(keyboard.page)
    found = re.search(r"/memberships/(\d+)$", keyboard.page.url)
    assert found, keyboard.page.url
    return int(found[1])


def test_family_starts_a_membership_with_the_test_card_cancels_and_carries_on(
    stripe_page: StripePage, stripe_server: LiveServer, localstripe_url: str
) -> None:
    plan_name = f"Out and about {uuid.uuid4().hex[:6]}"
    admin = Keyboard(stripe_page(), audit=True)
    keyboard_login(admin, DEMO_EMAILS["provider_admin"], DEMO_PASSWORD)
    _add_plan(admin, plan_name, "300", "25")
    admin.assert_no_problems()

    family = Keyboard(stripe_page(), audit=True)
    page = family.page
    keyboard_login(family, DEMO_EMAILS["person"], DEMO_PASSWORD)
    membership_id = _start_membership(family, stripe_server, plan_name)
    main = _main(page)
    assert "Active. The next monthly payment is taken on" in main
    next_payment = page.locator(".summary-row", has_text="Next payment").locator("dd").inner_text()
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ 20\d\d", next_payment), next_payment
    invoices = page.get_by_role("region", name="Past invoices").inner_text()
    assert "£300.00" in invoices and "payment failed" not in invoices
    subscription_id = stripe_server.scalar(
        "SELECT stripe_subscription_id FROM memberships WHERE id = ?", membership_id
    )
    assert subscription_id.startswith("sub_")

    family.activate(text="Cancel at the end of this month")
    main = _main(page)
    assert f"The membership will end on {next_payment}. Nothing more will be taken." in main
    assert f"It ends on {next_payment}, when the month already paid for ends." in main
    family.activate(text="Keep the membership")
    main = _main(page)
    assert "The membership carries on. The next payment is taken as usual." in main
    assert "Active. The next monthly payment is taken on" in main
    screenshot(page, "membership-started-on-localstripe")
    family.assert_no_problems()

    # Stripe agrees: the subscription carries on, tagged with our ids.
    client = make_stripe_client("sk_test_coopcare_e2e", localstripe_url)
    subscription = client.v1.subscriptions.retrieve(subscription_id)
    assert subscription.status == "active" and not subscription.cancel_at_period_end
    assert subscription.metadata["coopcare_plan_id"] == str(
        stripe_server.scalar("SELECT plan_id FROM memberships WHERE id = ?", membership_id)
    )
    _no_server_errors(stripe_server)


def _no_server_errors(server: LiveServer) -> None:
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[log.find("Traceback") - 500 :][:6000]


def test_a_month_not_met_refunds_the_guarantee_through_stripe_and_both_sides_see_it(
    stripe_page: StripePage, stripe_server: LiveServer, localstripe_url: str
) -> None:
    plan_name = f"Cafe club {uuid.uuid4().hex[:6]}"
    admin = Keyboard(stripe_page(), audit=True)
    keyboard_login(admin, DEMO_EMAILS["provider_admin"], DEMO_PASSWORD)
    _add_plan(admin, plan_name, "400", "25")

    family = Keyboard(stripe_page(), audit=True)
    page = family.page
    keyboard_login(family, DEMO_EMAILS["person"], DEMO_PASSWORD)
    membership_id = _start_membership(family, stripe_server, plan_name)
    month = page.get_by_role("region", name="Past invoices").locator("tbody td").first.inner_text()
    assert "Review " not in _main(page)  # the month paid for is not over yet

    stripe_server.move_clock(32)  # a month later
    page.reload()
    family.activate(text=f"Review {month}")
    assert f"Outcome review: {month}" in page.locator("h1").inner_text()
    family.choose("rating_1", "not_met")
    family.fill("#comment_1", "No walks at all: nobody came on Tuesdays")
    family.choose("rating_2", "met")
    family.activate(text="Save the ratings")
    main = _main(page)
    assert "Thank you: the ratings are saved. The refund has been made." in main, main[:800]
    assert "Refund of £100.00: refunded by Stripe on" in main
    family.activate(text=plan_name)  # the breadcrumb back to the status page
    main = _main(page)
    assert "Guarantee refund: £100.00, refunded by Stripe on" in main
    row = page.get_by_role("region", name="Past invoices").locator("tbody tr").first
    assert row.locator("td").nth(1).inner_text() == "£400.00"
    assert row.locator("td").nth(2).inner_text() == "£100.00"
    screenshot(page, "membership-guarantee-refund")
    family.assert_no_problems()

    # Stripe made exactly that refund, against that month's payment, tagged with our ids.
    intent = stripe_server.scalar(
        "SELECT payment_intent_id FROM membership_invoices WHERE membership_id = ?",
        membership_id,
    )
    review_id = stripe_server.scalar(
        "SELECT id FROM outcome_reviews WHERE membership_id = ?", membership_id
    )
    client = make_stripe_client("sk_test_coopcare_e2e", localstripe_url)
    refunds = client.v1.refunds.list(params={"payment_intent": intent}).data
    assert [(r.amount, r.status, r.metadata["coopcare_outcome_review_id"]) for r in refunds] == [
        (10_000, "succeeded", str(review_id))
    ]
    assert (
        stripe_server.scalar(
            "SELECT stripe_refund_id FROM guarantee_refunds WHERE review_id = ?", review_id
        )
        == refunds[0].id
    )

    # The team sees the family's ratings and the refund, and gives its side.
    admin.activate(selector="header a[href='/provider/plans']")
    admin.activate(text="See your memberships and outcome trends")
    admin.activate(text=f"{month}: {plan_name} for Amira Khan")
    main = _main(admin.page)
    assert "No walks at all: nobody came on Tuesdays" in main
    assert "Refund of £100.00: refunded by Stripe on" in main
    admin.choose("rating_1", "partly_met")
    admin.choose("rating_2", "met")
    admin.activate(text="Save the ratings")
    assert "Thank you: the ratings are saved." in _main(admin.page)
    admin.assert_no_problems()
    _no_server_errors(stripe_server)
