"""An introduction by keyboard alone, with JavaScript on and off: Amira asks Headingley
Care Co-op, Grace accepts and offers a time, Amira picks it, then says they will not go
ahead (so the next run can ask again). Every page reached is checked with axe-core."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from e2e.browser_helpers import Keyboard, reflow_problems, screenshot
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])


def _main(page: Page) -> str:
    return page.locator("main").inner_text()


@JS
def test_ask_accept_choose_a_time_and_close_by_keyboard(
    open_page: Callable[..., Page], demo_ids: dict[str, object], js: bool
) -> None:
    person = open_page("person", js=js)
    keyboard = Keyboard(person, audit=js)
    person.goto(f"/providers/{demo_ids['headingley']}")
    keyboard.skip_to_main()
    keyboard.activate(text="Ask for an introduction")
    assert "Ask for an introduction to Headingley Care Co-op" in person.locator("h1").inner_text()

    # Sending nothing shows the error summary; then a message and a time that suits.
    keyboard.activate(text="Send request")
    assert person.title().startswith("Error: ")
    keyboard.fill("#message", "Hello, I would like help on Tuesday mornings. <b>Thanks</b>")
    keyboard.tick("#preferred_times-4")  # Tuesday morning
    keyboard.activate(text="Send request")
    assert "We have sent your request" in _main(person)
    assert "<b>Thanks</b>" in _main(person)  # shown as typed, never as HTML
    introduction_path = urlsplit(person.url).path

    grace = open_page("provider_admin", js=js)
    answer = Keyboard(grace, audit=js)
    grace.goto("/provider/introductions")
    answer.skip_to_main()
    answer.activate(selector=f"main a[href='{introduction_path}']")
    assert "Amira Khan" in grace.locator("h1").inner_text()
    assert "LS6 1AA" not in _main(grace)  # her area only, until both agree
    answer.activate(text="Accept and offer times to meet")
    when = datetime.date.today() + datetime.timedelta(days=14)
    answer.fill("#time_1", f"{when.day}/{when.month}/{when.year} 10:30am")
    answer.activate(text="Accept and send times")
    assert "You accepted" in _main(grace)

    person.goto(introduction_path)
    keyboard.skip_to_main()
    keyboard.choose("meeting_time", f"{when.isoformat()}T10:30")
    keyboard.activate(text="Choose this time")
    assert "Your meeting is arranged" in _main(person)
    assert "Meeting arranged" in _main(person)
    if js:  # how the two main pages look on a 360 px phone (tests/e2e/screenshots/)
        for page, name in ((person, "introduction-person"), (grace, "introduction-inbox")):
            if page is grace:
                grace.goto("/provider/introductions")
            page.set_viewport_size({"width": 360, "height": 800})
            assert reflow_problems(page) == [], name
            screenshot(page, f"{name}-360")
            page.set_viewport_size({"width": 1280, "height": 900})

    keyboard.tab_to(text="Say you will not go ahead")
    person.keyboard.press("Enter")  # opens the <details>, with or without JavaScript
    keyboard.fill("#reason", "We found help nearer home.")
    keyboard.activate(text="We will not go ahead")
    assert "Not going ahead" in _main(person)
    keyboard.assert_no_problems()
    answer.assert_no_problems()
