"""The reviewers' queue and lists."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace import qa
from marketplace.extensions import db
from marketplace.models import Evidence, Provider, QAEvent


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
        .where(Provider.qa_status == "submitted")
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
