"""Quality assurance: the provider status workflow, the checklist and the daily evidence
expiry job (``flask qa expire``).

Status changes go through :func:`transition` only, which makes a move of ``QA_WORKFLOW``
(declared on ``marketplace.workflow``); anything not declared raises
:class:`IllegalTransition`, which the web layer shows as a clear message (409).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from marketplace import audit, authz, clock, notifications, regulators, workflow
from marketplace.choices import QAStatus
from marketplace.extensions import db
from marketplace.models import (
    Evidence,
    Notification,
    OnboardingProgress,
    Provider,
    ProviderAdmin,
    QAEvent,
    User,
    utcnow,
)
from marketplace.models.providers import (
    LEGAL_FORMS,
    MEMBER_KINDS,
)
from marketplace.models.quality import EVIDENCE_KINDS, EVIDENCE_SHORT_NAMES
from marketplace.money import format_pence

log = logging.getLogger(__name__)

EXPIRY_WARNING_DAYS = 30

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

# Onboarding questions, in the order they are asked. Each has a check below.
STEPS = (
    "name",
    "legal-form",
    "registration",
    "principles",
    "members",
    "service-area",
    # After the service area: the regulator follows the nation the service is in.
    "regulator",
    "services",
    "languages",
    "rate",
    "contact",
)
STEP_TITLES = {
    "name": "Organisation name",
    "legal-form": "Legal form",
    "registration": "Registration numbers",
    "regulator": "Care regulator",
    "principles": "Co-operative principles",
    "members": "Members",
    "service-area": "Where you work",
    "services": "Services you offer",
    "languages": "Languages",
    "rate": "Typical hourly rate",
    "contact": "Contact details",
}

# At least one of these numbers is needed for each legal form.
REGISTRATION_RULES: dict[str, tuple[str, ...]] = {
    "cooperative_society": ("fca_number",),
    "community_benefit_society": ("fca_number",),
    "cic": ("companies_house_number",),
    "charity": ("charity_number", "fca_number", "companies_house_number"),
    "worker_coop": ("fca_number", "companies_house_number"),
    "multi_stakeholder_coop": ("fca_number", "companies_house_number"),
    "employee_owned": ("companies_house_number", "fca_number"),
    "self_employed_pa": (),
}
REGISTRATION_FIELDS = {
    "fca_number": "FCA register number",
    "companies_house_number": "Companies House number",
    "charity_number": "charity number",
}
# England and Wales (6 or 7 digits, maybe "-1" for a linked charity), Scotland (SC012345),
# Northern Ireland (NIC100002 or 100002).
CHARITY_NUMBER = re.compile(r"^(\d{6,7}(-\d{1,2})?|SC\d{6}|NIC\d{6})$")


# ---------------------------------------------------------------------------
# Errors: the workflow engine's, under the names QA callers have always used
# ---------------------------------------------------------------------------

QAError = workflow.MoveError
IllegalTransition = workflow.IllegalMove
NotReady = workflow.NotReady
ReasonRequired = workflow.ReasonRequired
NotAllowed = workflow.NotAllowed


# ---------------------------------------------------------------------------
# The checklist
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    key: str  # a step slug ("registration") or "evidence:<kind>"
    label: str
    ok: bool
    detail: str  # what we found, or what is missing, in plain English
    step: str | None = None  # the onboarding step that fixes it
    evidence_kind: str | None = None


def upper_first(text: str) -> str:
    """ "charity number" -> "Charity number" (unlike str.capitalize, keeps "House")."""
    return text[:1].upper() + text[1:]


def long_date(value: date | None) -> str:
    """date(2026, 3, 3) -> "3 March 2026"."""
    return f"{value.day} {value:%B %Y}" if value else ""


def unanswered_steps(provider: Provider) -> set[str]:
    if provider.id is None:
        return set(STEPS)
    progress = db.session.get(OnboardingProgress, provider.id)
    return set(progress.unanswered or []) if progress else set()


def applicable_steps(provider: Provider, unanswered: set[str] | None = None) -> list[str]:
    """The steps that apply: a self-employed PA has no members to list."""
    unanswered = unanswered_steps(provider) if unanswered is None else unanswered
    is_pa = provider.legal_form == "self_employed_pa" and "legal-form" not in unanswered
    return [s for s in STEPS if not (s == "members" and is_pa)]


def normalise_registration(attribute: str, value: str | None) -> str | None:
    """Normalise a registration number with the model's own validator (ValueError if bad)."""
    if attribute == "charity_number":
        if not value or not value.strip():
            return None
        cleaned = re.sub(r"\s+", "", value).upper()
        if not CHARITY_NUMBER.match(cleaned):
            raise ValueError("Charity number is not in the right format")
        return cleaned
    scratch = Provider()  # never added to the session: only runs the @validates hook
    setattr(scratch, attribute, (value or "").strip() or None)
    return getattr(scratch, attribute)


