"""Data for the home and about pages.

Both change only when the catalog does, so each worker computes them once per catalog
version (``catalog_memo``) instead of counting 10k carers on every visit.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from marketplace.catalog import catalog_memo
from marketplace.extensions import db
from marketplace.models import Carer, Provider


@dataclass(frozen=True, slots=True)
class FeaturedProvider:
    """What the home page shows about a provider (plain values, safe to keep)."""

    id: int
    name: str
    legal_form_label: str
    district: str | None


def directory_summary() -> dict[str, int]:
    """How many quality-assured providers and listed carers there are."""
    return catalog_memo("directory_summary", _directory_summary)


def featured_providers(limit: int = 6) -> list[FeaturedProvider]:
    """Recently approved providers, for the home page."""
    return catalog_memo(f"featured_providers:{limit}", lambda: _featured_providers(limit))


def _directory_summary() -> dict[str, int]:
    providers = db.session.scalar(
        sa.select(sa.func.count()).select_from(Provider).where(Provider.is_listed)
    )
    carers = db.session.scalar(sa.select(sa.func.count()).select_from(Carer).where(Carer.is_listed))
    return {"providers": providers or 0, "carers": carers or 0}


def _featured_providers(limit: int) -> list[FeaturedProvider]:
    providers = db.session.scalars(
        sa.select(Provider)
        .where(Provider.is_listed)
        .order_by(Provider.approved_at.desc(), Provider.id)
        .limit(limit)
    )
    return [
        FeaturedProvider(
            id=p.id, name=p.name, legal_form_label=p.legal_form_label, district=p.district
        )
        for p in providers
    ]
