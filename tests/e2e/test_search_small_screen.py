"""Search on a 360 px phone: the first result is on the first screen, with and without
JavaScript, and the folded form opens by keyboard."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e.browser_helpers import axe_violations, reflow_problems, screenshot
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

# Many choices made: before, they pushed the first result ~3,700 px down.
BUSY_SEARCH = (
    "/search?postcode=LS6+1AA&radius_km=20&skill=personal_care&skill=cooking"
    "&interest=gardening&interest=music&gender=female"
)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_first_result_is_on_the_first_screen(open_page: Callable[..., Page], js: bool) -> None:
    page = open_page(js=js, width=360, height=740)
    page.goto(BUSY_SEARCH)
    first = page.locator("li.result h3").first
    box = first.bounding_box()
    screenshot(page, f"search-360-{'js' if js else 'no-js'}")
    assert box is not None and box["y"] + box["height"] <= 740, box
    assert reflow_problems(page) == []


def test_the_folded_form_opens_by_keyboard(open_page: Callable[..., Page]) -> None:
    page = open_page(width=360, height=740)
    page.goto(BUSY_SEARCH)
    summary = page.locator("details.change-search > summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.change-search").get_attribute("open") is not None
    assert page.locator("#postcode").is_visible()
    assert axe_violations(page) == []