def registration_errors(legal_form: str | None, values: dict[str, str | None]) -> dict[str, str]:
    """Field -> error for registration numbers: format first, then what the form needs."""
    errors: dict[str, str] = {}
    for attribute in REGISTRATION_FIELDS:
        try:
            normalise_registration(attribute, values.get(attribute))
        except ValueError as error:
            errors[attribute] = _registration_hint(attribute, str(error))
    needed = REGISTRATION_RULES.get(legal_form or "", ())
    if needed and not errors and not any((values.get(a) or "").strip() for a in needed):
        if len(needed) == 1:
            errors[needed[0]] = f"Enter your {REGISTRATION_FIELDS[needed[0]]}"
        else:
            names = " or ".join(REGISTRATION_FIELDS[a] for a in needed)
            errors[needed[0]] = f"Enter your {names}"
    return errors


def _registration_hint(attribute: str, message: str) -> str:
    examples = {
        "fca_number": "like 31234R or IP12345R",
        "companies_house_number": "8 characters, like 01234567 or SC123456",
        "charity_number": "like 1234567 or SC012345",
    }
    return f"{message}: it should look {examples[attribute]}"


def _answer_checks(provider: Provider, unanswered: set[str]) -> list[CheckItem]:
    items: list[CheckItem] = []

    def add(step: str, ok: bool, detail: str) -> None:
        if step in unanswered:
            ok, detail = False, "Not answered yet"
        items.append(CheckItem(step, STEP_TITLES[step], ok, detail, step=step))

    add("name", bool((provider.name or "").strip()), provider.name or "Enter a name")
    add("legal-form", provider.legal_form in LEGAL_FORMS, provider.legal_form_label)

    values = {a: getattr(provider, a) for a in REGISTRATION_FIELDS}
    errors = registration_errors(provider.legal_form, values)
    given = [f"{upper_first(REGISTRATION_FIELDS[a])} {v}" for a, v in values.items() if v]
    if errors:
        add("registration", False, "; ".join(errors.values()))
    else:
        add("registration", True, ", ".join(given) or "None needed for your legal form")

    regulator_ok, regulator_detail = regulator_check(provider)
    add("regulator", regulator_ok, regulator_detail)

    add(
        "principles",
        bool((provider.principles or "").strip()),
        "Given" if (provider.principles or "").strip() else "Describe your principles",
    )
    if "members" in applicable_steps(provider, unanswered):
        members = [MEMBER_KINDS[m] for m in provider.members or [] if m in MEMBER_KINDS]
        add("members", bool(members), ", ".join(members) or "Say who your members are")

    area_ok = bool(
        provider.district
        and provider.lat is not None
        and provider.lon is not None
        and (provider.service_radius_km or provider.service_districts)
    )
    parts = []
    if provider.district:
        parts.append(f"Based in {provider.district}")
    if provider.service_radius_km:
        parts.append(f"up to {provider.service_radius_km:g} km away")
    if provider.service_districts:
        parts.append("covering " + ", ".join(provider.service_districts))
    add("service-area", area_ok, ", ".join(parts) if area_ok else "Say where you work")

    skills = provider.skills or []
    add("services", bool(skills), f"{len(skills)} services" if skills else "Choose your services")
    languages = provider.languages or []
    add(
        "languages",
        bool(languages),
        f"{len(languages)} languages" if languages else "Choose your languages",
    )
    rate = provider.hourly_rate_pence
    add(
        "rate",
        rate is not None and rate > 0,
        f"{format_pence(rate)} an hour" if rate else "Enter your typical hourly rate",
    )
    add(
        "contact",
        bool(provider.contact_email),
        provider.contact_email or "Enter an email address people can contact",
    )
    return items


