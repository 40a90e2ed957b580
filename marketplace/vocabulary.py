"""The skills, interests and languages vocabularies, stored in the database.

The defaults live in ``matching.vocabulary`` (the matching engine normalises against
them); ``sync_vocabulary`` copies them into the database, where admins can see them
and forms and the API read them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import VocabularyTerm
from matching.vocabulary import DEFAULT_VOCABULARY

KINDS = {"skill": "skills", "interest": "interests", "language": "languages"}


def sync_vocabulary() -> int:
    """Insert or update the default terms. Returns how many rows changed."""
    existing = {(t.kind, t.slug): t for t in db.session.scalars(sa.select(VocabularyTerm))}
    changed = 0
    for kind, plural in KINDS.items():
        for slug, term in DEFAULT_VOCABULARY.terms(plural).items():  # type: ignore[arg-type]
            row = existing.get((kind, slug))
            synonyms = list(term.synonyms)
            if row is None:
                db.session.add(
                    VocabularyTerm(kind=kind, slug=slug, label=term.label, synonyms=synonyms)
                )
                changed += 1
            elif row.label != term.label or list(row.synonyms or []) != synonyms:
                row.label, row.synonyms = term.label, synonyms
                changed += 1
    return changed


def vocabulary_listing() -> dict[str, list[dict[str, Any]]]:
    """All terms by kind, for the API and forms.

    Read once per request (a search form asks for three kinds) and, where the catalog is
    cached, kept with the catalog for at most a minute, so a label edited by
    ``flask vocabulary sync`` shows within a minute.
    """
    from flask import g, has_request_context

    from marketplace.catalog import catalog_memo

    if not has_request_context():
        return _vocabulary_listing()
    if "coopcare_vocabulary" not in g:
        g.coopcare_vocabulary = catalog_memo("vocabulary", _vocabulary_listing, max_age=60)
    return g.coopcare_vocabulary


def _vocabulary_listing() -> dict[str, list[dict[str, Any]]]:
    rows = db.session.scalars(
        sa.select(VocabularyTerm).order_by(VocabularyTerm.kind, VocabularyTerm.label)
    ).all()
    listing: dict[str, list[dict[str, Any]]] = {plural: [] for plural in KINDS.values()}
    if not rows:  # a database that was never synced still answers with the defaults
        for plural in KINDS.values():
            terms = DEFAULT_VOCABULARY.terms(plural)  # type: ignore[arg-type]
            listing[plural] = [
                {"slug": t.slug, "label": t.label, "synonyms": list(t.synonyms)}
                for t in sorted(terms.values(), key=lambda t: t.label)
            ]
        return listing
    for row in rows:
        listing[KINDS[row.kind]].append(
            {"slug": row.slug, "label": row.label, "synonyms": list(row.synonyms or [])}
        )
    return listing


def choices(kind: str) -> list[tuple[str, str]]:
    """(slug, label) pairs for a form field, sorted by label."""
    return [(t["slug"], t["label"]) for t in vocabulary_listing()[KINDS[kind]]]


def label(kind: str, slug: str) -> str:
    """The human label of a slug ("peg_feeding" -> "PEG feeding")."""
    term = DEFAULT_VOCABULARY.terms(KINDS[kind]).get(slug)  # type: ignore[arg-type]
    return term.label if term else slug.replace("_", " ")
