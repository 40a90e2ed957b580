"""Carer checks: what a carer declares, who verifies it, when it lapses, what is public.

The one place that decides about checks. A check is *declared* by the carer (or their
provider, or an import) and *verified* only by someone who may vouch for it: an admin of
the carer's provider, or a quality reviewer for a self-employed personal assistant (who
cannot vouch for themselves). Changing a verified check makes it declared again. A carer
is listed only when every check they need is verified (``Carer.is_listed``); the daily
``flask qa expire`` job lapses checks that go out of date (``lapse_out_of_date``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from marketplace import audit, authz, clock
from marketplace.clock import long_date
from marketplace.extensions import db
from marketplace.models import Carer, CarerCheck, Provider, User, utcnow
from marketplace.models.providers import CHECK_SCHEMES, DBS_LEVELS

PLATFORM_VERIFIER = "the CoopCare quality team"
# An administrator's catalog import (--approve) vouches for the provider's own records.
IMPORT_VERIFIER = "CoopCare"
CRIMINAL_RECORD_MAX_AGE_YEARS = 3

SCHEME_NAMES = {"dbs": "DBS", "pvg": "PVG", "accessni": "AccessNI"}
SCHEME_LABELS = {
    "dbs": "DBS (England and Wales)",
    "pvg": "PVG scheme (Scotland)",
    "accessni": "AccessNI (Northern Ireland)",
}
LEVEL_LABELS = {
    "basic": "basic",
    "standard": "standard",
    "enhanced": "enhanced",
    "enhanced_barred": "enhanced with barred list check",
}
KIND_LABELS = {
    "criminal_record": "Criminal record check (DBS, PVG or AccessNI)",
    "right_to_work": "Right to work in the UK",
    "insurance": "Public liability insurance",
}
STATUS_LABELS = {"declared": "Not verified yet", "verified": "Verified", "lapsed": "Out of date"}
# A certificate number: DBS prints 12 digits; PVG and AccessNI numbers are shorter or
# longer, so those are checked only for shape.
CERTIFICATE_NUMBER = {"dbs": re.compile(r"^\d{12}$")}
ANY_CERTIFICATE_NUMBER = re.compile(r"^[A-Z0-9]{6,20}$")

assert set(SCHEME_NAMES) == set(CHECK_SCHEMES) and set(LEVEL_LABELS) == set(DBS_LEVELS)


class ChecksNotReady(ValueError):
    """Checks that cannot be verified yet; ``problems`` says why, in plain English."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class NotAllowedToVerify(PermissionError):
    """This user may not vouch for this carer's checks."""


def today() -> date:
    """Today in London (the one clock's)."""
    return clock.today()


def london_date(moment: datetime) -> date:
    return moment.astimezone(clock.LONDON).date()


def scheme_for_country(country: str | None) -> str:
    """The criminal record scheme of a nation: PVG in Scotland, AccessNI in NI, else DBS."""
    return {"S": "pvg", "N": "accessni"}.get(country or "", "dbs")


def normalise_certificate_number(scheme: str, text: str | None) -> str:
    """Spaces and dashes removed, upper case; ValueError with a message if malformed."""
    cleaned = re.sub(r"[\s-]", "", text or "").upper()
    if not cleaned:
        raise ValueError(f"Enter the {SCHEME_NAMES[scheme]} certificate number")
    if scheme in CERTIFICATE_NUMBER and not CERTIFICATE_NUMBER[scheme].match(cleaned):
        raise ValueError("The DBS certificate number must be 12 digits")
    if not ANY_CERTIFICATE_NUMBER.match(cleaned):
        raise ValueError(
            f"The {SCHEME_NAMES[scheme]} certificate number must be 6 to 20 letters or digits"
        )
    return cleaned


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def out_of_date_reason(check: CarerCheck, today: date) -> str | None:
    """Why this check no longer holds on ``today`` (None while it holds)."""
    if check.kind == "criminal_record" and check.issued_on is not None:
        limit = _years_before(today, CRIMINAL_RECORD_MAX_AGE_YEARS)
        if check.issued_on < limit and not check.update_service:
            name = SCHEME_NAMES.get(check.scheme or "dbs", "DBS")
            return (
                f"The {name} certificate was issued on {long_date(check.issued_on)}, more than "
                "three years ago, and is not on the update service"
            )
    if check.kind == "insurance" and check.expires_on is not None and check.expires_on < today:
        return f"Public liability insurance expired on {long_date(check.expires_on)}"
    return None


