"""The optional map on search results: shown with JavaScript, absent without it,
accessible either way, and never the only place anything is said."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e.browser_helpers import axe_violations, keyboard_walk, reflow_problems
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

RESULTS = "/search?postcode=LS6+1AA"


def test_map_appears_with_javascript_and_passes_axe(open_page: Callable[..., Page]) -> None:
    page = open_page(js=True)
    page.goto(RESULTS)
    section = page.locator('[data-module="results-map"]')
    section.wait_for(state="visible")
    page.locator("#results-map.leaflet-container").wait_for()
    markers = page.locator("#results-map path.leaflet-interactive")
    assert markers.count() >= 2  # your area, and carers or providers
    assert axe_violations(page) == []
    assert keyboard_walk(page) == []
    assert reflow_problems(page) == []


def test_map_stays_hidden_without_javascript(open_page: Callable[..., Page]) -> None:
    page = open_page(js=False)
    page.goto(RESULTS)
    assert not page.locator('[data-module="results-map"]').is_visible()
    # The list is the page: carers and providers are all there.
    assert page.locator("main a[href^='/carers/']").count() > 0
    assert page.locator("main a[href^='/providers/']").count() > 0


def test_map_at_320_px_does_not_scroll_sideways(open_page: Callable[..., Page]) -> None:
    page = open_page(js=True, width=320, height=800)
    page.goto(RESULTS)
    page.locator("#results-map.leaflet-container").wait_for()
    assert reflow_problems(page) == []


def test_national_map_with_javascript_draws_every_listed_provider(
    open_page: Callable[..., Page],
) -> None:
    page = open_page(js=True)
    page.goto("/map")
    page.locator('[data-module="results-map"]').wait_for(state="visible")
    page.locator("#results-map.leaflet-container").wait_for()
    listed = page.locator("#list-heading ~ section a[href^='/providers/']").count()
    assert listed >= 20
    assert page.locator("#results-map path.leaflet-interactive").count() == listed
    assert axe_violations(page) == []
    assert keyboard_walk(page) == []


def test_national_map_without_javascript_is_a_list_by_council(
    open_page: Callable[..., Page],
) -> None:
    page = open_page(js=False)
    page.goto("/map")
    assert not page.locator('[data-module="results-map"]').is_visible()
    councils = page.locator("#list-heading ~ section h3 a[href^='/councils/']")
    assert councils.count() >= 5
    assert page.locator("#list-heading ~ section a[href^='/providers/']").count() >= 20
    page.select_option("#legal_form", "worker_coop")
    page.get_by_role("button", name="Show providers").click()
    page.wait_for_load_state()
    assert "legal_form=worker_coop" in page.url
    assert page.locator("#list-heading ~ section a[href^='/providers/']").count() >= 1
