"""Data for the home and about pages."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import Carer, Provider


def directory_summary() -> dict[str, int]:
    """How many quality-assured providers and listed carers there are."""
    providers = db.session.scalar(
        sa.select(sa.func.count()).select_from(Provider).where(Provider.is_listed)
    )
    carers = db.session.scalar(
        sa.select(sa.func.count()).select_from(Carer).where(Carer.is_listed)
    )
    return {"providers": providers or 0, "carers": carers or 0}


def featured_providers(limit: int = 6) -> list[Provider]:
    """Recently approved providers, for the home page."""
    return list(
        db.session.scalars(
            sa.select(Provider)
            .where(Provider.is_listed)
            .order_by(Provider.approved_at.desc(), Provider.id)
            .limit(limit)
        )
    )