# ---------------------------------------------------------------------------
# Declaring
# ---------------------------------------------------------------------------

CHECK_FIELDS = {
    "criminal_record": ("scheme", "level", "certificate_number", "issued_on", "update_service"),
    "right_to_work": (),
    "insurance": ("expires_on",),
}


def declare(carer: Carer, kind: str, values: dict[str, Any] | None, actor_id: int | None) -> bool:
    """Record what is declared for one kind of check (``None`` withdraws it).

    A verified check whose details change goes back to declared: nobody has seen the new
    documents yet. Returns True when anything changed.
    """
    existing = carer.check(kind)
    if values is None:
        if existing is None:
            return False
        carer.checks.remove(existing)
        audit.record("carer.check_withdrawn", actor_id=actor_id, target=carer, kind=kind)
        return True
    unknown = set(values) - set(CHECK_FIELDS[kind])
    if unknown:
        raise ValueError(f"not fields of a {kind} check: {', '.join(sorted(unknown))}")
    if existing is None:
        carer.checks.append(
            CarerCheck(kind=kind, status="declared", declared_by_user_id=actor_id, **values)
        )
        audit.record("carer.check_declared", actor_id=actor_id, target=carer, kind=kind)
        return True
    changed = sorted(name for name, value in values.items() if getattr(existing, name) != value)
    if not changed:
        return False
    for name in changed:
        setattr(existing, name, values[name])
    existing.declared_by_user_id, existing.declared_at = actor_id, utcnow()
    was = existing.status
    _unverify(existing)
    audit.record(
        "carer.check_declared",
        actor_id=actor_id,
        target=carer,
        kind=kind,
        fields=changed,
        previous_status=was,
    )
    return True


def _unverify(check: CarerCheck) -> None:
    check.status = "declared"
    check.verified_by_user_id = None
    check.verified_at = None
    check.verified_by_organisation = None
    check.lapsed_reason = None


# ---------------------------------------------------------------------------
# Verifying
# ---------------------------------------------------------------------------


def verifier_organisation(user: User, carer: Carer) -> str | None:
    """Who the user vouches as for this carer, or None when they may not verify.

    An admin of the carer's provider vouches as the provider. A self-employed PA is their
    own provider, so a quality reviewer (who does not run it) vouches instead. Nobody
    verifies their own checks.
    """
    if not authz.can(user, "carer.verify_checks", carer):
        return None
    return PLATFORM_VERIFIER if carer.needs_insurance else carer.provider.name


def verification_problems(carer: Carer, today: date) -> list[str]:
    """What stops this carer's checks being verified now (empty when they can be)."""
    problems = []
    for kind in carer.required_check_kinds:
        check = carer.check(kind)
        label = KIND_LABELS[kind]
        if check is None:
            problems.append(f"{label}: not entered yet")
            continue
        if kind == "criminal_record":
            missing = [
                name
                for name, value in (
                    ("the scheme", check.scheme),
                    ("the level", check.level),
                    ("the certificate number", check.certificate_number),
                    ("the date of issue", check.issued_on),
                )
                if not value
            ]
            if missing:
                problems.append(f"{label}: enter {', '.join(missing)}")
                continue
        if kind == "insurance" and check.expires_on is None:
            problems.append(f"{label}: enter the expiry date")
            continue
        reason = out_of_date_reason(check, today)
        if reason:
            problems.append(f"{label}: {reason}")
    return problems


