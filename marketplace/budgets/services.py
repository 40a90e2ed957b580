"""The budget's numbers from the pure ledger (payments.ledger), and the work behind the
budget pages: who sees which budgets, statements, entries an ISF provider records, and the
notices `flask billing run` sends."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from marketplace import audit, authz, clock, geo, notifications
from marketplace.billing.repository import SqlBillingRepository
from marketplace.billing.services import record_budget_payment
from marketplace.choices import ConsentScope
from marketplace.extensions import db
from marketplace.models import (
    Arrangement,
    Budget,
    BudgetNotice,
    ConsentGrant,
    CouncilLinks,
    Membership,
    Person,
    Provider,
    ProviderAdmin,
    User,
)
from marketplace.models.budgets import SPENDING_CATEGORIES
from payments import ledger as pure

# Statements cover at most this many days (a council asks for a quarter or a year).
LONGEST_STATEMENT_DAYS = 3 * 366
# Review reminders: 4 weeks ahead (time to gather evidence for the council), then 1 week
# ahead. (notice kind, days ahead): each goes once per review date.
REVIEW_NOTICES = (("review_due_week", 7), ("review_due", 28))
REVIEW_NOTICE_DAYS = max(days for _, days in REVIEW_NOTICES)


def add_months(anchor: date, months: int) -> date:
    """The anchor's day of the month, `months` later, held at the month's last day."""
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def next_review_on(budget: Budget, on: date) -> date:
    """The next review on or after `on`: the date the council set, if still ahead, else
    6 months after the start, then every year after that."""
    return review_after(budget.starts_on, budget.review_on, on)


def review_after(starts_on: date, council_set: date | None, on: date) -> date:
    """next_review_on for a start date (and the review the council set, if any)."""
    if council_set is not None and council_set >= on:
        return council_set
    months = 6
    review = add_months(starts_on, months)
    while review < on:
        months += 12
        review = add_months(starts_on, months)
    return review


@dataclass(frozen=True)
class CouncilDefaults:
    """What a council's new budgets start with, and its surplus limit (platform admins
    set them on /admin/councils/<code>/budgets)."""

    code: str
    categories: tuple[str, ...]
    surplus_limit_weeks: int
    set_by_admin: bool

    @property
    def labels(self) -> list[str]:
        return [SPENDING_CATEGORIES[c] for c in self.categories]


def council_defaults(code: str) -> CouncilDefaults:
    """The council's budget defaults: every spending category and an 8-week surplus limit
    until an admin sets its own."""
    row = db.session.get(CouncilLinks, code) if code else None
    chosen = row.spending_categories if row is not None else None
    categories = tuple(
        c
        for c in (chosen if chosen is not None else SPENDING_CATEGORIES)
        if c in SPENDING_CATEGORIES
    )
    limit = row.surplus_limit_weeks if row is not None else None
    return CouncilDefaults(
        code=code,
        categories=categories,
        surplus_limit_weeks=limit or pure.DEFAULT_SURPLUS_LIMIT_WEEKS,
        set_by_admin=row is not None and (chosen is not None or limit is not None),
    )


def terms(budget: Budget, on: date | None = None) -> pure.BudgetTerms:
    """The budget's terms; with `on`, funded until its next review after `on` (the council
    decides there whether it carries on, so a projection counts no money in from that day
    until the review date is moved on)."""
    return pure.BudgetTerms(
        budget_id=budget.id,
        amount_pence=budget.amount_pence,
        period=pure.BudgetPeriod(budget.period),
        starts_on=budget.starts_on,
        surplus_limit_weeks=council_defaults(budget.care_council_code).surplus_limit_weeks,
        funded_until=next_review_on(budget, on) if on is not None else None,
    )


def ledger(budget: Budget) -> pure.Ledger:
    return pure.Ledger(budget.id, SqlBillingRepository(db.session).entries(budget.id))


@dataclass(frozen=True)
class Overview:
    budget: Budget
    on: date
    balance_pence: int
    projection: pure.Projection | None  # None before the budget starts
    warnings: list[pure.BudgetWarning]
    entries: tuple[pure.LedgerEntry, ...]
    next_review_on: date
    council_name: str
    memberships: list[MembershipPaid]


@dataclass(frozen=True)
class MembershipPaid:
    """A membership paid from the budget, its next payment and any warning about it."""

    membership: Membership
    due_on: date | None  # None: no further payment (cancelled, or ending)
    amount_pence: int
    warning: pure.BudgetWarning | None


LIVE_MEMBERSHIP_STATUSES = ("active", "trialing", "past_due")


def memberships_paid_from(budget: Budget, book: pure.Ledger | None = None) -> list[MembershipPaid]:
    """The live memberships paid from this budget, each with its next payment and a
    warning when that payment would take the budget below zero (Stripe takes it from the
    card whatever the balance, so the warning is all we can do)."""
    rows = db.session.scalars(
        sa.select(Membership)
        .where(Membership.budget_id == budget.id, Membership.status.in_(LIVE_MEMBERSHIP_STATUSES))
        .order_by(Membership.id)
    ).all()
    found = []
    book = book or ledger(budget)
    for membership in rows:
        amount = membership.monthly_price_pence or membership.plan.monthly_price_pence
        due_on = None
        if membership.current_period_end and not membership.cancel_at_period_end:
            due_on = clock.london_date(membership.current_period_end)
        warning = (
            pure.payment_due_warning(book, amount, due_on, f"the {membership.plan.name} membership")
            if due_on is not None
            else None
        )
        found.append(MembershipPaid(membership, due_on, amount, warning))
    return found


def council_name(code: str) -> str:
    try:
        return geo.care_council(code).name
    except KeyError:
        return code


def overview(budget: Budget, on: date | None = None) -> Overview:
    on = on or clock.today()
    book, budget_terms = ledger(budget), terms(budget, on)
    started = on >= budget.starts_on
    return Overview(
        budget=budget,
        on=on,
        balance_pence=book.balance(on),
        projection=pure.project(book, budget_terms, on) if started else None,
        warnings=pure.budget_warnings(book, budget_terms, on) if started else [],
        entries=tuple(reversed(book.entries)),
        next_review_on=next_review_on(budget, on),
        council_name=council_name(budget.care_council_code),
        memberships=memberships_paid_from(budget, book),
    )


def category_label(category: str | None) -> str:
    if not category:
        return "Not given"
    return SPENDING_CATEGORIES.get(category, category)


def weeks_text(weeks) -> str:
    """'3.5 weeks' (one decimal place, as on the CSV)."""
    return pure._weeks_text(weeks)


def kind_label(kind: str) -> str:
    return pure.KIND_LABELS[pure.EntryKind(kind)]


# -- who sees which budgets --------------------------------------------------------------


def visible_budgets(user: User) -> list[Budget]:
    """The budgets this user may see: their own, those of people who gave them the view or
    pay scope, the individual service funds their providers hold (admins: none listed
    here; they open a budget from its address)."""
    people = [user.person] if user.person is not None else []
    grants = db.session.scalars(
        sa.select(ConsentGrant).where(ConsentGrant.supporter_user_id == user.id)
    )
    now = clock.now()
    people += [
        g.person
        for g in grants
        if g.allows(ConsentScope.VIEW, now) or g.allows(ConsentScope.PAY, now)
    ]
    found: dict[int, Budget] = {}
    for person in people:
        for budget in person.budgets:
            found[budget.id] = budget
    held = db.session.scalars(
        sa.select(Budget)
        .join(ProviderAdmin, ProviderAdmin.provider_id == Budget.holder_provider_id)
        .where(ProviderAdmin.user_id == user.id)
    )
    for budget in held:
        found[budget.id] = budget
    return sorted(found.values(), key=lambda b: (b.starts_on, b.id))


def people_user_sets_up_budgets_for(user: User) -> list[Person]:
    """Their own person, and the people whose grant lets this supporter pay."""
    people = [user.person] if user.person is not None else []
    people += [
        grant.person
        for grant in authz.grants_in_force(user)
        if grant.person not in people and authz.can(user, "budget.create", grant.person)
    ]
    return people


def person_name(budget: Budget) -> str:
    return budget.person.display_name if budget.person is not None else "A former member"


# -- setting up and changing a budget -----------------------------------------------------


class BudgetChangeError(ValueError):
    """The budget cannot be set up or changed like this; `fields` says which and why.
    Nothing was changed."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__("; ".join(fields.values()))


