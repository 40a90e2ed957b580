"""SQLAlchemy models, one module per area. Importing this registers them all."""

from marketplace.models.arrangements import (
    Arrangement,
    ArrangementMember,
    ArrangementOutcome,
    ArrangementVersion,
    Review,
    ReviewRating,
    ReviewReport,
)
from marketplace.models.audit import AuditLog, CatalogVersion, ReviewsVersion
from marketplace.models.base import Base, utcnow
from marketplace.models.budgets import Budget, BudgetNotice
from marketplace.models.councils import CouncilLinks
from marketplace.models.introductions import (
    Introduction,
    IntroductionBlock,
    IntroductionMessage,
)
from marketplace.models.memberships import (
    GuaranteeRefund,
    MembershipStart,
    OutcomeReview,
    OutcomeReviewLine,
)
from marketplace.models.payments import (
    CardPayment,
    LedgerEntry,
    Membership,
    MembershipInvoice,
    MembershipPlan,
    ProviderInvoice,
    StripeRefundTotal,
    WebhookEvent,
)
from marketplace.models.people import ConsentGrant, Person, SupporterInvitation
from marketplace.models.providers import (
    Carer,
    CarerCheck,
    CarerInvitation,
    Provider,
    ProviderAdmin,
    Team,
    TeamMember,
)
from marketplace.models.quality import (  # noqa: F401
    Evidence,
    Notification,
    OnboardingProgress,
    OutboxEmail,
    QAEvent,
)
from marketplace.models.shortlists import SavedSearch, SavedSearchCarer, ShortlistEntry
from marketplace.models.users import ROLES, User, UserRole
from marketplace.models.vocabulary import VocabularyTerm
from marketplace.models.workflow import WorkflowEvent

__all__ = [
    "ROLES",
    "Arrangement",
    "ArrangementMember",
    "ArrangementOutcome",
    "ArrangementVersion",
    "AuditLog",
    "Base",
    "Budget",
    "BudgetNotice",
    "CardPayment",
    "Carer",
    "CarerCheck",
    "CarerInvitation",
    "CatalogVersion",
    "ConsentGrant",
    "CouncilLinks",
    "Introduction",
    "IntroductionBlock",
    "IntroductionMessage",
    "GuaranteeRefund",
    "LedgerEntry",
    "Membership",
    "MembershipInvoice",
    "MembershipPlan",
    "MembershipStart",
    "OutcomeReview",
    "OutcomeReviewLine",
    "Person",
    "Provider",
    "ProviderAdmin",
    "ProviderInvoice",
    "SavedSearch",
    "SavedSearchCarer",
    "ShortlistEntry",
    "Review",
    "ReviewsVersion",
    "ReviewRating",
    "ReviewReport",
    "StripeRefundTotal",
    "SupporterInvitation",
    "Team",
    "TeamMember",
    "User",
    "UserRole",
    "VocabularyTerm",
    "WebhookEvent",
    "WorkflowEvent",
    "utcnow",
]
