"""Quality assurance: the provider status machine, the checklist, notifications and
the daily evidence expiry job (``flask qa expire``).

Status changes go through :func:`transition` only. The allowed moves are the
``TRANSITIONS`` table; anything else raises :class:`IllegalTransition`, which the web
layer shows as a clear message (409), never a server error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, url_for
from flask.cli import AppGroup
from flask_mailman import EmailMessage

from marketplace import audit, clock
from marketplace.catalog_version import bump_catalog_version
from marketplace.extensions import db
from marketplace.links import absolute
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
    CQC_LOCATION_ID,
    CQC_RATING_LABELS,
    LEGAL_FORMS,
    MEMBER_KINDS,
    QA_STATUS_LABELS,
)
from marketplace.models.quality import EVIDENCE_KINDS, EVIDENCE_SHORT_NAMES
from marketplace.money import format_pence

log = logging.getLogger(__name__)

EXPIRY_WARNING_DAYS = 30

# status -> {action: next status}. The only moves a provider's QA status can make.
TRANSITIONS: dict[str, dict[str, str]] = {
    "draft": {"submit": "submitted"},
    "submitted": {"approve": "approved", "request_changes": "changes_requested"},
    "changes_requested": {"submit": "submitted"},
    "approved": {"suspend": "suspended"},
    "suspended": {"reinstate": "approved"},
}
# "This provider cannot be ... now": how each action reads in a sentence.
ACTION_PASSIVE = {
    "submit": "sent for review",
    "approve": "approved",
    "request_changes": "sent back for changes",
    "suspend": "suspended",
    "reinstate": "reinstated",
}
PROVIDER_ACTIONS = frozenset({"submit"})
REVIEWER_ACTIONS = frozenset({"approve", "request_changes", "suspend", "reinstate"})
REASON_REQUIRED = frozenset({"request_changes", "suspend"})
# These need the checklist complete: nobody is listed with missing or expired evidence.
NEEDS_COMPLETE_CHECKLIST = frozenset({"submit", "approve", "reinstate"})

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
    "cqc",
    "principles",
    "members",
    "service-area",
    "services",
    "languages",
    "rate",
    "contact",
)
STEP_TITLES = {
    "name": "Organisation name",
    "legal-form": "Legal form",
    "registration": "Registration numbers",
    "cqc": "Care Quality Commission (CQC)",
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
# Errors
# ---------------------------------------------------------------------------


class QAError(Exception):
    """A quality-assurance action that cannot happen. ``str()`` is safe to show."""

    status_code = 409


class IllegalTransition(QAError):
    """The action is not allowed from the provider's current status."""

    def __init__(self, from_status: str, action: str) -> None:
        self.from_status, self.action = from_status, action
        current = QA_STATUS_LABELS.get(from_status, from_status).lower()
        possible = [ACTION_PASSIVE[a] for a in TRANSITIONS.get(from_status, {})]
        message = (
            f"This provider cannot be {ACTION_PASSIVE.get(action, action)} now: "
            f"its status is “{current}”."
        )
        if possible:
            message += " It can only be " + " or ".join(possible) + "."
        super().__init__(message)


class NotReady(QAError):
    """The checklist is not complete; ``missing`` says what is still needed."""

    status_code = 400

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("Some things are still missing: " + "; ".join(missing))


class ReasonRequired(QAError, ValueError):
    status_code = 400

    def __init__(self, action: str) -> None:
        self.action = action
        what = "what needs to change" if action == "request_changes" else "why"
        super().__init__(f"Enter {what}: the provider will see it.")


class NotAllowed(QAError):
    """The actor may not take this action on this provider."""

    status_code = 403


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


