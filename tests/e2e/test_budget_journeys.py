"""Budgets by keyboard alone, with JavaScript on and off: a person opens their budget,
asks for a quarter's council statement in the day, month and year boxes, and downloads it
as a spreadsheet; the file reconciles (opening + money in − money out = closing) and the
download is in the audit log. A person who sends the new-budget form empty gets the
error summary, whose links lead to the fields."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from e2e.browser_helpers import Keyboard, LiveServer, assert_error_summary
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])


@JS
def test_a_person_downloads_a_statement_by_keyboard(
    open_page: Callable[..., Page], live_server: LiveServer, js: bool
) -> None:
    page = open_page("person", js=js)
    keyboard = Keyboard(page, audit=js)
    page.goto("/budgets")
    keyboard.skip_to_main()
    keyboard.activate(selector="main a[href^='/budgets/']:not([href*='/new'])")
    assert page.locator("h1").inner_text().startswith("Budget for")
    keyboard.activate(text="See a statement for the council")
    assert "/statement" in page.url

    for box, value in (
        ("#from_day", "1"),
        ("#from_month", "4"),
        ("#from_year", "2026"),
        ("#to_day", "30"),
        ("#to_month", "6"),
        ("#to_year", "2026"),
    ):
        keyboard.fill(box, value)
    keyboard.activate(text="Show the statement")
    assert "1 April 2026 to 30 June 2026" in page.locator("main").inner_text()
    audits_before = live_server.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'budget.statement_downloaded'"
    )

    keyboard.tab_to(text="Download this statement as a spreadsheet")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    download = download_info.value
    assert download.suggested_filename.endswith("-statement-2026-04-01-to-2026-06-30.csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))

    def amount(section: str) -> Decimal:
        return sum(
            (Decimal(row["amount_gbp"]) for row in rows if row["section"] == section),
            Decimal(0),
        )

    opening, closing = amount("opening balance"), amount("closing balance")
    money_in, money_out = amount("money in"), amount("money out")
    assert opening + money_in + money_out == closing  # money out is negative in the file
    assert amount("total money in") == money_in and amount("total money out") == money_out
    kinds = {row["type"] for row in rows if row["section"] in ("money in", "money out")}
    assert {"Allocation", "Client contribution", "Payment", "Refund"} <= kinds
    assert (
        live_server.scalar(
            "SELECT count(*) FROM audit_log WHERE action = 'budget.statement_downloaded'"
        )
        == audits_before + 1
    )
    keyboard.assert_no_problems()


@JS
def test_an_empty_new_budget_form_shows_the_error_summary(
    open_page: Callable[..., Page], js: bool
) -> None:
    page = open_page("person", js=js)
    keyboard = Keyboard(page, audit=js)
    page.goto("/budgets")
    keyboard.skip_to_main()
    keyboard.activate(text="Set up a budget")
    assert "/budgets/new" in page.url
    keyboard.activate(text="Set up the budget")
    assert_error_summary(page, js)
    summary = page.locator("#error-summary").inner_text()
    assert "Choose how the budget is paid" in summary
    assert "Enter the date the budget starts" in summary
    keyboard.tab_to(selector="#error-summary a[href='#funding_route']")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "funding_route"
    keyboard.assert_no_problems()
