"""The catalog version: one number that changes whenever matching data changes."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import CatalogVersion


def current_catalog_version() -> int:
    return db.session.scalar(sa.select(CatalogVersion.version).where(CatalogVersion.id == 1)) or 0


def bump_catalog_version() -> None:
    """Mark the catalog changed, so every worker rebuilds its matching index."""
    updated = db.session.execute(
        sa.update(CatalogVersion)
        .where(CatalogVersion.id == 1)
        .values(version=CatalogVersion.version + 1)
    )
    if updated.rowcount == 0:
        db.session.add(CatalogVersion(id=1, version=1))