@dataclass(frozen=True)
class BudgetDetails:
    """What the budget form sets: the council's terms of the budget."""

    care_council_code: str
    funding_route: str
    amount_pence: int
    period: str
    account_type: str
    allowed_categories: tuple[str, ...]
    starts_on: date
    holder_provider_id: int | None = None


DETAIL_FIELDS = (
    "care_council_code",
    "funding_route",
    "amount_pence",
    "period",
    "account_type",
    "allowed_categories",
    "starts_on",
    "holder_provider_id",
)


def person_council_code(person: Person | None) -> str | None:
    """The council the person's postcode is in (the form's suggestion), if known."""
    return person.care_council_code if person is not None else None


def holder_choices(person: Person | None, budget: Budget | None = None) -> list[Provider]:
    """Providers that may hold the person's individual service fund: those the person has
    an arrangement with, and the fund's present holder."""
    found: dict[int, Provider] = {}
    if person is not None:
        for provider in db.session.scalars(
            sa.select(Provider)
            .join(Arrangement, Arrangement.provider_id == Provider.id)
            .where(Arrangement.person_id == person.id)
            .order_by(Provider.name, Provider.id)
        ):
            found[provider.id] = provider
    if budget is not None and budget.holder is not None:
        found.setdefault(budget.holder.id, budget.holder)
    return sorted(found.values(), key=lambda p: (p.name, p.id))


