"""Council statements reconcile with the stored ledger, whatever is in it: entries drawn by
hypothesis go into `ledger_entries` through the SQL repository, the CSV is downloaded
through the page, and its totals are checked against SUMs over the table itself."""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.billing.repository import SqlBillingRepository
from marketplace.extensions import db
from marketplace.models import LedgerEntry
from payments.ledger import EntryKind, EntrySource, LedgerError

START = date(2026, 1, 1)
SIGNS = {"allocation": 1, "client_contribution": 1, "refund": 1, "payment": -1}

entries = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from([*SIGNS, "adjustment"]),
            st.integers(1, 200_000),
            st.booleans(),  # an adjustment's direction
            st.integers(0, 120),
            st.sampled_from([None, "agency_care", "respite"]),
            st.sampled_from([None, "INV-1", "INV-2", "=HYPERLINK()"]),
        ),
        st.tuples(st.just("reversal"), st.integers(1, 15), st.integers(0, 120)),
    ),
    max_size=15,
)


def _pence(text: str) -> int:
    return int(Decimal(text) * 100)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entries, st.integers(0, 130), st.integers(0, 90))
def test_statement_csv_totals_reconcile_with_the_stored_ledger(
    make, login, drawn, first: int, length: int
) -> None:
    person = make.user(roles=["person"]).person
    budget = make.budget(person, starts_on=START)
    repo = SqlBillingRepository(db.session)
    for item in drawn:
        book = repo.ledger(budget.id)
        with contextlib.suppress(LedgerError):
            if item[0] == "reversal":
                _, sequence, day = item
                repo.append(book.reverse(sequence, START + timedelta(days=day), "correction"))
            else:
                kind, amount, money_in, day, category, reference = item
                sign = SIGNS.get(kind, 1 if money_in else -1)
                repo.append(
                    book.post(
                        EntryKind(kind),
                        sign * amount,
                        START + timedelta(days=day),
                        "entry",
                        category=category,
                        source=EntrySource(invoice_reference=reference),
                    )
                )
    db.session.commit()
    starts_on = START + timedelta(days=first)
    ends_on = starts_on + timedelta(days=length)
    response = login(person.user).get(
        f"/budgets/{budget.id}/statement.csv?from={starts_on}&to={ends_on}"
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    def section(name: str) -> list[int]:
        return [_pence(row["amount_gbp"]) for row in rows if row["section"] == name]

    def stored(*where) -> int:
        return db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_pence), 0)).where(
                LedgerEntry.budget_id == budget.id, *where
            )
        )

    [opening], [closing] = section("opening balance"), section("closing balance")
    assert opening == stored(LedgerEntry.occurred_on < starts_on)
    assert closing == stored(LedgerEntry.occurred_on <= ends_on)
    money_in, money_out = sum(section("money in")), sum(section("money out"))
    assert opening + money_in + money_out == closing
    in_period = stored(LedgerEntry.occurred_on >= starts_on, LedgerEntry.occurred_on <= ends_on)
    assert money_in + money_out == in_period
    assert sum(section("total money in")) == money_in
    assert sum(section("total money out")) == money_out
    lines = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerEntry)
        .where(
            LedgerEntry.budget_id == budget.id,
            LedgerEntry.occurred_on >= starts_on,
            LedgerEntry.occurred_on <= ends_on,
        )
    )
    assert len(section("money in")) + len(section("money out")) == lines
    # Text from providers never reaches a spreadsheet as a formula.
    assert not any(row["invoice_reference"].startswith("=") for row in rows)
