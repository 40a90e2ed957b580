"""SQLAlchemy models, one module per area. Importing this registers them all."""

from marketplace.models.audit import AuditLog, CatalogVersion
from marketplace.models.base import Base, utcnow
from marketplace.models.budgets import Budget
from marketplace.models.councils import CouncilLinks
from marketplace.models.people import ConsentGrant, Person
from marketplace.models.providers import Carer, Provider, ProviderAdmin, Team, TeamMember
from marketplace.models.quality import (  # noqa: F401
    Evidence,
    Notification,
    OnboardingProgress,
    OutboxEmail,
    QAEvent,
)
from marketplace.models.users import ROLES, User, UserRole
from marketplace.models.vocabulary import VocabularyTerm
from marketplace.models.workflow import WorkflowEvent

__all__ = [
    "ROLES",
    "AuditLog",
    "Base",
    "Budget",
    "Carer",
    "CatalogVersion",
    "ConsentGrant",
    "CouncilLinks",
    "Person",
    "Provider",
    "ProviderAdmin",
    "Team",
    "TeamMember",
    "User",
    "UserRole",
    "VocabularyTerm",
    "WorkflowEvent",
    "utcnow",
]
