"""Catalog import and export: providers, teams and carers as one JSON file.

``flask catalog import FILE.json [--approve]`` and ``flask catalog export FILE.json``.
The format is described in README.md ("Catalog format"). ``ref`` is each row's
stable external key: importing the same file twice changes nothing, and a changed row
is updated in place. The whole file is checked first; if any row is bad, every
problem is reported (with its ref) and nothing is written.

Writes use core statements in chunks (no ORM objects per carer) so that 100k carers
import in well under two minutes on PostgreSQL.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from tqdm import tqdm

from marketplace import authz, clock, geo, notifications
from marketplace.carers import checks
from marketplace.catalog_rows import CarerRow, ProviderRow, Row, TeamRow, read_row
from marketplace.choices import QAStatus
from marketplace.extensions import db
from marketplace.models import (
    AuditLog,
    Carer,
    CarerCheck,
    Provider,
    Team,
    TeamMember,
    User,
    UserRole,
    utcnow,
)
from marketplace.models.providers import (
    TEAM_MAX_MEMBERS,
    public_coordinates,
)
from marketplace.providers import qa
from marketplace.search.services import describe_unknown, unknown_terms

CHUNK = 5000
Progress = Callable[[int], None] | None

# Text fields that an explicit null in the file stores as empty text.
PROVIDER_TEXT_FIELDS = ("description", "principles")
# Optional fields in the order they are exported, with the value a new row gets.
PROVIDER_DEFAULTS: dict[str, Any] = {
    "service_radius_km": None,
    "service_districts": [],
    "skills": [],
    "languages": [],
    "cqc_location_id": None,
    "cqc_rating": None,
    "description": "",
    "principles": "",
    "members": [],
    "hourly_rate_pence": None,
    "contact_email": None,
    "contact_phone": None,
    "website": None,
}
CARER_DEFAULTS: dict[str, Any] = {
    "travel_radius_km": 8.0,
    "skills": [],
    "interests": [],
    "languages": [],
    "gender": None,
    "hourly_rate_pence": None,
    "availability": None,
    "bio": "",
    "active": True,
    "care_certificate": False,
    "pets_ok": None,
    "smoking_ok": None,
    "enjoys_support": [],
    "would_support": [],
}
# The private place and the public point (these writes are Core, so they set both).
PLACE_COLUMNS = ("postcode", "district", "lat", "lon", "public_lat", "public_lon")


class CatalogImportError(Exception):
    """The file has problems; ``errors`` lists each one, naming the row's ref."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the catalog file")
        self.errors = errors


@dataclass(frozen=True)
class Approval:
    """Who approves an import, and which file: named on the QA checklist waiver."""

    admin: User
    source: str
    today: date


@dataclass
class ImportReport:
    providers_created: int = 0
    providers_updated: int = 0
    providers_approved: int = 0
    teams_created: int = 0
    teams_updated: int = 0
    carers_created: int = 0
    carers_updated: int = 0
    memberships_changed: int = 0
    providers_left_suspended: int = 0
    checks_changed: int = 0
    carers_verified: int = 0
    checks_left_unverified: int = 0

    @property
    def changed(self) -> bool:
        return any(vars(self).values())

    def summary(self) -> str:
        return (
            f"Providers: {self.providers_created} added, {self.providers_updated} updated, "
            f"{self.providers_approved} approved. Teams: {self.teams_created} added, "
            f"{self.teams_updated} updated. Carers: {self.carers_created} added, "
            f"{self.carers_updated} updated. Team places changed: {self.memberships_changed}. "
            f"Checks changed: {self.checks_changed}; carers with checks verified: "
            f"{self.carers_verified}"
            + (
                f"; {self.checks_left_unverified} check(s) left unverified (incomplete or "
                "out of date)"
                if self.checks_left_unverified
                else ""
            )
            + "."
            + (
                f" {self.providers_left_suspended} suspended provider(s) left suspended."
                if self.providers_left_suspended
                else ""
            )
        )


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


