"""Controlled vocabularies: skills, interests and languages."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, in_list

VOCABULARY_KINDS = ("skill", "interest", "language")


class VocabularyTerm(Base):
    __tablename__ = "vocabulary_terms"
    __table_args__ = (
        sa.UniqueConstraint("kind", "slug", name="uq_vocabulary_terms_kind_slug"),
        sa.CheckConstraint(in_list("kind", VOCABULARY_KINDS), name="kind"),
        sa.CheckConstraint("length(slug) > 0", name="slug_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    slug: Mapped[str] = mapped_column(sa.String(60))
    label: Mapped[str] = mapped_column(sa.String(120))
    synonyms: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