def regulator_check(provider: Provider) -> tuple[bool, str]:
    """Whether the care regulator answer fits the nation of the service address, and why."""
    expected = regulators.regulator_for(provider)
    if expected is None:
        return False, "Say where you work first: the regulator depends on the nation"
    if not provider.regulated:
        return True, f"Not registered with the {expected.name} ({expected.short_name})"
    given = regulators.get(provider.regulator)
    if given is None or given.code != expected.code:
        where = expected.nation.label
        return False, (
            f"You work in {where}, so your regulator is the {expected.name}: "
            "answer the care regulator question again"
        )
    problem = expected.number_problem(provider.regulator_number)
    rating = expected.rating_label(provider.regulator_rating)
    if problem or rating is None:
        return False, f"Enter your {expected.number_label} and {expected.rating_name}"
    number = provider.regulator_number
    return True, f"{expected.number_label} {number}, {expected.rating_name}: {rating}"


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


def _evidence_checks(provider: Provider, today: date) -> list[CheckItem]:
    documents = current_evidence(provider.id) if provider.id is not None else {}
    items = []
    for kind in required_evidence_kinds(provider):
        document = documents.get(kind)
        if document is None:
            ok, detail = False, "Not uploaded yet"
        elif document.is_expired(today):
            ok, detail = False, f"Expired on {long_date(document.expires_on)}. Upload a new one."
        else:
            ok = True
            detail = f"Uploaded, expires on {long_date(document.expires_on)}"
            if document.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS):
                detail += " (soon: upload the new one before then)"
        items.append(
            CheckItem(f"evidence:{kind}", EVIDENCE_KINDS[kind], ok, detail, evidence_kind=kind)
        )
    return items


def checklist(provider: Provider, today: date | None = None) -> list[CheckItem]:
    """Every answer and document QA needs, each derived from the data."""
    today = today or clock.today()
    unanswered = unanswered_steps(provider)
    return _answer_checks(provider, unanswered) + _evidence_checks(provider, today)


def missing_items(provider: Provider, today: date | None = None) -> list[str]:
    """What is still needed, as sentences: empty when the provider is ready."""
    return [f"{item.label}: {item.detail}" for item in checklist(provider, today) if not item.ok]


def expiring_evidence(provider: Provider, today: date | None = None) -> list[Evidence]:
    """Current documents that have expired or expire within the warning window."""
    today = today or clock.today()
    limit = today + timedelta(days=EXPIRY_WARNING_DAYS)
    return sorted(
        (e for e in current_evidence(provider.id).values() if e.expires_on <= limit),
        key=lambda e: e.expires_on,
    )


# ---------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------


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
        if authz.has_role(self.admin, "admin"):
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
    return list(
        db.session.scalars(
            sa.select(QAEvent)
            .where(QAEvent.provider_id == provider.id)
            .order_by(QAEvent.at.desc(), QAEvent.id.desc())
        )
    )


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


# ---------------------------------------------------------------------------
# The daily expiry job
# ---------------------------------------------------------------------------


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


@dataclass
class ExpiryReport:
    today: date
    warned: list[tuple[str, str, date]] = field(default_factory=list)  # provider, kind, date
    suspended: list[tuple[str, str]] = field(default_factory=list)  # provider, reason
    # provider, carer, reason: carers unlisted because a verified check went out of date
    carers_unlisted: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"Evidence expiry check for {long_date(self.today)}."]
        lines.append(
            f"Warned {_count(len({p for p, _, _ in self.warned}), 'provider')} about "
            f"{_count(len(self.warned), 'document')} expiring soon" + (":" if self.warned else ".")
        )
        lines += [
            f"  {p}: {EVIDENCE_SHORT_NAMES[k]} "
            f"{'expired' if d < self.today else 'expires'} on {long_date(d)}"
            for p, k, d in self.warned
        ]
        lines.append(
            f"Suspended {_count(len(self.suspended), 'provider')}"
            + (":" if self.suspended else ".")
        )
        lines += [f"  {p}: {reason}" for p, reason in self.suspended]
        lines.append(
            f"Unlisted {_count(len({(p, c) for p, c, _ in self.carers_unlisted}), 'carer')} "
            "with a check out of date" + (":" if self.carers_unlisted else ".")
        )
        lines += [f"  {c} ({p}): {reason}" for p, c, reason in self.carers_unlisted]
        return "\n".join(lines)