class _Row:
    """Collects problems for one row while reading its fields."""

    def __init__(self, kind: str, raw: Any, position: int, errors: list[str]) -> None:
        self.kind = kind
        self.raw = raw if isinstance(raw, dict) else {}
        ref = self.raw.get("ref")
        self.ref = ref if isinstance(ref, str) and ref.strip() else None
        self.label = f"{kind} {self.ref!r}" if self.ref else f"{kind} #{position + 1}"
        self.errors = errors
        self.ok = True
        if not isinstance(raw, dict):
            self.fail("must be a JSON object")

    def fail(self, message: str) -> None:
        self.ok = False
        self.errors.append(f"{self.label}: {message}")

    def read(self, model: type[Row]) -> dict[str, Any]:
        """The fields the row gave, checked by ``model``; each problem is recorded."""
        values, problems = read_row(model, self.raw)
        for problem in problems:
            self.fail(problem)
        return values

    def vocabulary(self, values: dict[str, Any], name: str, kind: str) -> None:
        """Unknown vocabulary slugs, each with the nearest known ones."""
        for term, near in unknown_terms(values.get(name) or [], kind).items():
            self.fail(describe_unknown(term, kind, near))

    def place(self, name: str = "postcode") -> dict[str, Any] | None:
        """postcode -> stored postcode (full only), district (outcode), lat, lon, the
        public point and the council."""
        value = self.raw.get(name)
        if not isinstance(value, str):  # None, or not text (the row's model says so)
            return None
        try:
            where = geo.lookup(value)
        except geo.GeoError as error:
            self.fail(f"{name}: {error}")
            return None
        postcode = None if where.is_outcode else where.postcode
        public_lat, public_lon = public_coordinates(postcode, where.outcode, where.lat)
        return {
            "postcode": postcode,
            "district": where.outcode,
            "lat": where.lat,
            "lon": where.lon,
            "public_lat": public_lat,
            "public_lon": public_lon,
            "care_council_code": where.care_council_code,
        }


@dataclass
class ValidCatalog:
    providers: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    carers: list[dict[str, Any]] = field(default_factory=list)


def _check_provider(row: _Row) -> dict[str, Any]:
    values = row.read(ProviderRow)
    values.pop("teams", None)
    for name in PROVIDER_TEXT_FIELDS:
        if name in values and values[name] is None:
            values[name] = ""
    row.vocabulary(values, "skills", "skills")
    row.vocabulary(values, "languages", "languages")
    if "postcode" in row.raw:
        place = row.place()
        values.update(place or dict.fromkeys(PLACE_COLUMNS))
    values["ref"] = row.ref
    return values


def _check_team(row: _Row, provider_ref: str) -> dict[str, Any]:
    values = row.read(TeamRow)
    if "description" in values and values["description"] is None:
        values["description"] = ""
    values.update(ref=row.ref, provider=provider_ref)
    return values


def _check_carer(row: _Row) -> dict[str, Any]:
    values = row.read(CarerRow)
    provider = values.pop("provider", None)
    team = values.pop("team", None)
    role = values.pop("team_role", None) or "member"
    if "bio" in values and values["bio"] is None:
        values["bio"] = ""
    for name in (
        "travel_radius_km",
        "active",
        "care_certificate",
        "enjoys_support",
        "would_support",
    ):
        if name in values and values[name] is None:
            values[name] = CARER_DEFAULTS[name]
    if values.get("checks") is not None:
        values["checks"] = values["checks"].as_found()
    row.vocabulary(values, "skills", "skills")
    row.vocabulary(values, "languages", "languages")
    if "postcode" in row.raw:
        place = row.place()
        if place:
            place.pop("care_council_code")
        values.update(place or dict.fromkeys(PLACE_COLUMNS))
    values.update(ref=row.ref, provider=provider, team=team, team_role=role)
    return values


def _rows(data: dict[str, Any], key: str, errors: list[str]) -> list[Any]:
    rows = data.get(key, [])
    if not isinstance(rows, list):
        errors.append(f"{key} must be a list")
        return []
    return rows


