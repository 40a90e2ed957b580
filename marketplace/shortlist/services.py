"""The shortlist: carers and teams a person (or a visitor) wants to look at again.

A visitor without an account keeps up to ``SHORTLIST_MAX`` items in their (signed cookie)
session, as "carer-12" / "team-3" strings; a person keeps them in ``shortlist_entries``
with a private note each. When a visitor logs in (or confirms a new account) as a person,
:func:`move_visitor_items` moves the session's items to their account. Only listed
carers and teams of listed providers are ever shown: one that stops being listed drops
out of the list (and out of the compare table) without being deleted, so it comes back
if it is listed again. No ``request`` in here: the session mapping is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace import audit, geo
from marketplace.carers.checks import public_checks
from marketplace.choices import SLOT_LABELS, Day, DayPart
from marketplace.extensions import db
from marketplace.models import Carer, Person, ShortlistEntry, Team
from marketplace.models.shortlists import NOTE_MAX, SHORTLIST_MAX
from marketplace.money import format_pence
from marketplace.search import services as search_services
from marketplace.vocabulary import label as vocabulary_label
from matching.wording import join_and

SESSION_KEY = "shortlist"
KINDS = ("carer", "team")
COMPARE_MIN, COMPARE_MAX = 2, 3


@dataclass(frozen=True, order=True)
class Item:
    """A carer or a team, as the shortlist names it."""

    kind: str
    id: int

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Item | None:
        """ "carer-12" -> Item("carer", 12); None for anything else."""
        kind, _, number = (text or "").partition("-")
        if kind not in KINDS or not number.isdigit() or len(number) > 9:
            return None
        return cls(kind, int(number))


def public_target(item: Item) -> Carer | Team | None:
    """The listed carer, or the team of a listed provider; None when not public."""
    if item.kind == "carer":
        return search_services.public_carer(item.id)
    return search_services.public_team(item.id)


# -- where a shortlist is kept --------------------------------------------------------


class AddResult:
    ADDED, ALREADY, FULL, NOT_FOUND = "added", "already", "full", "not_found"


class VisitorShortlist:
    """A visitor's shortlist, in their session (no notes: those need an account)."""

    has_notes = False

    def __init__(self, session: MutableMapping[str, Any]) -> None:
        self.session = session

    def _items(self) -> list[Item]:
        stored = self.session.get(SESSION_KEY)
        if not isinstance(stored, list):
            return []
        items = [Item.parse(text) for text in stored if isinstance(text, str)]
        return list(dict.fromkeys(item for item in items if item is not None))[:SHORTLIST_MAX]

    def items(self) -> list[Item]:
        return self._items()

    def keys(self) -> set[str]:
        return {item.key for item in self._items()}

    def add(self, item: Item) -> str:
        items = self._items()
        if item in items:
            return AddResult.ALREADY
        if len(items) >= SHORTLIST_MAX:
            return AddResult.FULL
        self.session[SESSION_KEY] = [i.key for i in [*items, item]]
        return AddResult.ADDED

    def remove(self, item: Item) -> bool:
        items = self._items()
        if item not in items:
            return False
        kept = [i.key for i in items if i != item]
        if kept:
            self.session[SESSION_KEY] = kept
        else:
            self.session.pop(SESSION_KEY, None)
        return True

    def notes(self) -> dict[Item, ShortlistEntry]:
        return {}


def lock_person(person: Person) -> None:
    """Lock the person's row until the transaction ends (a no-op on SQLite, which lets
    one writer in at a time anyway): what counts their rows against a cap runs in turn."""
    db.session.execute(sa.select(Person.id).where(Person.id == person.id).with_for_update())


