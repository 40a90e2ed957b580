"""Provider invoices by keyboard alone, with JavaScript on (axe-core on every page) and
off: Headingley's admin raises an invoice on Amira's arrangement, Amira finds it on her
budget page, approves it and records the bank transfer that paid it; the ledger has one
payment naming the invoice, and the provider's list says it is paid."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e.browser_helpers import Keyboard, LiveServer
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])


@JS
def test_a_provider_raises_and_a_person_approves_and_pays_an_invoice_by_keyboard(
    open_page: Callable[..., Page], live_server: LiveServer, js: bool
) -> None:
    # The provider raises it (one agreed arrangement: it is chosen, its rate filled in).
    provider = open_page("provider_admin", js=js)
    keys = Keyboard(provider, audit=js)
    provider.goto("/provider/invoices")
    keys.skip_to_main()
    keys.activate(text="Raise an invoice")
    reference = provider.locator("#reference").input_value()
    assert reference.startswith("INV-")
    keys.fill("#description", f"Support visits ({'with' if js else 'without'} JavaScript)")
    keys.choose("category", "agency_care")
    keys.fill("#hours", "3")
    keys.fill("#minutes", "30")
    keys.activate(text="Send the invoice")
    assert f"Invoice {reference}" in provider.locator("h1").inner_text()
    assert "Waiting for approval" in provider.locator("main").inner_text()
    keys.assert_no_problems()
    invoice_id = live_server.scalar(
        "SELECT id FROM provider_invoices WHERE reference = ?", reference
    )
    amount = live_server.scalar(
        "SELECT amount_pence FROM provider_invoices WHERE id = ?", invoice_id
    )
    assert amount > 0

    # Amira finds it on her budget page, approves it, and records the transfer.
    person = open_page("person", js=js)
    keyboard = Keyboard(person, audit=js)
    person.goto("/budgets")
    keyboard.skip_to_main()
    keyboard.activate(selector="main a[href^='/budgets/']:not([href*='/new'])")
    keyboard.activate(selector=f"main a[href='/invoices/{invoice_id}']")
    assert person.locator("h1").inner_text() == f"Invoice {reference}"
    keyboard.activate(text="Approve the invoice")
    assert "The invoice is approved." in person.locator("main").inner_text()
    keyboard.fill("#bank-bank_reference", f"FT {reference}")
    keyboard.activate(text="Record the bank transfer")
    main = person.locator("main").inner_text()
    assert "the invoice is paid" in main and "Paid" in main
    keyboard.assert_no_problems()

    assert live_server.scalar(
        "SELECT status || ' ' || paid_by FROM provider_invoices WHERE id = ?", invoice_id
    ) == ("paid bank_transfer")
    assert (
        live_server.scalar(
            "SELECT count(*) FROM ledger_entries WHERE invoice_id = ? AND kind = 'payment' "
            "AND amount_pence = ?",
            invoice_id,
            -amount,
        )
        == 1
    )
    provider.goto("/provider/invoices")
    assert "Paid" in provider.locator("main").inner_text()