def _check_details(
    details: BudgetDetails, person: Person | None, budget: Budget | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    try:
        geo.care_council(details.care_council_code)
    except KeyError:
        errors["care_council_code"] = "Choose the council that gives the budget"
    is_isf = details.funding_route == "individual_service_fund"
    if is_isf:
        allowed = {p.id for p in holder_choices(person, budget)}
        if details.holder_provider_id not in allowed:
            errors["holder_provider_id"] = (
                "Choose the provider that holds the fund: one you have an arrangement with"
            )
    unknown = [c for c in details.allowed_categories if c not in SPENDING_CATEGORIES]
    if unknown:
        errors["allowed_categories"] = "Choose spending categories from the list"
    if (
        budget is not None
        and budget.review_on is not None
        and details.starts_on >= budget.review_on
    ):
        errors["starts_on"] = (
            "The start date must be before the review the council set "
            f"({budget.review_on:%-d %B %Y})"
        )
    if budget is not None:
        entries = ledger(budget).entries
        if entries:
            first = min(e.occurred_on for e in entries)
            if details.starts_on > first:
                errors["starts_on"] = (
                    "The start date cannot be after the first entry in the ledger "
                    f"({first:%-d %B %Y})"
                )
    return errors


def _values(details: BudgetDetails) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(details, name) for name in DETAIL_FIELDS}
    values["allowed_categories"] = list(details.allowed_categories)
    if details.funding_route != "individual_service_fund":
        values["holder_provider_id"] = None
    return values


def _same(name: str, old: object, new: object) -> bool:
    if name == "allowed_categories":  # a set of categories: their order says nothing
        return set(old or ()) == set(new or ())  # type: ignore[call-overload]
    return old == new


