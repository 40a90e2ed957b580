"""Saved searches: "tell me when someone new covers my area".

A person saves the search they are looking at. The place is kept as its postcode
district only (never a full postcode), and the search runs from the district's centre.
The carers who match when it is saved are remembered as already seen. The periodic job
(:func:`notify_new_matches`: ``flask searches notify``, or the ``searches-notify`` job on
the queue) runs every saved search again and tells the person, through the outbox, about
each listed carer who matches now and was not seen before. It remembers whom it told, so
running it twice tells nobody twice; two runs at once cannot both claim a carer (the
primary key of ``saved_search_carers`` decides). No ``request`` in here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import g
from sqlalchemy.exc import IntegrityError

from marketplace import audit, geo, notifications
from marketplace.extensions import db
from marketplace.models import Person, SavedSearch, SavedSearchCarer, utcnow
from marketplace.models.shortlists import SAVED_SEARCHES_MAX
from marketplace.search import services as search_services
from marketplace.vocabulary import label as vocabulary_label
from matching.wording import join_and

# The search form's fields a saved search keeps (the place and distance have columns).
LIST_FIELDS = ("skill", "interest", "language")
TEXT_FIELDS = ("gender",)
FORM_FIELDS = LIST_FIELDS + TEXT_FIELDS


@dataclass(frozen=True)
class Criteria:
    """What to search for, as the search form's fields hold it."""

    outcode: str
    radius_km: int
    skill: tuple[str, ...] = ()
    interest: tuple[str, ...] = ()
    gender: str = ""
    language: tuple[str, ...] = ()

    @classmethod
    def from_saved(cls, saved: SavedSearch) -> Criteria:
        data = saved.criteria or {}
        return cls(
            outcode=saved.outcode,
            radius_km=saved.radius_km,
            skill=tuple(data.get("skill") or ()),
            interest=tuple(data.get("interest") or ()),
            gender=data.get("gender") or "",
            language=_languages(data.get("language")),
        )

    def stored(self) -> dict[str, Any]:
        return {
            "skill": sorted(set(self.skill)),
            "interest": sorted(set(self.interest)),
            "gender": self.gender,
            "language": sorted(set(self.language)),
        }

    def key(self) -> str:
        text = json.dumps([self.outcode, self.radius_km, self.stored()], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def search_args(self) -> list[tuple[str, str]]:
        """The search page's address for this search (a district, never a postcode)."""
        args = [("postcode", self.outcode), ("radius_km", str(self.radius_km))]
        args += [("skill", s) for s in sorted(set(self.skill))]
        args += [("interest", i) for i in sorted(set(self.interest))]
        args += [("language", i) for i in sorted(set(self.language))]
        args += [(name, getattr(self, name)) for name in TEXT_FIELDS if getattr(self, name)]
        return args

    def filters(self) -> search_services.SearchFilters:
        return search_services.SearchFilters(
            radius_km=self.radius_km,
            must_have=frozenset(self.skill),
            interests=tuple(self.interest),
            must_speak=frozenset(self.language),
            gender=self.gender or None,
        )

    def describe(self) -> str:
        """ "Carers within 10 km of LS6 who offer personal care and cooking, and speak Urdu"."""
        text = f"Carers within {self.radius_km} km of {self.outcode}"
        extras = []
        if self.skill:
            extras.append(
                "who offer " + join_and([vocabulary_label("skill", s) for s in self.skill])
            )
        if self.language:
            extras.append(
                "who speak " + join_and([vocabulary_label("language", x) for x in self.language])
            )
        if self.gender:
            extras.append("who are " + search_services.GENDER_LABELS.get(self.gender, "").lower())
        if extras:
            text += " " + ", ".join(extras)
        if self.interest:
            text += " (enjoying " + join_and(list(self.interest)) + " ranks higher)"
        return text


def criteria_from_search(
    place: geo.PostcodeLocation, radius_km: int | None, fields: dict[str, Any]
) -> Criteria:
    """Criteria from a search the form has validated (``fields``: its field data)."""
    return Criteria(
        outcode=place.outcode,
        radius_km=int(radius_km or search_services.DEFAULT_RADIUS_KM),
        skill=tuple(fields.get("skill") or ()),
        interest=tuple(fields.get("interest") or ()),
        gender=fields.get("gender") or "",
        language=tuple(fields.get("language") or ()),
    )


def _languages(stored: Any) -> tuple[str, ...]:
    """Languages as saved: a list, or one language (or "") as searches kept it before."""
    if isinstance(stored, str):
        return (stored,) if stored else ()
    return tuple(stored or ())


def saved_searches(person: Person) -> list[SavedSearch]:
    return list(
        db.session.scalars(
            sa.select(SavedSearch)
            .where(SavedSearch.person_id == person.id)
            .order_by(SavedSearch.created_at, SavedSearch.id)
        )
    )


def saved_search_of(saved_id: int) -> SavedSearch | None:
    return db.session.get(SavedSearch, saved_id)


class TooMany(ValueError):
    """The person already keeps the most saved searches allowed."""


def _current_matches(criteria: Criteria) -> list[search_services.CarerResult]:
    place = geo.lookup(criteria.outcode)
    return search_services.search_carers(place, criteria.filters()).results


def save(person: Person, criteria: Criteria, *, actor_id: int) -> tuple[SavedSearch, bool]:
    """Save it (or find the same one saved before); True when it is new. The caller commits.

    Whoever matches now is remembered as seen: the person is told only about carers who
    match later.
    """
    key = criteria.key()
    existing = db.session.scalar(
        sa.select(SavedSearch).where(SavedSearch.person_id == person.id, SavedSearch.key == key)
    )
    if existing is not None:
        return existing, False
    if len(saved_searches(person)) >= SAVED_SEARCHES_MAX:
        raise TooMany(f"You can keep up to {SAVED_SEARCHES_MAX} saved searches.")
    saved = SavedSearch(
        person_id=person.id,
        outcode=criteria.outcode,
        radius_km=criteria.radius_km,
        criteria=criteria.stored(),
        key=key,
        last_checked_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(saved)
    except IntegrityError:  # the same search saved in another tab at the same moment
        return db.session.scalars(
            sa.select(SavedSearch).where(SavedSearch.person_id == person.id, SavedSearch.key == key)
        ).one(), False
    for result in _current_matches(criteria):
        db.session.add(SavedSearchCarer(saved_search_id=saved.id, carer_id=result.card.id))
    audit.record("saved_search.saved", actor_id=actor_id, target=saved)
    return saved, True


def delete(saved: SavedSearch, *, actor_id: int) -> None:
    audit.record("saved_search.deleted", actor_id=actor_id, target=saved)
    db.session.delete(saved)


@dataclass
class NotifyReport:
    searches: int = 0
    notified: int = 0
    carers: int = 0

    def summary(self) -> str:
        return (
            f"Checked {self.searches} saved {'search' if self.searches == 1 else 'searches'}: "
            f"told {self.notified} "
            f"{'person' if self.notified == 1 else 'people'} about {self.carers} new "
            f"{'carer' if self.carers == 1 else 'carers'}."
        )


def _message(criteria: Criteria, new: list[search_services.CarerResult]) -> str:
    names = [
        f"{r.card.display_name} ({r.card.district})" if r.card.district else r.card.display_name
        for r in new[:5]
    ]
    more = len(new) - len(names)
    if more:
        names.append(f"{more} more")
    noun = "carer matches" if len(new) == 1 else "carers match"
    return f"{len(new)} new {noun} your saved search near {criteria.outcode}: {join_and(names)}."


def check_one(saved: SavedSearch) -> int:
    """Tell the person about carers new to this search; how many. Commits."""
    criteria = Criteria.from_saved(saved)
    seen = set(
        db.session.scalars(
            sa.select(SavedSearchCarer.carer_id).where(SavedSearchCarer.saved_search_id == saved.id)
        )
    )
    new = [r for r in _current_matches(criteria) if r.card.id not in seen]
    now = utcnow()
    saved.last_checked_at = now
    if not new:
        db.session.commit()
        return 0
    try:
        with db.session.begin_nested():
            for result in new:
                db.session.add(
                    SavedSearchCarer(
                        saved_search_id=saved.id,
                        carer_id=result.card.id,
                        matched_at=now,
                        notified_at=now,
                    )
                )
    except IntegrityError:  # another run claimed them first: it tells the person
        db.session.commit()
        return 0
    notifications.notify(
        [saved.person.user],
        _message(criteria, new),
        notifications.path("shortlist.saved_searches"),
        subject=f"{'a new carer' if len(new) == 1 else 'new carers'} near {criteria.outcode}",
    )
    db.session.commit()
    return len(new)


def notify_new_matches() -> NotifyReport:
    """Run every saved search and tell people about new matches (the periodic job)."""
    # A worker keeps one app context for many jobs: never reuse a catalog an earlier job
    # (or request) kept in ``g``, or new carers would never be seen.
    g.pop("coopcare_catalog", None)
    report = NotifyReport()
    ids = list(db.session.scalars(sa.select(SavedSearch.id).order_by(SavedSearch.id)))
    for saved_id in ids:
        saved = db.session.get(SavedSearch, saved_id)
        if saved is None:  # deleted while the job ran
            continue
        report.searches += 1
        told = check_one(saved)
        if told:
            report.notified += 1
            report.carers += told
    return report
