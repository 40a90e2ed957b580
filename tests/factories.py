"""Factories for tests: small functions that build valid rows with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from marketplace.extensions import db
from marketplace.models import (
    Budget,
    Carer,
    CarerCheck,
    ConsentGrant,
    Introduction,
    Person,
    Provider,
    ProviderAdmin,
    Team,
    TeamMember,
    User,
    utcnow,
)
from marketplace.security import hash_password

ROLE_NAMES = ["person", "supporter", "provider_admin", "carer", "reviewer", "admin"]
PASSWORD = "correct horse battery"
_counter = itertools.count(1)
_PASSWORD_HASH: str | None = None


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:  # hashing is slow on purpose; do it once
        _PASSWORD_HASH = hash_password(PASSWORD)
    return _PASSWORD_HASH


class Factories:
    def user(self, roles: list[str] | None = None, email: str | None = None, **kw: Any) -> User:
        n = next(_counter)
        user = User(
            email=email or f"user{n}@example.org",
            password_hash=_password_hash(),
            display_name=kw.pop("display_name", f"User {n}"),
            email_confirmed_at=kw.pop("email_confirmed_at", utcnow()),
            **kw,
        )
        for role in roles or ["person"]:
            user.add_role(role)
        db.session.add(user)
        db.session.flush()
        if "person" in (roles or ["person"]):
            self.person(user=user)
        return user

    def person(self, user: User | None = None, **kw: Any) -> Person:
        if user is None:
            return self.user(roles=["person"]).person  # type: ignore[return-value]
        defaults: dict[str, Any] = dict(
            display_name=user.display_name,
            postcode="LS6 1AA",
            district="LS6",
            lat=53.81787,
            lon=-1.5745,
            care_council_code="E08000035",
        )
        defaults.update(kw)
        person = Person(user_id=user.id, **defaults)
        db.session.add(person)
        db.session.flush()
        db.session.refresh(user)
        return person

    def provider(
        self, qa_status: str = "approved", admin: User | None = None, **kw: Any
    ) -> Provider:
        n = next(_counter)
        defaults: dict[str, Any] = dict(
            name=f"Test Care Co-op {n}",
            legal_form="worker_coop",
            district="LS6",
            postcode="LS6 1AA",
            lat=53.81787,
            lon=-1.5745,
            care_council_code="E08000035",
            service_radius_km=10.0,
            skills=["personal_care"],
            languages=["en"],
            members=["workers"],
            principles="Owned by our workers.",
        )
        if "district" in kw and "postcode" not in kw:
            defaults["postcode"] = None  # placed by another district: not LS6 1AA
        defaults.update(kw)
        provider = Provider(
            qa_status=qa_status,
            approved_at=utcnow() if qa_status in {"approved", "suspended"} else None,
            **defaults,
        )
        db.session.add(provider)
        db.session.flush()
        if admin is not None:
            db.session.add(ProviderAdmin(provider_id=provider.id, user_id=admin.id))
            db.session.flush()
        return provider

    def carer(
        self, provider: Provider | None = None, checks: str | None = "verified", **kw: Any
    ) -> Carer:
        """A carer; ``checks`` is "verified" (listable), "declared" (entered, not yet
        verified) or None (nothing entered)."""
        n = next(_counter)
        check_options = {
            name: kw.pop(name)
            for name in ("issued_on", "update_service", "insurance_expires_on")
            if name in kw
        }
        if provider is None and "provider_id" not in kw:
            provider = self.provider()
        defaults: dict[str, Any] = dict(
            display_name=f"Carer {n}",
            district="LS6",
            lat=53.82,
            lon=-1.57,
            skills=["personal_care", "cooking"],
            interests=["gardening"],
            languages=["en"],
            gender="female",
            travel_radius_km=8.0,
            hourly_rate_pence=1850,
            availability=["mon-am", "tue-pm"],
        )
        defaults.update(kw)
        defaults.pop("provider_id", None)
        carer = Carer(provider_id=provider.id if provider else kw.get("provider_id"), **defaults)
        db.session.add(carer)
        db.session.flush()
        if checks is not None:
            self.carer_checks(carer, status=checks, **check_options)
        return carer

    def carer_checks(self, carer: Carer, status: str = "verified", **kw: Any) -> list[CarerCheck]:
        """The checks the carer needs, all with ``status`` (verified by the provider)."""
        db.session.refresh(carer)
        verified = status != "declared"
        organisation = carer.provider.name if carer.provider else "the CoopCare quality team"
        rows = []
        for kind in carer.required_check_kinds:
            values: dict[str, Any] = {}
            if kind == "criminal_record":
                values = dict(
                    scheme="dbs",
                    level="enhanced_barred",
                    certificate_number="001234567890",
                    issued_on=kw.get("issued_on", date(2025, 3, 27)),
                    update_service=kw.get("update_service", True),
                )
            elif kind == "insurance":
                values = dict(expires_on=kw.get("insurance_expires_on", date(2030, 12, 31)))
            row = CarerCheck(
                carer_id=carer.id,
                kind=kind,
                status=status,
                verified_at=utcnow() if verified else None,
                verified_by_user_id=kw.get("verified_by_user_id"),
                verified_by_organisation=organisation if verified else None,
                **values,
            )
            db.session.add(row)
            rows.append(row)
        db.session.flush()
        db.session.refresh(carer)
        return rows

    def team(self, provider: Provider | None = None, members: int = 0, **kw: Any) -> Team:
        provider = provider or self.provider()
        team = Team(
            provider_id=provider.id,
            name=kw.pop("name", f"Team {next(_counter)}"),
            patch=kw.pop("patch", ["LS6"]),
            **kw,
        )
        db.session.add(team)
        db.session.flush()
        for seat in range(1, members + 1):
            db.session.add(TeamMember(team_id=team.id, carer_id=self.carer(provider).id, seat=seat))
        db.session.flush()
        return team

    def consent(
        self, person: Person, supporter: User, scopes: list[str], **kw: Any
    ) -> ConsentGrant:
        grant = ConsentGrant(
            person_id=person.id,
            supporter_user_id=supporter.id,
            granted_by_user_id=person.user_id,
            scopes=scopes,
            **kw,
        )
        db.session.add(grant)
        db.session.flush()
        return grant

    def introduction(
        self,
        person: Person | None = None,
        carer: Carer | None = None,
        provider: Provider | None = None,
        status: str = "requested",
        **kw: Any,
    ) -> Introduction:
        """An introduction row as it stands at ``status`` (no events: for setting up
        pages; journeys go through marketplace.introductions.services)."""
        person = person or self.person()
        if carer is None and provider is None and "team_id" not in kw:
            carer = self.carer()
        if provider is None:
            provider = carer.provider if carer is not None else None
        defaults: dict[str, Any] = dict(
            message="Hello, I would like to meet you.",
            preferred_times=["mon-am"],
            remind_on=date(2026, 12, 8),
            expires_on=date(2026, 12, 15),
        )
        if status != "requested":
            defaults["answered_at"] = utcnow()
        if status in {"accepted", "meeting", "agreed", "not_going_ahead"}:
            defaults["meeting_options"] = ["2030-01-07T10:00"]
        if status in {"meeting", "agreed"}:
            defaults["meeting_at"] = datetime(2030, 1, 7, 10, tzinfo=UTC)
        if status == "agreed":
            defaults.update(
                person_agreed_at=utcnow(), provider_agreed_at=utcnow(), contact_shared_at=utcnow()
            )
        if status == "declined":
            defaults["decline_reason"] = "no_capacity"
        defaults.update(kw)
        introduction = Introduction(
            person_id=person.id,
            provider_id=provider.id,
            carer_id=carer.id if carer is not None else None,
            status=status,
            **defaults,
        )
        db.session.add(introduction)
        db.session.flush()
        return introduction

    def budget(self, person: Person | None, **kw: Any) -> Budget:
        defaults: dict[str, Any] = dict(
            person_id=person.id if person is not None else None,
            care_council_code="E08000035",
            funding_route="direct_payment",
            amount_pence=100_000,
            period="monthly",
            account_type="prepaid_card",
            allowed_categories=["agency_care", "personal_assistant"],
            starts_on=date(2026, 1, 1),
        )
        defaults.update(kw)
        budget = Budget(**defaults)
        db.session.add(budget)
        db.session.flush()
        return budget

    def ledger_entries(self, budget: Budget, *entries: tuple[Any, ...]) -> None:
        """entries: (kind, signed pence, date, description[, category[, invoice ref]])."""
        from marketplace.billing.repository import SqlBillingRepository
        from payments.ledger import EntryKind, EntrySource

        repo = SqlBillingRepository(db.session)
        book = repo.ledger(budget.id)
        for kind, pence, on, text, *rest in entries:
            category = rest[0] if rest else None
            source = EntrySource(invoice_reference=rest[1]) if len(rest) > 1 else None
            repo.append(
                book.post(EntryKind(kind), pence, on, text, category=category, source=source)
            )