def _refs(model: Any) -> dict[str, Any]:
    return {
        r.ref: r
        for r in db.session.execute(
            sa.select(*model.__table__.c).where(model.__table__.c.ref.is_not(None))
        )
    }


def validate_catalog(data: Any, progress: Progress = None) -> ValidCatalog:
    """Check the whole file against itself and the database; raise CatalogImportError."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise CatalogImportError(['The file must be a JSON object with "providers" and "carers"'])
    for key in sorted(set(data) - {"providers", "carers"}):
        errors.append(f"unknown top-level field {key!r}")
    valid = ValidCatalog()
    seen: dict[str, set[str]] = {"provider": set(), "team": set(), "carer": set()}

    def unique(row: _Row) -> bool:
        if row.ref is None:
            row.fail("ref is required")
            return False
        if len(row.ref) > 80:
            row.fail("ref is longer than 80 characters")
        if row.ref in seen[row.kind]:
            row.fail(f"duplicate ref: another {row.kind} in the file uses {row.ref!r}")
            return False
        seen[row.kind].add(row.ref)
        return True

    for position, raw in enumerate(_rows(data, "providers", errors)):
        row = _Row("provider", raw, position, errors)
        if not isinstance(raw, dict):
            continue
        unique(row)
        provider = _check_provider(row)
        valid.providers.append(provider)
        teams = row.raw.get("teams") or []
        if not isinstance(teams, list):  # the row's model has said so
            continue
        names: set[str] = set()
        for team_position, team_raw in enumerate(teams):
            team_row = _Row("team", team_raw, team_position, errors)
            if not isinstance(team_raw, dict):
                continue
            unique(team_row)
            team = _check_team(team_row, row.ref or "")
            if team.get("name") in names:
                team_row.fail(f"{row.label} has two teams called {team['name']!r}")
            names.add(team.get("name") or "")
            valid.teams.append(team)

    carer_rows = _rows(data, "carers", errors)
    for position, raw in enumerate(carer_rows):
        row = _Row("carer", raw, position, errors)
        if isinstance(raw, dict):
            unique(row)
            valid.carers.append(_check_carer(row) | {"_label": row.label})
        if progress and position % 1000 == 999:
            progress(1000)
    if progress:
        progress(len(carer_rows) % 1000)

    _check_against_database(valid, errors)
    if errors:
        raise CatalogImportError(errors)
    return valid


def _check_against_database(valid: ValidCatalog, errors: list[str]) -> None:
    """Provider and team references, team ownership and the 12-person team limit."""
    db_providers = _refs(Provider)
    db_teams = _refs(Team)
    provider_ref_of_id = {r.id: ref for ref, r in db_providers.items()}
    file_providers = {p["ref"] for p in valid.providers}
    team_owner: dict[str, str] = {}
    for team in valid.teams:
        team_owner[team["ref"]] = team["provider"]
        existing = db_teams.get(team["ref"])
        if existing is not None:
            owner = provider_ref_of_id.get(existing.provider_id)
            if owner != team["provider"]:
                errors.append(
                    f"team {team['ref']!r}: already belongs to another provider "
                    f"({owner or 'id ' + str(existing.provider_id)})"
                )
    for ref, existing in db_teams.items():
        if ref not in team_owner and existing.provider_id in provider_ref_of_id:
            team_owner[ref] = provider_ref_of_id[existing.provider_id]

    # Who stays in each team: database members not in the file, plus the file's carers.
    file_carers = {c["ref"] for c in valid.carers}
    size: dict[str, int] = defaultdict(int)
    team_ref_of_id = {r.id: ref for ref, r in db_teams.items()}
    members = db.session.execute(
        sa.select(TeamMember.team_id, Carer.ref).join(Carer, Carer.id == TeamMember.carer_id)
    )
    for team_id, carer_ref in members:
        if carer_ref not in file_carers and team_id in team_ref_of_id:
            size[team_ref_of_id[team_id]] += 1

    for carer in valid.carers:
        label = carer["_label"]
        provider = carer["provider"]
        if provider and provider not in file_providers and provider not in db_providers:
            errors.append(f"{label}: unknown provider ref {provider!r}")
            continue
        team = carer["team"]
        if team:
            owner = team_owner.get(team)
            if owner is None:
                errors.append(f"{label}: unknown team ref {team!r}")
            elif owner != provider:
                errors.append(
                    f"{label}: team {team!r} belongs to provider {owner!r}, not {provider!r}"
                )
            else:
                size[team] += 1
    for team, count in sorted(size.items()):
        if count > TEAM_MAX_MEMBERS:
            errors.append(
                f"team {team!r}: would have {count} members; a team has at most {TEAM_MAX_MEMBERS}"
            )


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _changes(existing: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if getattr(existing, k) != v}


def _bulk_update(table: sa.Table, updates: list[dict[str, Any]], progress: Progress) -> None:
    """Executemany UPDATEs grouped by the set of changed columns (the SET clause comes
    from the parameter names)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for values in updates:
        groups[tuple(sorted(values))].append(values)
    now = utcnow()
    statement = sa.update(table).where(table.c.id == sa.bindparam("_id"))
    for rows in groups.values():
        for chunk in _chunks(rows):
            db.session.execute(statement, [{**row, "updated_at": now} for row in chunk])
            if progress:
                progress(len(chunk))


