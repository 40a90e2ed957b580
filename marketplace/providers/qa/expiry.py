"""The daily expiry job (``flask qa expire``): warn about documents that expire soon,
suspend providers whose required evidence expired, unlist carers whose checks lapsed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from marketplace import audit, clock, notifications
from marketplace.choices import QAStatus
from marketplace.clock import long_date
from marketplace.extensions import db
from marketplace.models import Evidence, Provider, utcnow
from marketplace.models.quality import EVIDENCE_SHORT_NAMES
from marketplace.providers.qa.checklist import (
    EXPIRY_WARNING_DAYS,
    current_evidence,
    required_evidence_kinds,
)
from marketplace.providers.qa.workflow import (
    notify_provider_admins,
    provider_admin_users,
    transition,
)


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
        sa.select(Provider).where(Provider.qa_status == QAStatus.APPROVED).order_by(Provider.id)
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
            Provider.qa_status != QAStatus.DRAFT,
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