def verify(
    carer: Carer,
    actor: User,
    today: date,
    *,
    organisation: str | None = None,
    source: str | None = None,
) -> list[str]:
    """Mark every check the carer needs as verified by ``actor``. Returns the kinds
    newly verified. Raises NotAllowedToVerify or ChecksNotReady (and changes nothing).

    ``organisation`` is given only by trusted callers (the catalog import, where an
    administrator vouches for the file); otherwise it is worked out from ``actor``.
    """
    organisation = organisation or verifier_organisation(actor, carer)
    if organisation is None:
        who = "a quality reviewer" if carer.needs_insurance else "an admin of the carer's provider"
        raise NotAllowedToVerify(f"Only {who} can verify these checks.")
    problems = verification_problems(carer, today)
    if problems:
        raise ChecksNotReady(problems)
    now = utcnow()
    newly = []
    for kind in carer.required_check_kinds:
        check = carer.check(kind)
        assert check is not None
        if check.status == "verified":
            continue
        check.status = "verified"
        check.verified_by_user_id = actor.id
        check.verified_at = now
        check.verified_by_organisation = organisation
        check.lapsed_reason = None
        newly.append(kind)
    if newly:
        audit.record(
            "carer.checks_verified",
            actor_id=actor.id,
            target=carer,
            kinds=newly,
            organisation=organisation,
            **({"source": source} if source else {}),
        )
    return newly


# ---------------------------------------------------------------------------
# What the public sees, and what a provider must still do
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicChecks:
    lines: list[str]
    confirmed_by: str
    confirmed_on: date

    @property
    def sentence(self) -> str:
        """ "Checks confirmed by Headingley Care Co-op on 3 May 2026"."""
        return f"Checks confirmed by {self.confirmed_by} on {long_date(self.confirmed_on)}"


def describe_criminal_record(check: CarerCheck) -> str:
    scheme = SCHEME_NAMES.get(check.scheme or "", "Criminal record")
    text = f"{scheme} check"
    if check.level:
        text += f": {LEVEL_LABELS[check.level]}"
    if check.issued_on:
        text += f", certificate issued {long_date(check.issued_on)}"
    if check.update_service:
        text += ", on the update service"
    return text


def public_checks(carer: Carer) -> PublicChecks | None:
    """Verified checks only, for public pages; None unless every needed check is verified."""
    if not carer.checks_verified:
        return None
    checks = [carer.check(kind) for kind in carer.required_check_kinds]
    lines = []
    for check in checks:
        assert check is not None
        if check.kind == "criminal_record":
            lines.append(describe_criminal_record(check))
        elif check.kind == "right_to_work":
            lines.append("Right to work in the UK")
        elif check.kind == "insurance" and check.expires_on:
            lines.append(f"Public liability insurance until {long_date(check.expires_on)}")
    latest = max(checks, key=lambda c: c.verified_at)  # type: ignore[arg-type, return-value]
    assert latest is not None and latest.verified_at is not None
    return PublicChecks(
        lines=lines,
        confirmed_by=latest.verified_by_organisation or PLATFORM_VERIFIER,
        confirmed_on=london_date(latest.verified_at),
    )


@dataclass(frozen=True)
class CheckRow:
    kind: str
    label: str
    status: str  # "missing", "declared", "verified" or "lapsed"
    status_label: str
    details: str
    verified: str  # "Verified by ... on ..." or ""