def _insert(table: sa.Table, rows: list[dict[str, Any]], progress: Progress) -> None:
    now = utcnow()
    for chunk in _chunks(rows):
        db.session.execute(
            sa.insert(table), [{**row, "created_at": now, "updated_at": now} for row in chunk]
        )
        if progress:
            progress(len(chunk))


def _upsert(
    model: Any,
    rows: Iterable[dict[str, Any]],
    new_row_defaults: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]],
    progress: Progress,
) -> tuple[int, int]:
    """Insert rows whose ref is new, update the changed columns of the others.

    ``new_row_defaults`` (a dict, or a function of the row) fills columns the file left
    out, for new rows only: on update, a column the file leaves out stays as it is.
    Returns (created, updated). Unchanged rows are not written at all.
    """
    table = model.__table__
    existing = _refs(model)
    inserts, updates = [], []
    for values in rows:
        row = existing.get(values["ref"])
        if row is None:
            defaults = new_row_defaults(values) if callable(new_row_defaults) else new_row_defaults
            inserts.append({**defaults, **values})
        elif changed := _changes(row, values):
            updates.append({"_id": row.id, **changed})
    _insert(table, inserts, progress)
    _bulk_update(table, updates, progress)
    return len(inserts), len(updates)


def _ids(table: sa.Table, refs: Iterable[str]) -> dict[str, int]:
    wanted = set(refs)
    return {
        ref: id_
        for id_, ref in db.session.execute(
            sa.select(table.c.id, table.c.ref).where(table.c.ref.is_not(None))
        )
        if ref in wanted
    }


# File field -> column, where the file keeps the England-only names.
_EXPORT_COLUMNS = {"cqc_location_id": "regulator_number", "cqc_rating": "regulator_rating"}


def _regulator_columns(values: dict[str, Any]) -> dict[str, Any]:
    """The file's CQC fields as the table's regulator columns (the format is England's)."""
    values = dict(values)
    if "cqc_location_id" in values:
        values["regulator_number"] = values.pop("cqc_location_id")
    if "cqc_rating" in values:
        values["regulator_rating"] = values.pop("cqc_rating")
    if values.get("regulator_number") or values.get("regulator_rating"):
        values["regulator"] = "cqc"
    if values.get("regulator_number"):
        values["regulated"] = True
    return values


def _write_providers(
    valid: ValidCatalog, approval: Approval | None, report: ImportReport
) -> dict[str, int]:
    table = Provider.__table__

    def new_row_defaults(values: dict[str, Any]) -> dict[str, Any]:
        return {
            **_regulator_columns(PROVIDER_DEFAULTS),
            **dict.fromkeys((*PLACE_COLUMNS, "care_council_code")),
            "qa_status": "draft",
            "approved_at": None,
            "regulated": bool(values.get("regulator_number")),
            "regulator": None,
            "extra": {},
        }

    report.providers_created, report.providers_updated = _upsert(
        Provider, [_regulator_columns(v) for v in valid.providers], new_row_defaults, None
    )
    ids = _ids(table, [p["ref"] for p in valid.providers])
    if approval is not None:
        _approve_providers(sorted(ids.values()), approval, report)
    return ids


