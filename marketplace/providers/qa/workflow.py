"""The QA status workflow: draft -> submitted -> approved or changes_requested;
approved -> suspended -> approved again (reinstated).

Status changes go through :func:`transition` only, which makes a move of ``QA_WORKFLOW``
(declared on ``marketplace.workflow``); anything not declared raises
:class:`IllegalTransition`, which the web layer shows as a clear message (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from marketplace import audit, authz, notifications, workflow
from marketplace.choices import QAStatus
from marketplace.extensions import db
from marketplace.models import Notification, Provider, ProviderAdmin, QAEvent, User, utcnow
from marketplace.providers.qa.checklist import missing_items

# What each status means, in plain English, for the provider's dashboard.
STATUS_EXPLANATIONS = {
    "draft": "You have not sent your organisation for quality review yet. Answer the "
    "questions, upload your documents, then send it for review. People cannot find "
    "you on CoopCare until a reviewer approves you.",
    "submitted": "A quality reviewer is checking your answers and documents. We will tell "
    "you what they decide. You cannot change your answers while they check them, but you "
    "can upload new documents.",
    "changes_requested": "A reviewer asked you to change some things before you can be "
    "listed. Make the changes, then send your organisation for review again.",
    "approved": "You are quality assured. People can find you and your carers on CoopCare. "
    "Keep your documents up to date: when one expires you stop being listed.",
    "suspended": "You are not listed on CoopCare at the moment. Fix the problem below, then "
    "a reviewer can reinstate you.",
}

# ---------------------------------------------------------------------------
# Errors: the workflow engine's, under the names QA callers have always used
# ---------------------------------------------------------------------------

QAError = workflow.MoveError
IllegalTransition = workflow.IllegalMove
NotReady = workflow.NotReady
ReasonRequired = workflow.ReasonRequired
NotAllowed = workflow.NotAllowed


# -- who may make each move -----------------------------------------------------------


@dataclass(frozen=True)
class SystemActor:
    """The system acting on an administrator's instruction (``flask catalog import
    --approve``). It may only send for review and approve; the checklist is waived, and the
    waiver, naming the administrator and the source file, is the event's reason and is
    audited.
    """

    admin: User
    source: str  # e.g. "catalog import of providers.json"
    id: None = None  # the event's actor is the system, not a person

    @property
    def waiver(self) -> str:
        return (
            f"Checklist waived by {self.admin.display_name} ({self.admin.email}), an "
            f"administrator, for the {self.source}."
        )

    @property
    def refusal(self) -> str | None:
        if authz.can(self.admin, "catalog.approve"):
            return None
        return "Only an administrator's import can approve this way."


def _provider_side(actor: User | SystemActor | None, provider: Provider) -> str | None:
    if isinstance(actor, SystemActor):
        return actor.refusal
    return authz.refusal(actor, "qa.submit", provider)


def _reviewer(actor: User | SystemActor | None, provider: Provider) -> str | None:
    if isinstance(actor, SystemActor):
        return "Only an administrator's import can approve this way, not this."
    return authz.refusal(actor, "qa.review", provider)


def _reviewer_or_import(actor: User | SystemActor | None, provider: Provider) -> str | None:
    """Reviewers approve; so does an administrator's catalog import (--approve)."""
    if isinstance(actor, SystemActor):
        return actor.refusal
    return _reviewer(actor, provider)


def _reviewer_or_system(actor: User | None, provider: Provider) -> str | None:
    """The daily expiry job (no actor) may suspend; people must be reviewers."""
    return None if actor is None else _reviewer(actor, provider)


# -- what each move needs, sets, does and says ----------------------------------------


def _checklist_complete(provider: Provider, context: dict[str, Any]) -> None:
    # Nobody is sent for review or listed with missing or expired evidence, unless an
    # administrator's import waives the checklist (the waiver is recorded).
    if context.get("system_actor") is not None:
        return
    missing = missing_items(provider, context.get("today"))
    if missing:
        raise NotReady(missing)


def _first_approval(moved: workflow.Moved) -> dict[str, Any]:
    provider = moved.subject
    if moved.move.name == "approve" or provider.approved_at is None:
        return {"approved_at": utcnow()}
    return {}


def _tell_admins(subject: str, message: str) -> Callable[[workflow.Moved], list[workflow.Notice]]:
    def notices(moved: workflow.Moved) -> list[workflow.Notice]:
        provider = moved.subject
        text = message.format(name=provider.name, reason=moved.reason)
        link = notifications.path("providers.dashboard")
        return [workflow.Notice(provider_admin_users(provider), subject, text, link)]

    return notices


def _qa_event(moved: workflow.Moved) -> QAEvent:
    event = QAEvent(
        provider_id=moved.subject.id,
        from_status=moved.from_state,
        to_status=moved.to_state,
        actor_user_id=moved.actor.id if moved.actor else None,
        reason=moved.reason,
    )
    db.session.add(event)
    return event


DRAFT, SUBMITTED, CHANGES, APPROVED, SUSPENDED = (
    QAStatus.DRAFT,
    QAStatus.SUBMITTED,
    QAStatus.CHANGES_REQUESTED,
    QAStatus.APPROVED,
    QAStatus.SUSPENDED,
)

