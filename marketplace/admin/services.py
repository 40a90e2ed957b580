"""The reviewers' queue and lists."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace import audit
from marketplace.choices import QAStatus
from marketplace.extensions import db
from marketplace.models import CouncilLinks, Evidence, Provider, QAEvent, User
from marketplace.providers import qa


def review_queue() -> list[tuple[Provider, Any]]:
    """Providers waiting for review, the longest-waiting first: (provider, submitted at)."""
    submitted = (
        sa.select(QAEvent.provider_id, sa.func.max(QAEvent.at).label("submitted_at"))
        .where(QAEvent.to_status == "submitted")
        .group_by(QAEvent.provider_id)
        .subquery()
    )
    waiting_since = sa.func.coalesce(submitted.c.submitted_at, Provider.updated_at)
    rows = db.session.execute(
        sa.select(Provider, waiting_since)
        .outerjoin(submitted, submitted.c.provider_id == Provider.id)
        .where(Provider.qa_status == QAStatus.SUBMITTED)
        .order_by(waiting_since, Provider.id)
    )
    return [(provider, since) for provider, since in rows]


def providers_by_status(status: str) -> list[Provider]:
    return list(
        db.session.scalars(
            sa.select(Provider).where(Provider.qa_status == status).order_by(Provider.name)
        )
    )


def providers_with_expiring_evidence(today: date) -> set[int]:
    """Ids of providers with a current document expired or expiring within the window."""
    limit = today + timedelta(days=qa.EXPIRY_WARNING_DAYS)
    return set(
        db.session.scalars(
            sa.select(Evidence.provider_id)
            .where(Evidence.archived_at.is_(None), Evidence.expires_on <= limit)
            .distinct()
        )
    )


def status_counts() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Provider.qa_status, sa.func.count()).group_by(Provider.qa_status)
    )
    return {status: count for status, count in rows}


# ---------------------------------------------------------------------------
# Council links (admins)
# ---------------------------------------------------------------------------

COUNCIL_LINK_FIELDS = (
    "direct_payment_support_name",
    "direct_payment_support_url",
    "pa_register_url",
)


def council_links(code: str) -> CouncilLinks | None:
    return db.session.get(CouncilLinks, code)


def all_council_links() -> dict[str, CouncilLinks]:
    return {row.code: row for row in db.session.scalars(sa.select(CouncilLinks))}


def save_council_links(code: str, values: dict[str, str | None], actor: User) -> bool:
    """Store an admin's links for a council; audit what changed. False if nothing did."""
    row = db.session.get(CouncilLinks, code)
    if row is None:
        row = CouncilLinks(code=code)
        db.session.add(row)
    changed = {
        name: {"from": getattr(row, name), "to": values.get(name) or None}
        for name in COUNCIL_LINK_FIELDS
        if (getattr(row, name) or None) != (values.get(name) or None)
    }
    if not changed:
        if row in db.session.new:
            db.session.expunge(row)
        return False
    for name, change in changed.items():
        setattr(row, name, change["to"])
    row.updated_by_user_id = actor.id
    audit.record("council_links.update", actor_id=actor.id, council=code, changes=changed)
    return True


def save_council_budget_defaults(
    code: str, categories: list[str], surplus_limit_weeks: int, actor: User
) -> bool:
    """Store a council's budget defaults (new budgets' spending categories, the surplus
    limit); audit what changed. False if nothing did. Budgets already set up keep their
    own categories; the surplus limit applies to every budget in the council."""
    row = db.session.get(CouncilLinks, code)
    if row is None:
        row = CouncilLinks(code=code)
        db.session.add(row)
    values = {"spending_categories": list(categories), "surplus_limit_weeks": surplus_limit_weeks}
    changed = {
        name: {"from": getattr(row, name), "to": value}
        for name, value in values.items()
        if getattr(row, name) != value
    }
    if not changed:
        if row in db.session.new:
            db.session.expunge(row)
        return False
    for name, change in changed.items():
        setattr(row, name, change["to"])
    row.updated_by_user_id = actor.id
    audit.record("council_budget_defaults.update", actor_id=actor.id, council=code, changes=changed)
    return True