def _approve_providers(provider_ids: list[int], approval: Approval, report: ImportReport) -> None:
    """Each provider goes through the QA state machine (send for review, then approve)
    with the system acting for the administrator; the checklist waiver names them and
    the file. Suspended providers stay suspended: a reviewer must reinstate them."""
    actor = qa.SystemActor(admin=approval.admin, source=approval.source)
    approved = []
    for provider_id in provider_ids:
        provider = db.session.get(Provider, provider_id)
        if provider is None or provider.qa_status in {QAStatus.APPROVED, QAStatus.SUSPENDED}:
            if provider is not None and provider.qa_status == QAStatus.SUSPENDED:
                report.providers_left_suspended += 1
            continue
        if provider.qa_status in {"draft", "changes_requested"}:
            qa.transition(provider, "submit", actor, today=approval.today)
        qa.transition(provider, "approve", actor, today=approval.today)
        approved.append(provider.name)
        report.providers_approved += 1
    if approved:
        reviewers = db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "reviewer", User.is_active_account.is_(True))
            .order_by(User.id)
        ).all()
        names = ", ".join(approved[:10]) + (
            f" and {len(approved) - 10} more" if len(approved) > 10 else ""
        )
        notifications.notify(
            reviewers,
            f"{approval.admin.display_name} approved {len(approved)} provider(s) from the "
            f"{approval.source}, with the checklist waived: {names}. Check their answers and "
            "documents when you can.",
            None,
            "Providers approved by a catalog import",
        )
    db.session.flush()


def _write_teams(
    valid: ValidCatalog, provider_ids: dict[str, int], report: ImportReport
) -> dict[str, int]:
    rows = [
        {
            **{k: v for k, v in team.items() if k != "provider"},
            "provider_id": provider_ids[team["provider"]],
        }
        for team in valid.teams
    ]
    report.teams_created, report.teams_updated = _upsert(
        Team, rows, {"patch": [], "description": ""}, None
    )
    return {ref: r.id for ref, r in _refs(Team).items()}


def _write_carers(
    valid: ValidCatalog, provider_ids: dict[str, int], report: ImportReport, progress: Progress
) -> dict[str, int]:
    table = Carer.__table__
    db_provider_ids = {ref: r.id for ref, r in _refs(Provider).items()}
    rows = [
        {
            **{
                k: v
                for k, v in carer.items()
                if k not in {"provider", "team", "team_role", "_label", "checks"}
            },
            "provider_id": provider_ids.get(carer["provider"])
            or db_provider_ids[carer["provider"]],
        }
        for carer in valid.carers
    ]
    new_row_defaults = {**CARER_DEFAULTS, **dict.fromkeys(PLACE_COLUMNS), "user_id": None}
    created, updated = _upsert(Carer, rows, new_row_defaults, progress)
    if progress:
        progress(len(valid.carers) - created - updated)
    report.carers_created, report.carers_updated = created, updated
    return _ids(table, [c["ref"] for c in valid.carers])