class PersonShortlist:
    """A person's shortlist, in the database, with a private note on each entry."""

    has_notes = True

    def __init__(self, person: Person) -> None:
        self.person = person

    def entries(self) -> list[ShortlistEntry]:
        return list(
            db.session.scalars(
                sa.select(ShortlistEntry)
                .where(ShortlistEntry.person_id == self.person.id)
                .order_by(ShortlistEntry.created_at, ShortlistEntry.id)
            )
        )

    def items(self) -> list[Item]:
        return [Item(entry.kind, entry.target_id) for entry in self.entries()]

    def keys(self) -> set[str]:
        return {item.key for item in self.items()}

    def notes(self) -> dict[Item, ShortlistEntry]:
        return {Item(entry.kind, entry.target_id): entry for entry in self.entries()}

    def _find(self, item: Item) -> ShortlistEntry | None:
        column = ShortlistEntry.carer_id if item.kind == "carer" else ShortlistEntry.team_id
        return db.session.scalar(
            sa.select(ShortlistEntry).where(
                ShortlistEntry.person_id == self.person.id, column == item.id
            )
        )

    def count(self) -> int:
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ShortlistEntry)
            .where(ShortlistEntry.person_id == self.person.id)
        )

    def add(
        self, item: Item, *, actor_id: int | None = None, on_behalf_of: int | None = None
    ) -> str:
        """Add it (the caller checked it is public). The caller commits.

        The person's row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL), so two
        adds at the same moment count one after the other and the list never passes
        ``SHORTLIST_MAX``; the lock lasts until the caller commits.
        """
        lock_person(self.person)
        if self._find(item) is not None:
            return AddResult.ALREADY
        if self.count() >= SHORTLIST_MAX:
            return AddResult.FULL
        entry = ShortlistEntry(person_id=self.person.id)
        if item.kind == "carer":
            entry.carer_id = item.id
        else:
            entry.team_id = item.id
        try:
            with db.session.begin_nested():
                db.session.add(entry)
        except IntegrityError:  # added at the same moment in another tab
            return AddResult.ALREADY
        audit.record(
            "shortlist.added",
            actor_id=actor_id,
            target=self.person,
            on_behalf_of_person_id=on_behalf_of,
            item=item.key,
        )
        return AddResult.ADDED

    def remove(
        self, item: Item, *, actor_id: int | None = None, on_behalf_of: int | None = None
    ) -> bool:
        entry = self._find(item)
        if entry is None:
            return False
        db.session.delete(entry)
        audit.record(
            "shortlist.removed",
            actor_id=actor_id,
            target=self.person,
            on_behalf_of_person_id=on_behalf_of,
            item=item.key,
        )
        return True


def entry_of(entry_id: int) -> ShortlistEntry | None:
    return db.session.get(ShortlistEntry, entry_id)


def set_note(
    entry: ShortlistEntry, text: str, *, actor_id: int, on_behalf_of: int | None = None
) -> None:
    """Keep the person's private note (the audit row never holds its words)."""
    entry.note = (text or "").strip()[:NOTE_MAX]
    audit.record(
        "shortlist.note_saved",
        actor_id=actor_id,
        target=entry.person,
        on_behalf_of_person_id=on_behalf_of,
    )


def move_visitor_items(session: MutableMapping[str, Any], person: Person) -> int:
    """Move a visitor's session shortlist onto the person's account; how many moved.

    Items already on the account, no longer public, or past the cap are dropped. The
    session's list is emptied either way. The caller commits.
    """
    visitor = VisitorShortlist(session)
    items = visitor.items()
    session.pop(SESSION_KEY, None)
    shortlist = PersonShortlist(person)
    moved = 0
    for item in items:
        if public_target(item) is None:
            continue
        if shortlist.add(item, actor_id=person.user_id) == AddResult.ADDED:
            moved += 1
    return moved


# -- what the shortlist and compare pages show -----------------------------------------


@dataclass
class Listed:
    """One public item on a shortlist, with what the pages show about it."""

    item: Item
    target: Carer | Team
    name: str
    district: str
    provider_name: str
    entry: ShortlistEntry | None

    @property
    def url_endpoint(self) -> str:
        return "search.carer" if self.item.kind == "carer" else "search.team"

    @property
    def url_values(self) -> dict[str, int]:
        return {f"{self.item.kind}_id": self.item.id}


def listed(shortlist: VisitorShortlist | PersonShortlist) -> list[Listed]:
    """The shortlist's public items, in the order they were added."""
    notes = shortlist.notes()
    found = []
    for item in shortlist.items():
        target = public_target(item)
        if target is None:
            continue
        if isinstance(target, Carer):
            name, district = target.display_name, target.district or ""
            provider = target.provider.name if target.provider else ""
        else:
            name, district = target.name, ", ".join(target.patch or [])
            provider = target.provider.name
        found.append(Listed(item, target, name, district, provider, notes.get(item)))
    return found


DISTANCE_BANDS = ((2, "Under 2 km"), (5, "2 to 5 km"), (10, "5 to 10 km"), (20, "10 to 20 km"))


def distance_band(distance_km: float | None) -> str:
    """A band, not a number: the compare table sorts people into rough distances."""
    if distance_km is None:
        return "Not known"
    for limit, text in DISTANCE_BANDS:
        if distance_km < limit:
            return text
    return "More than 20 km"


@dataclass
class Column:
    """One carer or team in the compare table."""

    listed: Listed
    rows: dict[str, Any]


def _carers_of(target: Carer | Team) -> list[Carer]:
    if isinstance(target, Carer):
        return [target]
    return [m.carer for m in search_services.listed_members(target)]