# Kept for callers written before marketplace.clock; the clock decides what today is.
today_in_london = clock.today


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

    if provider.cqc_regulated:
        cqc_ok = bool(
            provider.cqc_location_id
            and CQC_LOCATION_ID.match(provider.cqc_location_id)
            and provider.cqc_rating in CQC_RATING_LABELS
        )
        detail = (
            f"Location ID {provider.cqc_location_id}, rated "
            f"{CQC_RATING_LABELS[provider.cqc_rating]}"  # type: ignore[index]
            if cqc_ok
            else "Enter your CQC location ID and rating"
        )
        add("cqc", cqc_ok, detail)
    else:
        add("cqc", True, "Not regulated by CQC")

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


def required_evidence_kinds(provider: Provider) -> list[str]:
    """Insurance, safeguarding and DBS policies always; CQC registration when regulated."""
    kinds = ["insurance", "safeguarding_policy", "dbs_policy"]
    if provider.cqc_regulated:
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


def allowed_actions(status: str) -> list[str]:
    return list(TRANSITIONS.get(status, {}))


def is_provider_admin(user: User | None, provider: Provider) -> bool:
    if user is None or provider.id is None:
        return False
    return (
        db.session.get(ProviderAdmin, {"provider_id": provider.id, "user_id": user.id}) is not None
    )


def _check_actor(provider: Provider, action: str, actor: User | None) -> None:
    if actor is None:  # the system (the expiry job) only ever suspends
        if action != "suspend":
            raise NotAllowed("Only people can take this action.")
        return
    if action in PROVIDER_ACTIONS:
        if not (is_provider_admin(actor, provider) or actor.has_role("admin")):
            raise NotAllowed("Only the provider's own admins can send it for review.")
        return
    if not actor.has_role("reviewer"):
        raise NotAllowed("Only quality reviewers can do this.")
    if is_provider_admin(actor, provider):
        raise NotAllowed("You cannot review an organisation you run. Ask another reviewer.")


def transition(
    provider: Provider,
    action: str,
    actor: User | None,
    reason: str = "",
    today: date | None = None,
) -> QAEvent:
    """Move the provider's QA status by ``action``; audit it and tell its admins.

    Raises IllegalTransition, ReasonRequired, NotReady or NotAllowed (all QAError).
    The caller commits.
    """
    from_status = provider.qa_status
    to_status = TRANSITIONS.get(from_status, {}).get(action)
    if to_status is None:
        raise IllegalTransition(from_status, action)
    _check_actor(provider, action, actor)
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise ReasonRequired(action)
    if action in NEEDS_COMPLETE_CHECKLIST:
        missing = missing_items(provider, today)
        if missing:
            raise NotReady(missing)

    values: dict[str, Any] = {"qa_status": to_status, "updated_at": utcnow()}
    if action == "approve" or (to_status == "approved" and provider.approved_at is None):
        values["approved_at"] = utcnow()
    # Compare-and-set, so two reviewers deciding at once cannot both win.
    result = db.session.execute(
        sa.update(Provider)
        .where(Provider.id == provider.id, Provider.qa_status == from_status)
        .values(**values)
        .execution_options(synchronize_session="evaluate")
    )
    if result.rowcount != 1:
        db.session.refresh(provider)
        raise IllegalTransition(provider.qa_status, action)

    event = QAEvent(
        provider_id=provider.id,
        from_status=from_status,
        to_status=to_status,
        actor_user_id=actor.id if actor else None,
        reason=reason,
    )
    db.session.add(event)
    audit.record(
        f"provider.qa.{action}",
        actor_id=actor.id if actor else None,
        target=provider,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
    )
    if to_status in {"approved", "suspended"}:
        bump_catalog_version()  # listing changes: every worker rebuilds its index
    _notify_transition(provider, action, reason)
    db.session.flush()
    return event