def _write_checks(
    valid: ValidCatalog, carer_ids: dict[str, int], approval: Approval | None, report: ImportReport
) -> None:
    """Declare the checks each row carries; with --approve, the importing administrator
    verifies them (unless out of date), each carer's verification audited.

    A row without "checks" leaves the carer's checks as they are (a new carer has none,
    so is imported unlisted). A changed check goes back to declared.
    """
    table = CarerCheck.__table__
    wanted: dict[tuple[int, str], dict[str, Any] | None] = {}
    for carer in valid.carers:
        given = carer.get("checks")
        if not given:
            continue
        carer_id = carer_ids[carer["ref"]]
        wanted[(carer_id, "criminal_record")] = given["criminal_record"]
        wanted[(carer_id, "right_to_work")] = {} if given["right_to_work"] else None
        if given["insurance_expires_on"] is not None:
            wanted[(carer_id, "insurance")] = {"expires_on": given["insurance_expires_on"]}
    if not wanted:
        return
    existing: dict[tuple[int, str], Any] = {}
    wanted_carers = {carer_id for carer_id, _ in wanted}
    for chunk in _chunks(sorted(wanted_carers)):
        for row in db.session.execute(sa.select(*table.c).where(table.c.carer_id.in_(chunk))):
            existing[(row.carer_id, row.kind)] = row
    now = utcnow()
    unverified = {
        "status": "declared",
        "verified_by_user_id": None,
        "verified_at": None,
        "verified_by_organisation": None,
        "lapsed_reason": None,
    }
    inserts, updates, deletes = [], [], []
    for (carer_id, kind), values in wanted.items():
        row = existing.get((carer_id, kind))
        if values is None:
            if row is not None:
                deletes.append(row.id)
            continue
        if row is None:
            inserts.append(
                {
                    "carer_id": carer_id,
                    "kind": kind,
                    "status": "declared",
                    "scheme": None,
                    "level": None,
                    "certificate_number": None,
                    "issued_on": None,
                    "update_service": False,
                    "expires_on": None,
                    "declared_at": now,
                    **unverified,
                    **values,
                }
            )
        elif changed := _changes(row, values):
            updates.append({"_id": row.id, **changed, **unverified, "declared_at": now})
    for chunk in _chunks(deletes):
        db.session.execute(sa.delete(table).where(table.c.id.in_(chunk)))
    _insert(table, inserts, None)
    _bulk_update(table, updates, None)
    report.checks_changed = len(inserts) + len(updates) + len(deletes)
    if approval is not None:
        _verify_imported_checks(sorted(wanted_carers), approval, report)


def _verify_imported_checks(carer_ids: list[int], approval: Approval, report: ImportReport) -> None:
    table = CarerCheck.__table__
    now = utcnow()
    verified: dict[int, list[str]] = defaultdict(list)
    updates = []
    for chunk in _chunks(carer_ids):
        for row in db.session.execute(
            sa.select(*table.c).where(table.c.carer_id.in_(chunk), table.c.status != "verified")
        ):
            if not _complete(row) or checks.out_of_date_reason(row, approval.today):
                report.checks_left_unverified += 1
                continue
            updates.append(
                {
                    "_id": row.id,
                    "status": "verified",
                    "verified_at": now,
                    "verified_by_user_id": approval.admin.id,
                    "lapsed_reason": None,
                    "verified_by_organisation": checks.IMPORT_VERIFIER,
                }
            )
            verified[row.carer_id].append(row.kind)
    _bulk_update(table, updates, None)
    audits = [
        {
            "created_at": now,
            "actor_user_id": approval.admin.id,
            "action": "carer.checks_verified",
            "target_type": "Carer",
            "target_id": carer_id,
            "on_behalf_of_person_id": None,
            "detail": {
                "kinds": sorted(kinds),
                "organisation": checks.IMPORT_VERIFIER,
                "source": approval.source,
            },
        }
        for carer_id, kinds in sorted(verified.items())
    ]
    for chunk in _chunks(audits):
        db.session.execute(sa.insert(AuditLog.__table__), chunk)
    report.carers_verified = len(verified)


def _complete(row: Any) -> bool:
    if row.kind == "criminal_record":
        return bool(row.scheme and row.level and row.certificate_number and row.issued_on)
    if row.kind == "insurance":
        return row.expires_on is not None
    return True


