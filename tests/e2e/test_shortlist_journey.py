"""Anonymous search -> shortlist -> register -> the shortlist is kept -> compare, by
keyboard alone, with JavaScript on (axe on every page reached) and off."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from e2e.browser_helpers import Keyboard, LiveServer, screenshot
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def _flash(page: Page) -> str:
    return " ".join(page.locator("main .notice").all_inner_texts())


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_visitor_shortlists_registers_keeps_it_and_compares(
    open_page: Callable[..., Page], live_server: LiveServer, js: bool
) -> None:
    page = open_page(js=js)
    keyboard = Keyboard(page, audit=js)
    page.goto("/")
    keyboard.skip_to_main()
    keyboard.tab_to(selector="#postcode")
    keyboard.type("LS6 1AA")
    keyboard.press("Enter")
    assert "Care near LS6" in page.locator("h1").inner_text()

    # The first two carers: "Add <name> to shortlist" comes back to the same card.
    names = page.locator("main .result h3 a").all_inner_texts()[:2]
    assert len(names) == 2
    for name in names:
        keyboard.activate(text=f"Add {name} to shortlist")
        assert urlsplit(page.url).path == "/search"
        assert f"{name} is on your shortlist" in _flash(page)
    assert page.locator("main .result").first.get_by_text("On your shortlist").is_visible()

    keyboard.activate(selector="header a[href='/shortlist']")
    assert page.locator("h1").inner_text() == "Your shortlist"
    for name in names:
        assert name in page.locator("main").inner_text()

    # Register: the confirmation link logs in, and the shortlist moves to the account.
    keyboard.activate(selector="main a[href='/register']")
    email_address = f"kim-{uuid.uuid4().hex[:8]}@coopcare.example"
    keyboard.fill("#display_name", "Kim Keys")
    keyboard.fill("#email", email_address)
    keyboard.fill("#password", "shortlist by keyboard")
    keyboard.fill("#confirm", "shortlist by keyboard")
    keyboard.choose("account_type", "person")
    keyboard.activate(text="Create account")
    assert "Check your email" in page.locator("h1").inner_text()
    page.goto(live_server.last_link_to(email_address, "/register/confirm/"))
    assert "We kept your shortlist: 2 saved to your account" in _flash(page)

    keyboard.activate(selector="header a[href='/shortlist']")
    for name in names:
        assert name in page.locator("main").inner_text()
    # Compare with one chosen: the error summary; then both.
    keyboard.tick("input[type=checkbox][name=item]")
    keyboard.activate(text="Compare chosen")
    assert page.title().startswith("Error"), page.title()
    assert "Choose 2 or 3" in page.locator("#error-summary").inner_text()
    for box in page.locator("input[type=checkbox][name=item]").all():
        if not box.is_checked():
            keyboard.tick(f"#{box.get_attribute('id')}")
    keyboard.activate(text="Compare chosen")
    assert page.locator("h1").inner_text() == "Compare side by side"
    headers = page.locator("table thead th").all_inner_texts()
    assert all(any(name in header for header in headers) for name in names)
    assert "LS6 1AA" not in page.locator("main").inner_text()

    # A private note, by keyboard.
    keyboard.activate(selector="main a.back-link")
    keyboard.fill("textarea[name=note]", "Lovely on the phone")
    keyboard.activate(text="Save note")
    assert "Your note is saved" in _flash(page)
    assert page.locator("textarea[name=note]").first.input_value() == "Lovely on the phone"
    keyboard.assert_no_problems()


def test_compare_page_at_phone_and_desktop_widths(open_page: Callable[..., Page], demo_ids):
    """Screenshots of Amira's compare table at 360 px and 1280 px (looked at by hand);
    at 360 px the table scrolls inside its own box and the page does not."""
    for width in (360, 1280):
        page = open_page("person", width=width)
        response = page.goto(f"/shortlist/compare?{demo_ids['amira_compare']}")
        assert response is not None and response.status == 200
        screenshot(page, f"shortlist-compare-{width}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"


def test_easy_read_is_large_print_with_a_picture_for_each_idea(
    open_page: Callable[..., Page], demo_ids
) -> None:
    page = open_page("person", width=360)
    response = page.goto(f"/carers/{demo_ids['ana']}/easy-read")
    assert response is not None and response.status == 200
    sizes = page.eval_on_selector_all(
        "main .easy-read-line p", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 14 * 96 / 72, sizes  # 14 pt
    lines = page.locator("main .easy-read-line")
    for i in range(lines.count()):
        line = lines.nth(i)
        image = line.locator("img")
        assert image.get_attribute("alt")
        # The picture is on the left of its words.
        assert image.bounding_box()["x"] < line.locator("p").first.bounding_box()["x"]
    screenshot(page, "easy-read-360")
    page.emulate_media(media="print")
    assert not page.locator("header.site-header").is_visible()
