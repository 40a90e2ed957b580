"""Declared state machines: the one way any record's status changes.

A :class:`Workflow` is a table of :class:`Move` s: from which states, to which state,
who may make it, whether a reason is needed, what must be true first, and who is told.
:meth:`Workflow.move` checks all of that, then changes the status with a compare-and-set
``UPDATE ... WHERE status = <the status we saw>``, so of two racing moves exactly one
wins and the other gets :class:`IllegalMove` naming the status it lost to. Every move
writes an event row and an audit entry, and its notifications go into the same
transaction (``marketplace.notifications``), so a rolled-back move tells nobody.

Quality assurance is declared in ``marketplace.providers.qa``; introductions, arrangements,
memberships and invoices are declared the same way next to their models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from marketplace import audit
from marketplace.choices import Choice
from marketplace.extensions import db
from marketplace.models import User, WorkflowEvent, utcnow

# Who makes a move: a user, or None for the system (a scheduled job).
Actor = User | None


class MoveError(Exception):
    """A move that cannot happen. ``str()`` is a plain-English sentence safe to show."""

    status_code = 409


class IllegalMove(MoveError):
    """The move is not allowed from the record's current status (409)."""

    def __init__(self, workflow: Workflow, from_state: str, move: str) -> None:
        self.from_status = from_state
        self.action = move
        self.allowed = workflow.allowed(from_state)
        current = workflow.states.label_for(from_state) or from_state
        message = (
            f"{workflow.noun} cannot be {workflow.passive(move)} now: "
            f"its status is “{current.lower()}”."
        )
        if self.allowed:
            message += " It can only be " + " or ".join(map(workflow.passive, self.allowed)) + "."
        super().__init__(message)


class NotAllowed(MoveError):
    """This actor may not make this move on this record (403)."""

    status_code = 403


class ReasonRequired(MoveError, ValueError):
    """The move needs a reason and none was given (400)."""

    status_code = 400

    def __init__(self, action: str, prompt: str) -> None:
        self.action = action
        super().__init__(prompt)


class NotReady(MoveError):
    """Something must be done first; ``missing`` lists what, in plain English (400)."""

    status_code = 400

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("Some things are still missing: " + "; ".join(missing))


@dataclass(frozen=True)
class Notice:
    """A notification a move sends: in the service and by e-mail."""

    users: Sequence[User]
    subject: str
    message: str
    link: str | None = None


@dataclass(frozen=True)
class Moved:
    """What just happened, handed to a move's ``values``, ``after`` and ``notices``."""

    subject: Any
    move: Move
    from_state: str
    actor: Actor
    reason: str
    context: dict[str, Any]

    @property
    def to_state(self) -> str:
        return self.move.target


def anyone(actor: Actor, subject: Any) -> str | None:
    """A ``may`` rule that lets every actor, the system included, make the move."""
    return None


@dataclass(frozen=True)
class Move:
    """One declared move. ``may(actor, subject)`` returns None or why not, in a sentence."""

    name: str
    sources: tuple[str, ...]
    target: str
    passive: str  # how it reads in "This provider cannot be <passive> now"
    may: Callable[[Actor, Any], str | None] = anyone
    reason_prompt: str | None = None  # set: a reason is required, and this asks for it
    check: Callable[[Any, dict[str, Any]], None] | None = None  # raises NotReady
    values: Callable[[Moved], dict[str, Any]] | None = None  # more columns to set
    after: Callable[[Moved], None] | None = None
    notices: Callable[[Moved], Iterable[Notice]] | None = None