def _write_memberships(
    valid: ValidCatalog, carer_ids: dict[str, int], team_ids: dict[str, int], report: ImportReport
) -> None:
    """Each carer in the file ends up in exactly the team the file names (or none)."""
    table = TeamMember.__table__
    current: dict[int, list[Any]] = defaultdict(list)
    used_seats: dict[int, set[int]] = defaultdict(set)
    for member in db.session.execute(sa.select(*table.c)):
        current[member.carer_id].append(member)
        used_seats[member.team_id].add(member.seat)
    deletes: list[int] = []
    role_updates: list[dict[str, Any]] = []
    wanted: list[tuple[int, int, str]] = []
    for carer in valid.carers:
        carer_id = carer_ids[carer["ref"]]
        team_id = team_ids[carer["team"]] if carer["team"] else None
        have = current.get(carer_id, [])
        for member in have:
            if member.team_id != team_id:
                deletes.append(member.id)
                used_seats[member.team_id].discard(member.seat)
            elif member.role != carer["team_role"]:
                role_updates.append({"_id": member.id, "role": carer["team_role"]})
        if team_id is not None and not any(m.team_id == team_id for m in have):
            wanted.append((team_id, carer_id, carer["team_role"]))
    for chunk in _chunks(deletes):
        db.session.execute(sa.delete(table).where(table.c.id.in_(chunk)))
    if role_updates:
        db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("_id")), role_updates)
    inserts = []
    for team_id, carer_id, role in wanted:
        seat = min(set(range(1, TEAM_MAX_MEMBERS + 1)) - used_seats[team_id])
        used_seats[team_id].add(seat)
        inserts.append({"team_id": team_id, "carer_id": carer_id, "seat": seat, "role": role})
    for chunk in _chunks(inserts):
        db.session.execute(sa.insert(table), chunk)
    report.memberships_changed = len(deletes) + len(role_updates) + len(inserts)


def import_catalog(
    data: Any,
    *,
    approve: bool = False,
    admin: User | None = None,
    source: str = "catalog import",
    progress: Progress = None,
) -> ImportReport:
    """Validate ``data`` whole, then create or update its rows. The caller commits.

    With ``approve``, ``admin`` (a user with the admin role) is named on the QA checklist
    waiver and verifies the checks the rows carry; ``source`` names the file.
    Raises CatalogImportError (and writes nothing) if any row is bad.
    """
    approval = None
    if approve:
        if not authz.can(admin, "catalog.approve"):
            raise ValueError("--approve needs an administrator (--admin EMAIL)")
        approval = Approval(admin=admin, source=source, today=clock.today())
    valid = validate_catalog(data, progress)
    report = ImportReport()
    provider_ids = _write_providers(valid, approval, report)
    team_ids = _write_teams(valid, provider_ids, report)
    carer_ids = _write_carers(valid, provider_ids, report, progress)
    _write_memberships(valid, carer_ids, team_ids, report)
    _write_checks(valid, carer_ids, approval, report)
    db.session.flush()
    return report


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def _ref(kind: str, row: Any) -> str:
    return row.ref or f"{kind}-{row.id}"


