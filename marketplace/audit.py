"""Write audit log rows."""

from __future__ import annotations

from typing import Any

from marketplace.extensions import db
from marketplace.models import AuditLog


def record(
    action: str,
    *,
    actor_id: int | None,
    target: Any = None,
    on_behalf_of_person_id: int | None = None,
    **detail: Any,
) -> AuditLog:
    """Add an audit row to the session (the caller commits)."""
    entry = AuditLog(
        action=action,
        actor_user_id=actor_id,
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
        on_behalf_of_person_id=on_behalf_of_person_id,
        detail=detail,
    )
    db.session.add(entry)
    return entry


def record_staff_reading(user: Any, target: Any) -> bool:
    """Audit platform staff opening a person's budget (its ledger), arrangement or
    membership when they are none of its parties (``authz.staff_reading``), as staff
    readings of an introduction's thread are. True when a row was added (the caller
    commits)."""
    from marketplace import authz

    reader = authz._user(user)
    if reader is None or not authz.staff_reading(reader, target):
        return False
    record(
        f"{type(target).__name__.lower()}.staff_read",
        actor_id=reader.id,
        target=target,
        person_id=getattr(target, "person_id", None),
    )
    return True