def _distance(person: Person | None, carers: list[Carer]) -> float | None:
    if person is None or person.lat is None or person.lon is None:
        return None
    distances = [
        geo.distance_km((person.lat, person.lon), (c.public_lat, c.public_lon))
        for c in carers
        if c.public_lat is not None and c.public_lon is not None
    ]
    return min(distances) if distances else None


def _availability(slots: set[str]) -> list[str]:
    """ "Monday: morning, afternoon" for each day with a free slot."""
    lines = []
    for day in Day:
        parts = [part.label.lower() for part in DayPart if f"{day}-{part}" in slots]
        if parts:
            lines.append(f"{day.label}: {', '.join(parts)}")
    return lines


def _rate(target: Carer | Team, carers: list[Carer]) -> str:
    rates = sorted({c.hourly_rate_pence for c in carers if c.hourly_rate_pence is not None})
    if not rates and target.provider.hourly_rate_pence is not None:
        rates = [target.provider.hourly_rate_pence]
    if not rates:
        return "Ask the provider"
    low, high = rates[0], rates[-1]
    text = format_pence(low) if low == high else f"{format_pence(low)} to {format_pence(high)}"
    return text + " an hour"


def compare_columns(items: list[Listed], person: Person | None) -> list[Column]:
    """The facts the compare table lines up, one column per carer or team.

    ``person`` (the person whose shortlist it is) turns facts into answers for them:
    which of their must-haves each covers, the interests and times they share, and how
    far away each is (a band from the public point, never a number to trilaterate).
    """
    needs = list(person.must_have or ()) if person else []
    interests = {i.casefold() for i in (person.interests or ())} if person else set()
    wanted_slots = set((person.preferences or {}).get("slots") or ()) if person else set()
    columns = []
    for entry in items:
        target = entry.target
        carers = _carers_of(target)
        skills = sorted({s for c in carers for s in c.skills or ()})
        carer_interests = sorted({i for c in carers for i in c.interests or ()})
        languages = sorted({lang for c in carers for lang in c.languages or ()})
        slots = {s for c in carers for s in c.availability or ()}
        provider = target.provider
        if isinstance(target, Carer):
            checks = public_checks(target)
            check_lines = [*checks.lines, checks.sentence] if checks else []
        else:
            check_lines = [
                f"Checks confirmed for all {len(carers)} listed members"
                if carers
                else "No listed members yet"
            ]
        rows: dict[str, Any] = {
            "provider": provider.name,
            "legal_form": provider.legal_form_label,
            "rate": _rate(target, carers),
            "distance": distance_band(_distance(person, carers)),
            "needs_covered": [(vocabulary_label("skill", need), need in skills) for need in needs],
            "skills": [vocabulary_label("skill", s) for s in skills],
            "interests": [(i, i.casefold() in interests) for i in carer_interests],
            "languages": [vocabulary_label("language", lang) for lang in languages],
            "availability": _availability(slots),
            "shared_times": sorted(
                (SLOT_LABELS[s] for s in wanted_slots & slots), key=list(SLOT_LABELS.values()).index
            ),
            "checks": check_lines,
            "members": len(carers) if isinstance(target, Team) else None,
        }
        columns.append(Column(entry, rows))
    return columns


def needs_sentence(person: Person | None) -> str:
    if person is None or not person.must_have:
        return ""
    return join_and([vocabulary_label("skill", need) for need in person.must_have])


def pick_for_compare(
    available: list[Listed], wanted: Iterable[str]
) -> tuple[list[Listed], str | None]:
    """The 2 or 3 shortlisted items asked for (by key), or an error sentence."""
    by_key = {entry.item.key: entry for entry in available}
    chosen = [by_key[key] for key in dict.fromkeys(wanted) if key in by_key]
    if len(chosen) < COMPARE_MIN:
        return chosen, "Choose 2 or 3 carers or teams from your shortlist to compare"
    if len(chosen) > COMPARE_MAX:
        return chosen, "Choose no more than 3 carers or teams to compare"
    return chosen, None


def export_rows(person: Person) -> dict[str, Any]:
    """The person's shortlist (with notes) and saved searches, for their data export."""
    from marketplace.shortlist.saved_searches import Criteria, saved_searches

    return {
        "shortlist": [
            {
                "kind": entry.kind,
                "id": entry.target_id,
                "note": entry.note,
                "added_at": entry.created_at.isoformat(),
            }
            for entry in PersonShortlist(person).entries()
        ],
        "saved_searches": [
            {
                "search": Criteria.from_saved(saved).describe(),
                "district": saved.outcode,
                "radius_km": saved.radius_km,
                "criteria": saved.criteria,
                "saved_at": saved.created_at.isoformat(),
            }
            for saved in saved_searches(person)
        ],
    }
