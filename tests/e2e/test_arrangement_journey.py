"""The demo person's arrangement by keyboard alone, with JavaScript on and off: read it,
open the Easy Read version, try to pause it without a reason (the error summary), pause
it with one, and start it again. With JavaScript on, every page is checked with axe.
Screenshots of the arrangement and its Easy Read view at 360 px go to screenshots/."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e.browser_helpers import (
    DEMO_EMAILS,
    DEMO_PASSWORD,
    Keyboard,
    assert_error_summary,
    axe_violations,
    keyboard_login,
    screenshot,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_pause_and_restart_the_arrangement_by_keyboard(
    open_page: Callable[..., Page], demo_ids: dict[str, object], js: bool
) -> None:
    page = open_page(js=js)
    keyboard = Keyboard(page, audit=js)
    keyboard_login(keyboard, DEMO_EMAILS["person"], DEMO_PASSWORD)
    page.goto("/arrangements")
    keyboard.skip_to_main()
    keyboard.activate(text="Amira Khan with Headingley Care Co-op")
    assert "/arrangements/" in page.url
    main = page.locator("main").inner_text()
    assert "I get to the allotment on Tuesdays" in main and "LS6 1AA" in main

    keyboard.activate(text="Read this in Easy Read")
    assert "easy-read" in page.url
    assert page.locator(".easy-read-line svg[role=img]").count() >= 8
    page.go_back()
    page.wait_for_load_state()

    # Pausing needs a reason: the error summary, then its link leads to the box.
    keyboard.tab_to(text="Pause the arrangement")
    page.keyboard.press("Enter")  # opens the <details>
    keyboard.activate(selector="form[action$='/pause'] button")
    assert_error_summary(page, js)
    keyboard.tab_to(selector="#error-summary a")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "reason-pause"
    keyboard.type("Amira is visiting family for two weeks")
    keyboard.tab_to(selector="form[action$='/pause'] button")
    keyboard.press("Enter")
    assert "paused" in page.locator("main .notice").inner_text()
    assert "Paused" in page.locator("main .tag").first.inner_text()

    keyboard.activate(text="Start the arrangement again")
    assert "started again" in page.locator("main .notice").inner_text()
    keyboard.assert_no_problems()


def test_arrangement_and_easy_read_at_360px(
    open_page: Callable[..., Page], demo_ids: dict[str, object]
) -> None:
    page = open_page("person", width=360, height=780)
    for path, name in (
        (f"/arrangements/{demo_ids['amira_arrangement']}", "arrangement-360"),
        (f"/arrangements/{demo_ids['amira_arrangement']}/easy-read", "arrangement-easy-read-360"),
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200
        assert axe_violations(page) == []
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{path} scrolls sideways at 360 px"
        screenshot(page, name)
    # Easy Read words are at least 14 pt (18.67 px).
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.easy-read-line p')).fontSize)"
    )
    assert size >= 18.6
