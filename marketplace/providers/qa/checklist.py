"""The QA checklist: every answer and document quality review needs, each derived from
the data (the answers' checks are the onboarding questions' own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from marketplace import clock
from marketplace.extensions import db
from marketplace.models import Evidence, Provider
from marketplace.models.quality import EVIDENCE_KINDS
from marketplace.providers import onboarding

EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class CheckItem:
    key: str  # a step slug ("registration") or "evidence:<kind>"
    label: str
    ok: bool
    detail: str  # what we found, or what is missing, in plain English
    step: str | None = None  # the onboarding step that fixes it
    evidence_kind: str | None = None


def required_evidence_kinds(provider: Provider) -> list[str]:
    """Insurance, safeguarding and DBS policies always; the regulator's certificate when
    registered with one."""
    kinds = ["insurance", "safeguarding_policy", "dbs_policy"]
    if provider.regulated:
        kinds.append("cqc_registration")
    return kinds


def current_evidence(provider_id: int) -> dict[str, Evidence]:
    """The current (not replaced) document of each kind."""
    rows = db.session.scalars(
        sa.select(Evidence)
        .where(Evidence.provider_id == provider_id, Evidence.archived_at.is_(None))
        .order_by(Evidence.uploaded_at, Evidence.id)
    )
    return {row.kind: row for row in rows}  # the newest wins if there were ever two


def _answer_checks(provider: Provider, unanswered: set[str] | None = None) -> list[CheckItem]:
    if unanswered is None:
        unanswered = onboarding.unanswered_steps(provider)
    return [
        CheckItem(question.slug, question.title, ok, detail, step=question.slug)
        for question, ok, detail in onboarding.answer_checks(provider, unanswered)
    ]


def _evidence_checks(
    provider: Provider, today: date, documents: dict[str, Evidence] | None = None
) -> list[CheckItem]:
    if documents is None:
        documents = current_evidence(provider.id) if provider.id is not None else {}
    items = []
    for kind in required_evidence_kinds(provider):
        document = documents.get(kind)
        if document is None:
            ok, detail = False, "Not uploaded yet"
        elif document.is_expired(today):
            expired = clock.long_date(document.expires_on)
            ok, detail = False, f"Expired on {expired}. Upload a new one."
        else:
            ok = True
            detail = f"Uploaded, expires on {clock.long_date(document.expires_on)}"
            if document.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS):
                detail += " (soon: upload the new one before then)"
        items.append(
            CheckItem(f"evidence:{kind}", EVIDENCE_KINDS[kind], ok, detail, evidence_kind=kind)
        )
    return items


def checklist(
    provider: Provider,
    today: date | None = None,
    *,
    unanswered: set[str] | None = None,
    documents: dict[str, Evidence] | None = None,
) -> list[CheckItem]:
    """Every answer and document QA needs, each derived from the data (``unanswered``
    and ``documents``: ``onboarding.unanswered_steps`` and ``current_evidence`` when
    the caller has read them already)."""
    return _answer_checks(provider, unanswered) + _evidence_checks(
        provider, today or clock.today(), documents
    )


def missing_items(provider: Provider, today: date | None = None) -> list[str]:
    """What is still needed, as sentences: empty when the provider is ready."""
    return [f"{item.label}: {item.detail}" for item in checklist(provider, today) if not item.ok]


def expiring_evidence(
    provider: Provider,
    today: date | None = None,
    documents: dict[str, Evidence] | None = None,
) -> list[Evidence]:
    """Current documents that have expired or expire within the warning window
    (``documents``: ``current_evidence`` when the caller has read it already)."""
    today = today or clock.today()
    limit = today + timedelta(days=EXPIRY_WARNING_DAYS)
    if documents is None:
        documents = current_evidence(provider.id)
    return sorted(
        (e for e in documents.values() if e.expires_on <= limit),
        key=lambda e: e.expires_on,
    )