def _audit_value(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _tell_the_person(budget: Budget, actor: User, what: str) -> None:
    """When someone else (a supporter who pays, an admin) sets up or changes a person's
    budget, the person is told through the outbox."""
    person = budget.person
    if person is None or person.user_id == actor.id:
        return
    notifications.notify(
        [person.user],
        f"{actor.display_name} {what} your budget. Check that it matches the council's letter.",
        notifications.path("budgets.show", budget_id=budget.id),
        "your budget",
    )


def create_budget(person: Person, details: BudgetDetails, actor: User) -> Budget:
    """Set up the person's budget (nothing in its ledger yet: money goes in as the
    council pays it), audited. Raises BudgetChangeError, nothing added."""
    errors = _check_details(details, person, None)
    if errors:
        raise BudgetChangeError(errors)
    budget = Budget(person_id=person.id, **_values(details))
    db.session.add(budget)
    db.session.flush()
    audit.record(
        "budget.created",
        actor_id=actor.id,
        target=budget,
        on_behalf_of_person_id=authz.on_behalf_of(actor, person),
        **{name: _audit_value(value) for name, value in _values(details).items()},
    )
    _tell_the_person(budget, actor, "set up")
    return budget


def amount_difference_text(budget: Budget, new_amount_pence: int) -> str:
    old, new = budget.amount_pence, new_amount_pence
    return (
        f"The budget changed from {pure.format_pounds(old)} to {pure.format_pounds(new)} "
        f"{budget.period_label}: the difference for this period"
    )


def update_budget(
    budget: Budget, details: BudgetDetails, actor: User, record_difference: bool = False
) -> pure.LedgerEntry | None:
    """Change the budget's terms (audited, with what changed). The ledger is not
    rewritten: a new amount applies from the next payment in, and when `record_difference`
    the difference for the current period is appended as an adjustment dated today (the
    council paid it in, or took it back). Raises BudgetChangeError, nothing changed."""
    repo = SqlBillingRepository(db.session)
    book = repo.ledger(budget.id)  # locks the budget row: one change at a time
    errors = _check_details(details, budget.person, budget)
    today = clock.today()
    amount_changed = details.amount_pence != budget.amount_pence
    if record_difference:
        if not amount_changed:
            errors["record_difference"] = "The amount did not change: there is no difference"
        elif details.period != budget.period:
            errors["record_difference"] = (
                "Record a difference only when the amount changes and the period stays the same"
            )
        elif today < budget.starts_on or today < details.starts_on:
            errors["record_difference"] = (
                "The budget has not started yet: there is no period to adjust"
            )
    if errors:
        raise BudgetChangeError(errors)
    values = _values(details)
    changes = {
        name: {"from": _audit_value(getattr(budget, name)), "to": _audit_value(value)}
        for name, value in values.items()
        if not _same(name, getattr(budget, name), value)
    }
    entry = None
    if record_difference:
        person = budget.person
        acts_for = person is not None and person.user_id != actor.id
        supporter = (
            actor.id
            if acts_for and authz.consent_grant(actor, person, ConsentScope.PAY) is not None
            else None
        )
        entry = book.post(
            pure.EntryKind.ADJUSTMENT,
            details.amount_pence - budget.amount_pence,
            today,
            amount_difference_text(budget, details.amount_pence),
            source=pure.EntrySource(recorded_by_user_id=actor.id, supporter_user_id=supporter),
            recorded_at=clock.now(),
        )
        repo.append(entry)
    if not changes:
        return entry
    for name in changes:
        setattr(budget, name, values[name])
    person = budget.person
    audit.record(
        "budget.changed",
        actor_id=actor.id,
        target=budget,
        on_behalf_of_person_id=authz.on_behalf_of(actor, person) if person else None,
        changes=changes,
        adjustment_sequence=entry.sequence if entry is not None else None,
    )
    _tell_the_person(budget, actor, "changed")
    db.session.flush()
    return entry


# -- statements ----------------------------------------------------------------------------


class StatementRequestError(ValueError):
    """The dates asked for are not a statement period; `fields` says which and why."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__("; ".join(fields.values()))


def default_period(budget: Budget, on: date) -> tuple[date, date]:
    """Last calendar month (a council's usual ask), or the budget's first days so far."""
    first_of_month = on.replace(day=1)
    starts = add_months(first_of_month, -1)
    ends = first_of_month - timedelta(days=1)
    if ends < budget.starts_on:
        return budget.starts_on, max(on, budget.starts_on)
    return max(starts, budget.starts_on), ends


DateText = str | tuple[str, str, str] | None  # ISO (from links) or the form's three boxes


def parse_period(budget: Budget, starts: DateText, ends: DateText) -> tuple[date, date]:
    """The statement's first and last days: `from` and `to` as ISO dates (the links we
    make), or the form's day, month and year boxes."""
    from marketplace.date_input import parse_date_parts

    def blank(text: DateText) -> bool:
        return not text or (isinstance(text, tuple) and not any(p.strip() for p in text))

    if blank(starts) and blank(ends):
        return default_period(budget, clock.today())
    errors: dict[str, str] = {}
    parsed: dict[str, date] = {}
    for name, text, what in (("from", starts, "first"), ("to", ends, "last")):
        try:
            if isinstance(text, tuple):
                parsed[name] = parse_date_parts(
                    *text,
                    what=f"The {what} day",
                    blank_message=f"Enter the statement's {what} day, like 1 4 2026",
                    example="1 4 2026",
                )
            else:
                parsed[name] = date.fromisoformat((text or "").strip())
        except ValueError as error:
            errors[name] = (
                str(error)
                if isinstance(text, tuple)
                else f"Enter the statement's {what} day as a date, like 2026-04-01"
            )
    if not errors:
        if parsed["to"] < parsed["from"]:
            errors["to"] = "The last day must be the same as or after the first day"
        elif (parsed["to"] - parsed["from"]).days >= LONGEST_STATEMENT_DAYS:
            errors["to"] = "A statement can cover at most three years"
    if errors:
        raise StatementRequestError(errors)
    return parsed["from"], parsed["to"]


def statement(budget: Budget, starts_on: date, ends_on: date) -> pure.Statement:
    return pure.statement(ledger(budget), terms(budget), starts_on, ends_on)


def monthly_periods(budget: Budget, on: date, count: int = 12) -> list[tuple[date, date]]:
    """The last `count` calendar months since the budget started (for ISF monthly
    statements), newest first, the current month so far included. A year: months a
    provider recorded in stay in reach when the latest months are quiet."""
    periods = []
    month = on.replace(day=1)
    for _ in range(count):
        ends = min(add_months(month, 1) - timedelta(days=1), on)
        if ends < budget.starts_on:
            break
        periods.append((max(month, budget.starts_on), ends))
        month = add_months(month, -1)
    return periods


def audit_statement(user: User, budget: Budget, statement: pure.Statement, form: str) -> None:
    """Every statement a user opens or downloads is in the audit log."""
    person = budget.person
    audit.record(
        "budget.statement_downloaded",
        actor_id=user.id,
        target=budget,
        on_behalf_of_person_id=authz.on_behalf_of(user, person) if person else None,
        format=form,
        starts_on=statement.starts_on.isoformat(),
        ends_on=statement.ends_on.isoformat(),
    )


def statement_filename(budget: Budget, statement: pure.Statement) -> str:
    return (
        f"coopcare-budget-{budget.id}-statement-"
        f"{statement.starts_on.isoformat()}-to-{statement.ends_on.isoformat()}.csv"
    )


# -- entries an individual service fund's provider records ------------------------------

ISF_ENTRY_KINDS = {
    pure.EntryKind.ALLOCATION: "Allocation (money in from the council)",
    pure.EntryKind.PAYMENT: "Payment (money out for the person's support)",
    pure.EntryKind.ADJUSTMENT: "Adjustment",
    pure.EntryKind.REVERSAL: "Reversal of an earlier entry",
}


@dataclass(frozen=True)
class EntryRequest:
    kind: pure.EntryKind
    occurred_on: date
    description: str
    amount_pence: int | None = None  # positive as typed; the direction comes from the kind
    money_in: bool = True  # adjustments only
    category: str | None = None
    reverses_sequence: int | None = None


def record_isf_entry(budget: Budget, request: EntryRequest, actor: User) -> pure.LedgerEntry:
    """Append the provider's entry to the fund's ledger (budget row locked), audited.
    Raises `payments.ledger.LedgerError` (nothing recorded) when the ledger refuses it."""
    source = pure.EntrySource(recorded_by_user_id=actor.id)
    repo = SqlBillingRepository(db.session)
    if request.kind is pure.EntryKind.PAYMENT:
        assert request.amount_pence is not None
        entry = record_budget_payment(
            db.session,
            budget.id,
            request.amount_pence,
            request.occurred_on,
            request.description,
            kind=pure.EntryKind.PAYMENT,
            category=request.category,
            source=source,
        )
    else:
        book = repo.ledger(budget.id)  # locks the budget row
        if request.kind is pure.EntryKind.REVERSAL:
            assert request.reverses_sequence is not None
            entry = book.reverse(
                request.reverses_sequence,
                request.occurred_on,
                request.description,
                recorded_at=clock.now(),
                source=source,
            )
        else:
            assert request.amount_pence is not None
            signed = request.amount_pence if request.money_in else -request.amount_pence
            entry = book.post(
                request.kind,
                signed,
                request.occurred_on,
                request.description,
                category=request.category,
                source=source,
                recorded_at=clock.now(),
            )
        repo.append(entry)
    audit.record(
        "budget.entry_recorded",
        actor_id=actor.id,
        target=budget,
        kind=entry.kind.value,
        sequence=entry.sequence,
        amount_pence=entry.amount_pence,
    )
    return entry


# -- the periodic run: reviews due, surplus and overspend warnings -----------------------


@dataclass
class RunReport:
    budgets: int = 0
    reviews_due: int = 0
    surplus_warnings: int = 0
    overspend_warnings: int = 0

    def summary(self) -> str:
        return (
            f"Checked {self.budgets} budgets: {self.reviews_due} reviews due, "
            f"{self.surplus_warnings} surplus warnings, "
            f"{self.overspend_warnings} overspend warnings sent."
        )


def _recipients(budget: Budget) -> list[User]:
    """The person, their supporters with the view or pay scope, and for an ISF the
    holding provider's admins."""
    users: dict[int, User] = {}
    person: Person | None = budget.person
    if person is not None:
        users[person.user_id] = person.user
        now = clock.now()
        for grant in person.consent_grants:
            if grant.allows(ConsentScope.VIEW, now) or grant.allows(ConsentScope.PAY, now):
                users[grant.supporter_user_id] = grant.supporter
    if budget.holder_provider_id is not None:
        admins = db.session.scalars(
            sa.select(User)
            .join(ProviderAdmin, ProviderAdmin.user_id == User.id)
            .where(ProviderAdmin.provider_id == budget.holder_provider_id)
        )
        for admin in admins:
            users[admin.id] = admin
    return list(users.values())


def _provider_admins(provider_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(ProviderAdmin, ProviderAdmin.user_id == User.id)
            .where(ProviderAdmin.provider_id == provider_id)
        )
    )


