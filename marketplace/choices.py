"""Domain words: each closed set of values defined once, with its plain-English label.

Every member is a ``str`` (``Gender.FEMALE == "female"``), so the values go straight
into the database, JSON and forms; ``.label`` is what a person reads.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from matching.preferences import PERSON_GROUPS, PETS, SUPPORT_KINDS, PreferenceTerm


class Choice(StrEnum):
    """A closed set of domain words, each member carrying its label."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The stored values, in declared order (for CHECK constraints and validation)."""
        return tuple(member.value for member in cls)

    @classmethod
    def labels(cls) -> dict[str, str]:
        """value -> label, in declared order."""
        return {member.value: member.label for member in cls}

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs for a WTForms field."""
        return [(member.value, member.label) for member in cls]

    @classmethod
    def label_for(cls, value: str | None) -> str | None:
        """The label of a stored value; None for None or a value outside the set."""
        try:
            return cls(value).label if value is not None else None
        except ValueError:
            return None


class Gender(Choice):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NON_BINARY = "non_binary", "Non-binary"


class Day(Choice):
    MON = "mon", "Monday"
    TUE = "tue", "Tuesday"
    WED = "wed", "Wednesday"
    THU = "thu", "Thursday"
    FRI = "fri", "Friday"
    SAT = "sat", "Saturday"
    SUN = "sun", "Sunday"


class DayPart(Choice):
    MORNING = "am", "Morning"
    AFTERNOON = "pm", "Afternoon"
    EVENING = "eve", "Evening"


# An availability slot is "<day>-<part>", e.g. "mon-am" (Monday morning), in week order.
SLOTS: tuple[str, ...] = tuple(f"{day}-{part}" for day in Day for part in DayPart)
SLOT_LABELS: dict[str, str] = {
    f"{day}-{part}": f"{day.label} {part.label.lower()}" for day in Day for part in DayPart
}


class DBSLevel(Choice):
    BASIC = "basic", "Basic DBS check"
    STANDARD = "standard", "Standard DBS check"
    ENHANCED = "enhanced", "Enhanced DBS check"
    ENHANCED_BARRED = "enhanced_barred", "Enhanced DBS with barred list check"


class TeamRole(Choice):
    MEMBER = "member", "Team member"
    COACH = "coach", "Coach"
    CIRCLES_CONNECTOR = "circles_connector", "Community circles connector"


class QAStatus(Choice):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Waiting for quality review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Quality assured"
    SUSPENDED = "suspended", "Suspended"


class FundingRoute(Choice):
    DIRECT_PAYMENT = "direct_payment", "Direct payment from the council"
    MANAGED_PERSONAL_BUDGET = "managed_personal_budget", "Personal budget managed by the council"
    INDIVIDUAL_SERVICE_FUND = (
        "individual_service_fund",
        "Individual service fund (a provider holds the budget)",
    )
    PHB_NOTIONAL = "phb_notional", "Personal health budget (notional)"
    PHB_THIRD_PARTY = "phb_third_party", "Personal health budget (held by a third party)"
    PHB_DIRECT_PAYMENT = "phb_direct_payment", "Personal health budget (direct payment)"
    SELF_FUNDED = "self_funded", "I pay for myself"


class ConsentScope(Choice):
    VIEW = "view", "See the profile, matches and budget"
    MESSAGE = "message", "Send and answer messages"
    MANAGE_INTRODUCTIONS = (
        "manage_introductions",
        "Ask for introductions, answer them and close them",
    )
    PAY = "pay", "Approve invoices and make payments"


class SupporterRelationship(Choice):
    """Who a supporter is to the person (what the person says when inviting them)."""

    FAMILY = "family", "Family member"
    FRIEND = "friend", "Friend"
    NOMINEE = "nominee", "Nominee (manages a direct payment for the person)"
    AUTHORISED_PERSON = "authorised_person", "Authorised person (for someone who lacks capacity)"
    OTHER = "other", "Someone else I trust"


class InvitationStatus(Choice):
    """A supporter invitation: waiting to be accepted, accepted (used once), or withdrawn.
    An invitation past its expiry time stays "pending" in the table but cannot be used."""

    PENDING = "pending", "Waiting to be accepted"
    ACCEPTED = "accepted", "Accepted"
    CANCELLED = "cancelled", "Withdrawn"


class SupporterAction(Choice):
    """What a supporter did for a person, as the person reads it ("what your supporters
    did"). Actions other pages record for a supporter are shown with their own words."""

    INVITATION_ACCEPTED = "supporter_invitation.accept", "Accepted your invitation to support you"
    CHOSE = "supporting.chose", "Started acting for you"
    PROFILE_VIEWED = "person.profile_viewed", "Looked at your profile"
    BUDGET_VIEWED = "budget.viewed", "Looked at your budget"
    STATEMENT = "budget.statement_downloaded", "Opened or downloaded a budget statement"


class GrantStatus(Choice):
    """A consent grant: in force (within its dates) or revoked by the person."""

    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class Role(Choice):
    PERSON = "person", "Person with a budget"
    SUPPORTER = "supporter", "Family member or supporter"
    PROVIDER_ADMIN = "provider_admin", "Provider admin"
    CARER = "carer", "Carer"
    REVIEWER = "reviewer", "Quality reviewer"
    ADMIN = "admin", "Administrator"


class LegalForm(Choice):
    COOPERATIVE_SOCIETY = "cooperative_society", "Co-operative society"
    COMMUNITY_BENEFIT_SOCIETY = "community_benefit_society", "Community benefit society"
    CIC = "cic", "Community interest company"
    WORKER_COOP = "worker_coop", "Worker co-operative"
    MULTI_STAKEHOLDER_COOP = "multi_stakeholder_coop", "Multi-stakeholder co-operative"
    EMPLOYEE_OWNED = "employee_owned", "Employee-owned business"
    CHARITY = "charity", "Charity"
    SELF_EMPLOYED_PA = "self_employed_pa", "Self-employed personal assistant"


# Legal forms that make a provider a co-operative (its results carry the co-op badge).
COOP_LEGAL_FORMS = frozenset(
    {
        LegalForm.COOPERATIVE_SOCIETY,
        LegalForm.COMMUNITY_BENEFIT_SOCIETY,
        LegalForm.WORKER_COOP,
        LegalForm.MULTI_STAKEHOLDER_COOP,
    }
)


class SearchPriority(Choice):
    """What matters most to a person searching (the matching engine's PRIORITIES)."""

    NEARBY = "nearby", "Someone who lives nearby"
    INTERESTS = "interests", "Someone who enjoys the same things as me"
    KNOWN = "known", "Someone I already know"
    PRICE = "price", "A lower price"


class MemberKind(Choice):
    WORKERS = "workers", "Workers"
    PEOPLE_SUPPORTED = "people_supported", "People who get support"
    FAMILIES = "families", "Families"
    COMMUNITY = "community", "The local community"


class Nation(Choice):
    ENGLAND = "england", "England"
    SCOTLAND = "scotland", "Scotland"
    WALES = "wales", "Wales"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"


class Regulator(Choice):
    """The care regulator of each nation (details in marketplace/regulators.py)."""

    CQC = "cqc", "Care Quality Commission (CQC)"
    CARE_INSPECTORATE = "care_inspectorate", "Care Inspectorate"
    CIW = "ciw", "Care Inspectorate Wales (CIW)"
    RQIA = "rqia", "Regulation and Quality Improvement Authority (RQIA)"


class CQCRating(Choice):
    """England: CQC's overall rating."""

    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    NOT_YET_RATED = "not_yet_rated", "Not yet rated"


class CareInspectorateGrade(Choice):
    """Scotland: the Care Inspectorate grades key questions from 6 down to 1."""

    EXCELLENT = "excellent", "6 – Excellent"
    VERY_GOOD = "very_good", "5 – Very good"
    GOOD = "good", "4 – Good"
    ADEQUATE = "adequate", "3 – Adequate"
    WEAK = "weak", "2 – Weak"
    UNSATISFACTORY = "unsatisfactory", "1 – Unsatisfactory"
    NOT_YET_GRADED = "not_yet_graded", "Not yet graded"


class CIWRating(Choice):
    """Wales: CIW's ratings."""

    EXCELLENT = "excellent", "Excellent"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    REQUIRES_SIGNIFICANT_IMPROVEMENT = (
        "requires_significant_improvement",
        "Requires significant improvement",
    )
    NOT_YET_RATED = "not_yet_rated", "Not yet rated"


class RQIAInspection(Choice):
    """Northern Ireland: RQIA inspects and reports but gives no rating."""

    INSPECTED = "inspected", "Inspected (RQIA does not give ratings)"
    NOT_INSPECTED = "not_inspected", "Not inspected yet"


class IntroductionStatus(Choice):
    """Where an introduction is (the workflow is declared in marketplace/introductions)."""

    REQUESTED = "requested", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted: meeting times offered"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Closed: no answer in time"
    WITHDRAWN = "withdrawn", "Withdrawn"
    MEETING = "meeting", "Meeting arranged"
    AGREED = "agreed", "Both sides agreed to go ahead"
    NOT_GOING_AHEAD = "not_going_ahead", "Not going ahead"


class DeclineReason(Choice):
    """Why a provider or carer says no to an introduction, in words the person can read."""

    NO_CAPACITY = "no_capacity", "We cannot take on anyone new at the moment"
    OUTSIDE_AREA = "outside_area", "We do not work in the person's area"
    TIMES_NOT_AVAILABLE = "times_not_available", "We are not free at the times asked for"
    NEEDS_NOT_MET = "needs_not_met", "We cannot safely meet these support needs"
    NOT_A_GOOD_MATCH = "not_a_good_match", "We do not think we are the right match"
    OTHER = "other", "Another reason (said below)"


class IntroductionSide(Choice):
    """The two sides of an introduction's message thread."""

    PERSON = "person", "The person and their supporters"
    PROVIDER = "provider", "The provider or carer"


# -- memberships for outcomes ------------------------------------------------------------


class MembershipState(Choice):
    """Stripe's subscription statuses (payments.memberships.MembershipStatus), in plain
    English for the family and the provider."""

    INCOMPLETE = "incomplete", "Waiting for the first payment"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Not started: the first payment was not made"
    TRIALING = "trialing", "In a free trial"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "A payment is overdue"
    CANCELED = "canceled", "Ended"
    UNPAID = "unpaid", "Stopped because payments were not made"
    PAUSED = "paused", "Paused"


class OutcomeRating(Choice):
    """How far an agreed outcome was met this month (payments.memberships.OutcomeRating)."""

    MET = "met", "Met"
    PARTLY_MET = "partly_met", "Partly met"
    NOT_MET = "not_met", "Not met"


class GuaranteeRule(Choice):
    """When a plan's outcome guarantee refunds (payments.memberships.GuaranteeRule),
    judged on the person's own ratings."""

    ANY_NOT_MET = "any_not_met", "When any agreed outcome is not met"
    MAJORITY_NOT_MET = "majority_not_met", "When more than half of the agreed outcomes are not met"
    ALL_NOT_MET = "all_not_met", "Only when none of the agreed outcomes is met"


class OutcomeReviewStatus(Choice):
    OPEN = "open", "Waiting for both ratings"
    PERSON_RATED = "person_rated", "Rated by the family, waiting for the team"
    TEAM_RATED = "team_rated", "Rated by the team, waiting for the family"
    COMPLETE = "complete", "Rated by both"


class InvoiceState(Choice):
    """A provider invoice's status (payments.invoices.InvoiceStatus), for both sides."""

    RAISED = "raised", "Waiting for approval"
    QUERIED = "queried", "Queried: waiting for the provider"
    APPROVED = "approved", "Approved: waiting to be paid"
    PAID = "paid", "Paid"
    WITHDRAWN = "withdrawn", "Withdrawn by the provider"


class ArrangementStatus(Choice):
    PROPOSED = "proposed", "Waiting for both sides to agree"
    ACTIVE = "active", "Agreed"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"
    NOT_AGREED = "not_agreed", "Not agreed"


class ChangeStatus(Choice):
    """A proposed version of an arrangement's terms."""

    PROPOSED = "proposed", "Waiting for the other side"
    ACCEPTED = "accepted", "Agreed by both sides"
    REJECTED = "rejected", "Turned down"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Replaced by a later version"


class ArrangementSide(Choice):
    PERSON = "person", "The person"
    PROVIDER = "provider", "The provider"


class LifeArea(Choice):
    """Areas of life an agreed outcome is about (after the Care Act wellbeing outcomes)."""

    DAILY_LIFE = "daily_life", "Control over daily life"
    OUT_AND_ABOUT = "out_and_about", "Getting out and about"
    FOOD_AND_DRINK = "food_and_drink", "Food and drink"
    FEELING_SAFE = "feeling_safe", "Feeling safe"
    KEEPING_IN_TOUCH = "keeping_in_touch", "Keeping in touch with people"
    PERSONAL_CARE = "personal_care", "Looking after myself"
    HOME = "home", "My home"
    HEALTH = "health", "Health and feeling well"
    WORK_AND_LEARNING = "work_and_learning", "Work, learning and volunteering"


class ReviewAspect(Choice):
    RESPECT = "respect", "Treated me with respect"
    RELIABILITY = "reliability", "Came when we agreed"
    LISTENING = "listening", "Listened to me"
    OUTCOMES = "outcomes", "Helped me do what matters to me"


class ReviewStatus(Choice):
    PUBLISHED = "published", "Published"
    HIDDEN = "hidden", "Hidden by a moderator"


def upper_first(text: str) -> str:
    """A label at the start of a sentence: "charity number" -> "Charity number" (unlike
    str.capitalize, keeps "House")."""
    return text[:1].upper() + text[1:]


# -- both sides' preferences (the engine's closed vocabularies, matching.preferences) ----


def _from_terms(name: str, terms: tuple[PreferenceTerm, ...]) -> type[Choice]:
    """A Choice whose members are the engine's terms, so the words are defined once."""
    return Choice(name, [(t.slug.upper(), (t.slug, t.label)) for t in terms])  # type: ignore[return-value]


# Pets in the home: the person's, and those a carer is happy to be with.
Pet = _from_terms("Pet", PETS)
# Kinds of support: those a person wants, and those a carer enjoys giving.
SupportKind = _from_terms("SupportKind", SUPPORT_KINDS)
# Groups of people: those a person says they belong to (if they choose to say), and those
# a carer would like to support.
PersonGroup = _from_terms("PersonGroup", PERSON_GROUPS)