def run_expiry_check(today: date | None = None) -> ExpiryReport:
    """Suspend approved providers with expired required evidence; warn once per document
    that expires within EXPIRY_WARNING_DAYS; unlist carers whose verified checks went out
    of date, telling their provider. Safe to run again: nothing happens twice."""
    today = today or clock.today()
    report = ExpiryReport(today=today)
    now = utcnow()

    approved = db.session.scalars(
        sa.select(Provider).where(Provider.qa_status == "approved").order_by(Provider.id)
    ).all()
    for provider in approved:
        documents = current_evidence(provider.id)
        expired = [
            documents[kind]
            for kind in required_evidence_kinds(provider)
            if kind in documents and documents[kind].is_expired(today)
        ]
        if not expired:
            continue
        reason = "; ".join(f"{e.short_name} expired on {long_date(e.expires_on)}" for e in expired)
        transition(provider, "suspend", actor=None, reason=reason, today=today)
        for document in expired:  # the suspension notice already told them
            document.expiry_warned_at = document.expiry_warned_at or now
        report.suspended.append((provider.name, reason))

    due = db.session.execute(
        sa.select(Evidence, Provider)
        .join(Provider, Provider.id == Evidence.provider_id)
        .where(
            Evidence.archived_at.is_(None),
            Evidence.expiry_warned_at.is_(None),
            Evidence.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS),
            Provider.qa_status != "draft",
        )
        .order_by(Provider.id, Evidence.expires_on, Evidence.id)
    ).all()
    for document, provider in due:
        when = long_date(document.expires_on)
        if document.is_expired(today):
            message = (
                f"{document.short_name} for {provider.name} expired on {when}. "
                "Upload the new document."
            )
        else:
            message = (
                f"{document.short_name} for {provider.name} expires on {when}. "
                "Upload the new document before then to stay listed."
            )
        notify_provider_admins(provider, message, subject="A document expires soon")
        document.expiry_warned_at = now
        audit.record(
            "evidence.expiry_warning",
            actor_id=None,
            target=document,
            provider_id=provider.id,
            kind=document.kind,
            expires_on=document.expires_on.isoformat(),
        )
        report.warned.append((provider.name, document.kind, document.expires_on))
    _lapse_carer_checks(today, report)
    db.session.flush()
    return report


def _lapse_carer_checks(today: date, report: ExpiryReport) -> None:
    """A DBS (PVG, AccessNI) certificate over three years old and not on the update
    service, or expired insurance, unlists the carer; their provider is told once."""
    from marketplace.carers import checks

    lapses = checks.lapse_out_of_date(today)
    for provider, found in checks.providers_of(lapses).values():
        lines = [f"{lapse.carer.display_name}: {lapse.reason}." for lapse in found]
        carers = sorted({lapse.carer.display_name for lapse in found})
        message = (
            f"{_count(len(carers), 'carer')} at {provider.name} "
            f"{'is' if len(carers) == 1 else 'are'} no longer listed because a check is out "
            "of date. " + " ".join(lines) + " Ask them for the new details, enter them under "
            "Checks on their profile, then verify the checks again."
        )
        notifications.notify(
            provider_admin_users(provider),
            message,
            notifications.path("carers.manage_list", provider=provider.id),
            "A carer's check is out of date",
        )
    for lapse in lapses:
        provider_name = lapse.carer.provider.name if lapse.carer.provider else ""
        report.carers_unlisted.append((provider_name, lapse.carer.display_name, lapse.reason))


qa_cli = AppGroup("qa", help="Quality assurance jobs.")


@qa_cli.command("expire")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Pretend today is this date (YYYY-MM-DD), for testing.",
)
def expire_command(today: datetime | None) -> None:
    """Flag evidence expiring within 30 days; suspend providers whose evidence expired;
    unlist carers whose DBS is over three years old without the update service, or whose
    insurance expired.

    Run daily from cron. Running it twice on one day changes nothing the second time.
    """
    report = run_expiry_check(today.date() if today else None)
    db.session.commit()
    click.echo(report.summary())