def _notice_once(
    budget: Budget,
    kind: str,
    occasion: str,
    message: str,
    subject: str,
    also: list[User] | None = None,
) -> bool:
    """Send the notice unless it already went for this occasion. True when sent."""
    exists = db.session.scalar(
        sa.select(BudgetNotice.id).where(
            BudgetNotice.budget_id == budget.id,
            BudgetNotice.kind == kind,
            BudgetNotice.occasion == occasion,
        )
    )
    if exists is not None:
        return False
    db.session.add(BudgetNotice(budget_id=budget.id, kind=kind, occasion=occasion))
    recipients = _recipients(budget)
    for user in also or []:
        if all(user.id != known.id for known in recipients):
            recipients.append(user)
    if recipients:
        link = notifications.path("budgets.show", budget_id=budget.id)
        notifications.notify(recipients, message, link, subject)
    db.session.flush()
    return True


def run_billing(on: date, progress: Callable[[str], None] | None = None) -> RunReport:
    """Check every budget that has started on `on`: a review within 4 weeks, then within
    a week (REVIEW_NOTICES), a surplus above the council's limit, an overspend now or by
    the next period. Each notice goes once per occasion (the review date, or the budget
    period), so running again the same day, or every day, tells nobody twice. The caller
    commits."""
    report = RunReport()
    budgets = db.session.scalars(
        sa.select(Budget).where(Budget.starts_on <= on).order_by(Budget.id)
    ).all()
    for index, budget in enumerate(budgets, start=1):
        report.budgets += 1
        sent: list[str] = []
        review = next_review_on(budget, on)
        days_ahead = (review - on).days
        # The nearest reminder window the review falls in (a week, else four weeks).
        due = next((kind for kind, days in REVIEW_NOTICES if days_ahead <= days), None)
        if due is not None and _notice_once(
            budget,
            due,
            review.isoformat(),
            f"The council reviews {person_name(budget)}'s budget on {review:%-d %B %Y}"
            f"{' (in a week or less)' if due == 'review_due_week' else ''}. "
            "Have your statements ready.",
            "budget review due",
        ):
            sent.append(f"review due {review.isoformat()}")
            report.reviews_due += 1
        for paid in memberships_paid_from(budget):
            # Before the month is taken, once per payment date: the person's side and the
            # provider (who may agree to pause or change the plan).
            if (
                paid.warning is not None
                and paid.due_on is not None
                and _notice_once(
                    budget,
                    "membership_overspend",
                    f"{paid.membership.id}:{paid.due_on.isoformat()}",
                    paid.warning.message,
                    "membership payment would overspend the budget",
                    also=_provider_admins(paid.membership.plan.provider_id),
                )
            ):
                sent.append(f"membership {paid.membership.id} overspend warning")
                report.overspend_warnings += 1
        period_start, _ = terms(budget).period_containing(on)
        for warning in pure.budget_warnings(ledger(budget), terms(budget, on), on):
            if warning.kind is pure.WarningKind.SURPLUS:
                kind, subject = "surplus", "budget surplus"
            else:
                kind, subject = "overspend", "budget overspend"
            if _notice_once(budget, kind, period_start.isoformat(), warning.message, subject):
                sent.append(f"{kind} warning")
                if kind == "surplus":
                    report.surplus_warnings += 1
                else:
                    report.overspend_warnings += 1
        if progress is not None:
            progress(
                f"Budget {budget.id} ({index} of {len(budgets)}): "
                + (", ".join(sent) + " sent" if sent else "nothing to send")
            )
    return report