def _notify_transition(provider: Provider, action: str, reason: str) -> None:
    name = provider.name
    messages = {
        "submit": f"We have received {name} for quality review. A reviewer will check your "
        "answers and documents and tell you what they decide.",
        "approve": f"{name} is now quality assured. People can find you on CoopCare.",
        "request_changes": f"A reviewer asked for changes to {name}: {reason}",
        "suspend": f"{name} has been suspended and is not listed on CoopCare. Reason: {reason}",
        "reinstate": f"{name} has been reinstated and is listed on CoopCare again.",
    }
    subjects = {
        "submit": "We have received your application",
        "approve": "You are quality assured",
        "request_changes": "Changes needed before you can be listed",
        "suspend": "Your listing is suspended",
        "reinstate": "Your listing is back",
    }
    notify_provider_admins(provider, messages[action], subject=subjects[action])


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
# Notifications (a row in the service, plus an email sent after the commit)
# ---------------------------------------------------------------------------

_OUTBOX = "coopcare_outbox"


def provider_admin_users(provider: Provider) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(ProviderAdmin, ProviderAdmin.user_id == User.id)
            .where(ProviderAdmin.provider_id == provider.id, User.is_active_account.is_(True))
            .order_by(User.id)
        )
    )


def _path(endpoint: str, **values: Any) -> str:
    """A site-relative link that works in requests and in CLI jobs alike."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind(current_app.config.get("SERVER_NAME") or "localhost")
    return adapter.build(endpoint, values)


def notify_users(
    users: Iterable[User], message: str, link: str | None, subject: str
) -> list[Notification]:
    """Add a notification for each user and email them once the transaction commits."""
    rows = []
    for user in users:
        row = Notification(user_id=user.id, message=message, link=link)
        db.session.add(row)
        rows.append(row)
        body = render_template(
            "providers/email/notification.txt", user=user, message=message, link=_absolute(link)
        )
        session = db.session()  # the real Session behind the scoped proxy
        transaction = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(_OUTBOX, []).append(
            (transaction, f"CoopCare: {subject}", body, user.email)
        )
    return rows


def notify_provider_admins(provider: Provider, message: str, subject: str) -> list[Notification]:
    return notify_users(
        provider_admin_users(provider), message, _path("providers.dashboard"), subject
    )


def _absolute(link: str | None) -> str | None:
    if not link:
        return None
    # Never the request's Host header: the sender of the request chooses it.
    return absolute(link)


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _send_outbox(session: sa.orm.Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT was released: not committed yet
        return
    for _transaction, subject, body, to in session.info.pop(_OUTBOX, []):
        try:
            EmailMessage(subject, body, to=[to]).send()
        except Exception:  # noqa: BLE001 - email trouble must not undo a committed decision
            log.exception("could not send %r to user", subject)


@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _drop_outbox(session: sa.orm.Session, previous_transaction: Any) -> None:
    """Forget emails about work that was rolled back."""
    if not previous_transaction.nested:
        session.info.pop(_OUTBOX, None)
    elif _OUTBOX in session.info:
        session.info[_OUTBOX] = [
            item for item in session.info[_OUTBOX] if item[0] is not previous_transaction
        ]


def unread_notifications(user: User, limit: int = 20) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(
                Notification.read_at.is_not(None),
                Notification.created_at.desc(),
                Notification.id.desc(),
            )
            .limit(limit)
        )
    )


def mark_notifications_read(user: User) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0


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
        return "\n".join(lines)


def run_expiry_check(today: date | None = None) -> ExpiryReport:
    """Suspend approved providers with expired required evidence; warn once per document
    that expires within EXPIRY_WARNING_DAYS. Safe to run again: nothing happens twice."""
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
    db.session.flush()
    return report


qa_cli = AppGroup("qa", help="Quality assurance jobs.")


@qa_cli.command("expire")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Pretend today is this date (YYYY-MM-DD), for testing.",
)
def expire_command(today: datetime | None) -> None:
    """Flag evidence expiring within 30 days; suspend providers whose evidence expired.

    Run daily from cron. Running it twice on one day changes nothing the second time.
    """
    report = run_expiry_check(today.date() if today else None)
    db.session.commit()
    click.echo(report.summary())