@dataclass
class Workflow:
    """A declared state machine over one status column of one model."""

    name: str  # "qa", "introduction": names audit actions ("<audit_prefix>.<move>")
    column: InstrumentedAttribute[str]
    states: type[Choice]
    moves: Sequence[Move]
    noun: str  # "This provider"
    audit_prefix: str = ""
    # Writes the event row; the default is a row in the shared workflow_events table.
    record_event: Callable[[Moved], Any] | None = None
    _by_state: dict[str, dict[str, Move]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        known = set(self.states.values())
        self._by_state = {}
        for move in self.moves:
            for state in (*move.sources, move.target):
                if state not in known:
                    raise ValueError(f"{self.name}: {move.name} uses unknown state {state!r}")
            for source in move.sources:
                if move.name in self._by_state.setdefault(source, {}):
                    raise ValueError(f"{self.name}: {move.name} declared twice from {source}")
                self._by_state[source][move.name] = move
        self.audit_prefix = self.audit_prefix or self.name

    @property
    def model(self) -> Any:
        return self.column.class_

    def table(self) -> dict[str, dict[str, str]]:
        """state -> {move: next state}: the whole machine, for docs and tests."""
        return {
            state: {name: move.target for name, move in moves.items()}
            for state, moves in self._by_state.items()
        }

    def allowed(self, state: str) -> list[str]:
        """The moves declared from ``state``, in declared order."""
        return list(self._by_state.get(state, {}))

    def passive(self, move: str) -> str:
        for declared in self.moves:
            if declared.name == move:
                return declared.passive
        return move.replace("_", " ")

    def may(self, actor: Actor, subject: Any, move: str) -> bool:
        """True when ``move`` is legal now and ``actor`` may make it (for showing buttons)."""
        declared = self._by_state.get(getattr(subject, self.column.key), {}).get(move)
        return declared is not None and declared.may(actor, subject) is None

    def move(
        self, subject: Any, name: str, actor: Actor, *, reason: str = "", **context: Any
    ) -> Any:
        """Make move ``name`` on ``subject``; return the event row. The caller commits.

        Raises IllegalMove (409), NotAllowed (403), ReasonRequired or NotReady (400).
        """
        from_state = getattr(subject, self.column.key)
        move = self._by_state.get(from_state, {}).get(name)
        if move is None:
            raise IllegalMove(self, from_state, name)
        refusal = move.may(actor, subject)
        if refusal is not None:
            raise NotAllowed(refusal)
        reason = (reason or "").strip()
        if move.reason_prompt and not reason:
            raise ReasonRequired(name, move.reason_prompt)
        if move.check is not None:
            move.check(subject, context)

        moved = Moved(subject, move, from_state, actor, reason, context)
        values: dict[str, Any] = {self.column.key: move.target}
        if hasattr(self.model, "updated_at"):
            values["updated_at"] = utcnow()
        if move.values is not None:
            values.update(move.values(moved))
        # Compare-and-set: only the move that still sees ``from_state`` wins.
        result = db.session.execute(
            sa.update(self.model)
            .where(self.model.id == subject.id, self.column == from_state)
            .values(**values)
            .execution_options(synchronize_session="evaluate")
        )
        if result.rowcount != 1:
            db.session.refresh(subject)
            raise IllegalMove(self, getattr(subject, self.column.key), name)

        event = (self.record_event or self._record_event)(moved)
        audit.record(
            f"{self.audit_prefix}.{name}",
            actor_id=actor.id if actor is not None else None,
            target=subject,
            on_behalf_of_person_id=context.get("on_behalf_of_person_id"),
            from_status=from_state,
            to_status=move.target,
            reason=reason,
        )
        if move.after is not None:
            move.after(moved)
        if move.notices is not None:
            from marketplace import notifications

            for notice in move.notices(moved):
                notifications.notify(notice.users, notice.message, notice.link, notice.subject)
        db.session.flush()
        return event

    def _record_event(self, moved: Moved) -> WorkflowEvent:
        event = WorkflowEvent(
            workflow=self.name,
            subject_type=type(moved.subject).__name__,
            subject_id=moved.subject.id,
            from_state=moved.from_state,
            to_state=moved.to_state,
            move=moved.move.name,
            actor_user_id=moved.actor.id if moved.actor is not None else None,
            on_behalf_of_person_id=moved.context.get("on_behalf_of_person_id"),
            reason=moved.reason,
        )
        db.session.add(event)
        return event
