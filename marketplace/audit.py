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