def check_rows(carer: Carer) -> list[CheckRow]:
    """Each check the carer needs, with its status, for the provider's and reviewer's pages."""
    rows = []
    for kind in carer.required_check_kinds:
        check = carer.check(kind)
        if check is None:
            rows.append(CheckRow(kind, KIND_LABELS[kind], "missing", "Not entered", "", ""))
            continue
        if kind == "criminal_record":
            details = describe_criminal_record(check)
            if check.certificate_number:
                details += f". Certificate number {check.certificate_number}"
        elif kind == "insurance":
            details = (
                f"Expires on {long_date(check.expires_on)}"
                if check.expires_on
                else "No expiry date"
            )
        else:
            details = "Declared"
        verified = ""
        if check.verified_at is not None:
            who = check.verified_by.display_name if check.verified_by else "someone"
            verified = (
                f"Verified by {who} for {check.verified_by_organisation} on "
                f"{long_date(london_date(check.verified_at))}"
            )
        if check.status == "lapsed" and check.lapsed_reason:
            details += f". {check.lapsed_reason}"
        rows.append(
            CheckRow(
                kind,
                KIND_LABELS[kind],
                check.status,
                STATUS_LABELS[check.status],
                details,
                verified,
            )
        )
    return rows


def listing_gaps(carer: Carer, today: date) -> list[str]:
    """Everything that stops this carer being listed, each saying who must do what."""
    gaps = []
    verifier = (
        "A CoopCare quality reviewer"
        if carer.needs_insurance
        else (carer.provider.name if carer.provider else "The provider")
    )
    again = "a CoopCare quality reviewer" if carer.needs_insurance else verifier
    if carer.provider is None or not carer.provider.is_listed:
        gaps.append(
            "The provider is not quality assured yet: it must be approved by a CoopCare "
            "reviewer before any of its carers are listed."
        )
    if not carer.active:
        gaps.append("The profile is paused: the provider must reactivate it (the carer cannot).")
    if carer.lat is None or carer.lon is None or not carer.district:
        gaps.append("No home postcode yet: the carer or the provider must add it under About.")
    for kind in carer.required_check_kinds:
        check = carer.check(kind)
        label = KIND_LABELS[kind]
        if check is None:
            gaps.append(
                f"{label}: not entered yet. The carer or the provider enters it under Checks."
            )
        elif check.status == "lapsed":
            gaps.append(
                f"{label}: out of date ({check.lapsed_reason}). The carer must renew it and "
                f"enter the new details; then {again} verifies it again."
            )
        elif check.status == "declared":
            gaps.append(
                f"{label}: entered but not verified. {verifier} must see the original "
                "documents and verify it."
            )
    return gaps


# ---------------------------------------------------------------------------
# The daily job
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Lapse:
    carer: Carer
    check: CarerCheck
    reason: str


def lapse_out_of_date(today: date) -> list[Lapse]:
    """Lapse every verified check that no longer holds on ``today``. Only verified checks
    are looked at, so running again the same day finds nothing new."""
    limit = _years_before(today, CRIMINAL_RECORD_MAX_AGE_YEARS)
    candidates = db.session.scalars(
        sa.select(CarerCheck)
        .where(
            CarerCheck.status == "verified",
            sa.or_(
                sa.and_(
                    CarerCheck.kind == "criminal_record",
                    CarerCheck.issued_on < limit,
                    CarerCheck.update_service.is_(False),
                ),
                sa.and_(CarerCheck.kind == "insurance", CarerCheck.expires_on < today),
            ),
        )
        .options(selectinload(CarerCheck.carer).selectinload(Carer.provider))
        .order_by(CarerCheck.carer_id, CarerCheck.kind)
    ).all()
    lapses = []
    for check in candidates:
        reason = out_of_date_reason(check, today)
        if reason is None:
            continue
        check.status = "lapsed"
        check.lapsed_reason = reason
        audit.record(
            "carer.check_lapsed",
            actor_id=None,
            target=check.carer,
            kind=check.kind,
            reason=reason,
        )
        lapses.append(Lapse(check.carer, check, reason))
    return lapses


def providers_of(lapses: list[Lapse]) -> dict[int, tuple[Provider, list[Lapse]]]:
    """Lapses grouped by provider (carers without a provider are left out)."""
    grouped: dict[int, tuple[Provider, list[Lapse]]] = {}
    for lapse in lapses:
        provider = lapse.carer.provider
        if provider is None:
            continue
        grouped.setdefault(provider.id, (provider, []))[1].append(lapse)
    return grouped