QA_WORKFLOW = workflow.Workflow(
    name="qa",
    audit_prefix="provider.qa",
    column=Provider.qa_status,
    states=QAStatus,
    noun="This provider",
    record_event=_qa_event,
    moves=[
        workflow.Move(
            "submit",
            (DRAFT, CHANGES),
            SUBMITTED,
            passive="sent for review",
            may=_provider_side,
            check=_checklist_complete,
            notices=_tell_admins(
                "We have received your application",
                "We have received {name} for quality review. A reviewer will check your "
                "answers and documents and tell you what they decide.",
            ),
        ),
        workflow.Move(
            "approve",
            (SUBMITTED,),
            APPROVED,
            passive="approved",
            may=_reviewer_or_import,
            check=_checklist_complete,
            values=_first_approval,
            notices=_tell_admins(
                "You are quality assured",
                "{name} is now quality assured. People can find you on CoopCare.",
            ),
        ),
        workflow.Move(
            "request_changes",
            (SUBMITTED,),
            CHANGES,
            passive="sent back for changes",
            may=_reviewer,
            reason_prompt="Enter what needs to change: the provider will see it.",
            notices=_tell_admins(
                "Changes needed before you can be listed",
                "A reviewer asked for changes to {name}: {reason}",
            ),
        ),
        workflow.Move(
            "suspend",
            (APPROVED,),
            SUSPENDED,
            passive="suspended",
            may=_reviewer_or_system,
            reason_prompt="Enter why: the provider will see it.",
            notices=_tell_admins(
                "Your listing is suspended",
                "{name} has been suspended and is not listed on CoopCare. Reason: {reason}",
            ),
        ),
        workflow.Move(
            "reinstate",
            (SUSPENDED,),
            APPROVED,
            passive="reinstated",
            may=_reviewer,
            check=_checklist_complete,
            values=_first_approval,
            notices=_tell_admins(
                "Your listing is back",
                "{name} has been reinstated and is listed on CoopCare again.",
            ),
        ),
    ],
)

# status -> {action: next status}: the only moves a provider's QA status can make.
TRANSITIONS: dict[str, dict[str, str]] = QA_WORKFLOW.table()
PROVIDER_ACTIONS = frozenset({"submit"})
REVIEWER_ACTIONS = frozenset({"approve", "request_changes", "suspend", "reinstate"})


def allowed_actions(status: str) -> list[str]:
    return QA_WORKFLOW.allowed(status)


def transition(
    provider: Provider,
    action: str,
    actor: User | SystemActor | None,
    reason: str = "",
    today: date | None = None,
) -> QAEvent:
    """Move the provider's QA status by ``action``; audit it and tell its admins.

    Raises IllegalTransition, ReasonRequired, NotReady or NotAllowed (all QAError).
    The caller commits.
    """
    context: dict[str, Any] = {"today": today}
    waived: list[str] = []
    if isinstance(actor, SystemActor):
        # The import vouches for the file: the checklist is waived, and the waiver is the
        # reason the QA history shows, naming the administrator and the file.
        waived = missing_items(provider, today) if action in ("submit", "approve") else []
        said = actor.waiver if waived else f"By {actor.admin.display_name} for the {actor.source}."
        reason = " ".join(filter(None, [said, (reason or "").strip()]))
        context["system_actor"] = actor
    event = QA_WORKFLOW.move(provider, action, actor, reason=reason, **context)
    if waived and isinstance(actor, SystemActor):
        audit.record(
            "provider.qa.checklist_waived",
            actor_id=actor.admin.id,
            target=provider,
            source=actor.source,
            missing=waived,
        )
    return event


def latest_event(provider: Provider, to_status: str | None = None) -> QAEvent | None:
    query = sa.select(QAEvent).where(QAEvent.provider_id == provider.id)
    if to_status:
        query = query.where(QAEvent.to_status == to_status)
    return db.session.scalar(query.order_by(QAEvent.at.desc(), QAEvent.id.desc()).limit(1))


def history(provider: Provider) -> list[QAEvent]:
    """Every QA event, newest first, with who made it (in the same query: the history
    table names each one's actor; their roles are not needed)."""
    return list(
        db.session.scalars(
            sa.select(QAEvent)
            .where(QAEvent.provider_id == provider.id)
            .options(joinedload(QAEvent.actor).lazyload(User.role_rows))
            .order_by(QAEvent.at.desc(), QAEvent.id.desc())
        )
    )


def latest_in(history: list[QAEvent], to_status: str) -> QAEvent | None:
    """``latest_event(provider, to_status)`` from the provider's ``history()``."""
    return next((event for event in history if event.to_status == to_status), None)


# ---------------------------------------------------------------------------
# Who hears about a provider
# ---------------------------------------------------------------------------


def provider_admin_users(provider: Provider) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(ProviderAdmin, ProviderAdmin.user_id == User.id)
            .where(ProviderAdmin.provider_id == provider.id, User.is_active_account.is_(True))
            .order_by(User.id)
        )
    )


def notify_provider_admins(provider: Provider, message: str, subject: str) -> list[Notification]:
    return notifications.notify(
        provider_admin_users(provider), message, notifications.path("providers.dashboard"), subject
    )