def export_catalog() -> dict[str, Any]:
    """Every provider, team and carer in the import format (refs made up where missing:
    ``provider-<id>``, ``team-<id>``, ``carer-<id>``)."""
    providers = db.session.execute(sa.select(*Provider.__table__.c)).all()
    provider_ref = {p.id: _ref("provider", p) for p in providers}
    teams_by_provider: dict[int, list[Any]] = defaultdict(list)
    team_ref: dict[int, str] = {}
    for team in db.session.execute(sa.select(*Team.__table__.c)):
        teams_by_provider[team.provider_id].append(team)
        team_ref[team.id] = _ref("team", team)
    first_team: dict[int, Any] = {}
    for member in db.session.execute(
        sa.select(*TeamMember.__table__.c).order_by(TeamMember.team_id)
    ):
        first_team.setdefault(member.carer_id, member)

    out_providers = []
    for p in providers:
        row: dict[str, Any] = {
            "ref": provider_ref[p.id],
            "name": p.name,
            "legal_form": p.legal_form,
            "postcode": p.postcode or p.district,
        }
        row.update(
            {
                name: _plain(getattr(p, _EXPORT_COLUMNS.get(name, name), None))
                for name in PROVIDER_DEFAULTS
            }
        )
        if p.regulator != "cqc":  # the format carries CQC registrations only
            row["cqc_location_id"] = row["cqc_rating"] = None
        row["teams"] = sorted(
            (
                {
                    "ref": team_ref[t.id],
                    "name": t.name,
                    "patch": list(t.patch or []),
                    "description": t.description or "",
                }
                for t in teams_by_provider.get(p.id, [])
            ),
            key=lambda t: t["ref"],
        )
        out_providers.append(row)
    checks_of: dict[int, dict[str, Any]] = defaultdict(dict)
    for check in db.session.execute(sa.select(*CarerCheck.__table__.c)):
        checks_of[check.carer_id][check.kind] = check
    out_carers = []
    for c in db.session.execute(sa.select(*Carer.__table__.c)):
        if c.provider_id is None:
            continue  # self-employed PAs without a provider are not in the catalog format
        member = first_team.get(c.id)
        row = {
            "ref": _ref("carer", c),
            "provider": provider_ref[c.provider_id],
            "team": team_ref[member.team_id] if member else None,
            "team_role": member.role if member else "member",
            "display_name": c.display_name,
            "postcode": c.postcode or c.district,
        }
        row.update({name: _plain(getattr(c, name)) for name in CARER_DEFAULTS})
        row["checks"] = _export_checks(checks_of.get(c.id, {}))
        out_carers.append(row)
    return {
        "providers": sorted(out_providers, key=lambda r: r["ref"]),
        "carers": sorted(out_carers, key=lambda r: r["ref"]),
    }


def _export_checks(found: dict[str, Any]) -> dict[str, Any] | None:
    """The "checks" object (what was declared; whether it was verified is not exported)."""
    record = found.get("criminal_record")
    if record is None or not _complete(record):
        return None
    insurance = found.get("insurance")
    return {
        "scheme": record.scheme,
        "level": record.level,
        "certificate_number": record.certificate_number,
        "issued_on": record.issued_on.isoformat(),
        "update_service": bool(record.update_service),
        "right_to_work": "right_to_work" in found,
        **(
            {"insurance_expires_on": insurance.expires_on.isoformat()}
            if insurance is not None and insurance.expires_on
            else {}
        ),
    }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

catalog_cli = AppGroup("catalog", help="Import and export providers, teams and carers.")


@catalog_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--approve",
    is_flag=True,
    help="Approve the imported providers through quality review (checklist waived, naming "
    "--admin and the file) and verify the checks the carer rows carry.",
)
@click.option(
    "--admin",
    "admin_email",
    metavar="EMAIL",
    help="The administrator who vouches for the file (required with --approve).",
)
def import_command(path: Path, approve: bool, admin_email: str | None) -> None:
    """Add or update the providers, teams and carers in a catalog JSON file."""
    admin = None
    if approve:
        if not admin_email:
            raise click.UsageError("--approve needs --admin EMAIL: the administrator who vouches")
        admin = db.session.scalar(
            sa.select(User).where(sa.func.lower(User.email) == admin_email.strip().lower())
        )
        if admin is None or not authz.can(admin, "catalog.approve") or not admin.is_active_account:
            raise click.ClickException(f"{admin_email} is not an administrator's account.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"{path} is not a JSON file: {error}") from error
    total = (
        len(data.get("carers", []))
        if isinstance(data, dict) and isinstance(data.get("carers"), list)
        else 0
    )
    try:
        with tqdm(total=total * 2, unit="carer", desc="Importing", disable=total < 1000) as bar:
            report = import_catalog(
                data,
                approve=approve,
                admin=admin,
                source=f"catalog import of {path.name}",
                progress=bar.update,
            )
    except CatalogImportError as error:
        db.session.rollback()
        for line in error.errors:
            click.echo(line, err=True)
        raise click.ClickException(
            f"Nothing was imported: {len(error.errors)} problem(s) in {path}."
        ) from error
    db.session.commit()
    click.echo(report.summary())


@catalog_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(path: Path) -> None:
    """Write every provider, team and carer to a catalog JSON file."""
    data = export_catalog()
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(
        f"Exported {len(data['providers'])} providers and {len(data['carers'])} carers to {path}."
    )
