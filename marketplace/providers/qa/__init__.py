"""Quality assurance of providers: the status workflow (``workflow``), the checklist of
answers and documents review needs (``checklist``) and the daily expiry job
(``expiry``, ``flask qa expire``). Callers use the names below.
"""

from marketplace.providers.qa.checklist import (
    EXPIRY_WARNING_DAYS,
    CheckItem,
    checklist,
    current_evidence,
    expiring_evidence,
    missing_items,
    required_evidence_kinds,
)
from marketplace.providers.qa.expiry import ExpiryReport, qa_cli, run_expiry_check
from marketplace.providers.qa.workflow import (
    PROVIDER_ACTIONS,
    QA_WORKFLOW,
    REVIEWER_ACTIONS,
    STATUS_EXPLANATIONS,
    TRANSITIONS,
    IllegalTransition,
    NotAllowed,
    NotReady,
    QAError,
    ReasonRequired,
    SystemActor,
    allowed_actions,
    history,
    latest_event,
    latest_in,
    notify_provider_admins,
    provider_admin_users,
    transition,
)

__all__ = [
    "EXPIRY_WARNING_DAYS",
    "PROVIDER_ACTIONS",
    "QA_WORKFLOW",
    "REVIEWER_ACTIONS",
    "STATUS_EXPLANATIONS",
    "TRANSITIONS",
    "CheckItem",
    "ExpiryReport",
    "IllegalTransition",
    "NotAllowed",
    "NotReady",
    "QAError",
    "ReasonRequired",
    "SystemActor",
    "allowed_actions",
    "checklist",
    "current_evidence",
    "expiring_evidence",
    "history",
    "latest_event",
    "latest_in",
    "missing_items",
    "notify_provider_admins",
    "provider_admin_users",
    "qa_cli",
    "required_evidence_kinds",
    "run_expiry_check",
    "transition",
]
