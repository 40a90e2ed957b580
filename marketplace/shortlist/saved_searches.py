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

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import g
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, SelectMultipleField
from wtforms.fields.core import UnboundField

from marketplace import audit, geo, notifications
from marketplace.arrangements import services as arrangement_services
from marketplace.choices import SLOT_LABELS, PersonGroup, Pet, SearchPriority, SupportKind
from marketplace.extensions import db
from marketplace.models import Person, SavedSearch, SavedSearchCarer, utcnow
from marketplace.models.shortlists import SAVED_SEARCHES_MAX
from marketplace.money import format_pence
from marketplace.search import services as search_services
from marketplace.search.forms import SearchForm, interest_labels, join_or
from marketplace.shortlist.services import lock_person
from marketplace.vocabulary import label as vocabulary_label
from matching.wording import join_and


# A saved search keeps the whole search: every choice the search form puts into its links
# (``SearchForm.link_args``), and runs it again through the same form, so the job matches
# with exactly the rules of the search page. The place and distance have columns.
def _fields_of(kind: type) -> tuple[str, ...]:
    """The search form's fields of this kind (so a field added to the form is kept)."""
    return tuple(
        name
        for name, value in vars(SearchForm).items()
        if isinstance(value, UnboundField) and issubclass(value.field_class, kind)
    )


LIST_FIELDS = _fields_of(SelectMultipleField)  # skill, nice, interest, language, slot, pet...
FLAG_FIELDS = _fields_of(BooleanField)  # only_free, within_budget, smoking
PLACE_FIELDS = ("postcode", "radius_km", "page")


@dataclass(frozen=True)
class Criteria:
    """What to search for: the district, the distance and the search form's other choices
    as (field, value) pairs in a canonical order (the budget in integer pence)."""

    outcode: str
    radius_km: int
    choices: tuple[tuple[str, str], ...] = ()
    budget_pence: int | None = None

    @classmethod
    def of(cls, outcode: str, radius_km: int, **fields: Any) -> Criteria:
        """Criteria from field values (lists for the lists, True for the checkboxes)."""
        budget = fields.pop("budget_pence", None)
        pairs: list[tuple[str, str]] = []
        for name, value in fields.items():
            if name in PLACE_FIELDS or name == "budget" or value in (None, "", False):
                continue
            if name == "language" and isinstance(value, str):  # as searches kept it before
                value = [value]
            if isinstance(value, list | tuple | set | frozenset):
                pairs += [(name, str(v)) for v in value]
            elif value is True or name in FLAG_FIELDS:
                pairs.append((name, "y"))
            else:
                pairs.append((name, str(value)))
        return cls(
            outcode=outcode,
            radius_km=int(radius_km),
            choices=tuple(sorted(set(pairs))),
            budget_pence=int(budget) if budget is not None else None,
        )

    @classmethod
    def from_saved(cls, saved: SavedSearch) -> Criteria:
        return cls.of(saved.outcode, saved.radius_km, **dict(saved.criteria or {}))

    def values(self, name: str) -> list[str]:
        return [value for field, value in self.choices if field == name]

    def value(self, name: str) -> str:
        found = self.values(name)
        return found[0] if found else ""

    def stored(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, value in self.choices:
            if name in LIST_FIELDS:
                data.setdefault(name, []).append(value)
            elif name in FLAG_FIELDS:
                data[name] = True
            else:
                data[name] = value
        if self.budget_pence is not None:
            data["budget_pence"] = self.budget_pence
        return data

    def key(self) -> str:
        text = json.dumps([self.outcode, self.radius_km, self.stored()], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def search_args(self) -> list[tuple[str, str]]:
        """The search page's address for this search (a district, never a postcode)."""
        args = [("postcode", self.outcode), ("radius_km", str(self.radius_km))]
        args += list(self.choices)
        if self.budget_pence is not None:
            args.append(("budget", format_pence(self.budget_pence, for_input=True)))
        return args

    def form(self, person: Person | None) -> SearchForm | None:
        """The search form holding this search, validated; None when it no longer is a
        valid search (a word taken out of the vocabulary, a budget "within" gone)."""
        form = SearchForm(
            formdata=MultiDict(self.search_args()),
            budget_pence=search_services.weekly_budget_pence(person),
        )
        if not form.validate() or form.place is None:
            return None
        return form

    def filters(self, person: Person | None) -> search_services.SearchFilters | None:
        """The search service's filters, as the search page would run them for the person
        (their saved budget, and the carers they already know)."""
        form = self.form(person)
        if form is None:
            return None
        return dataclasses.replace(
            form.filters(), known_carer_ids=arrangement_services.known_carer_ids(person)
        )

    def describe(self) -> str:
        """The search in plain English: "Carers within 10 km of LS6 who offer Personal
        care, who speak Urdu and Polish (ranked higher: enjoying Gardening)"."""
        text = f"Carers within {self.radius_km} km of {self.outcode}"
        skills = self.values("skill")
        slots = [SLOT_LABELS[s] for s in SLOT_LABELS if s in self.values("slot")]
        hours = self.value("hours")
        budget = (
            f"your budget of {format_pence(self.budget_pence, short=True)} a week"
            if self.budget_pence is not None
            else "your saved weekly budget"
        )
        extras = []
        if skills:
            extras.append("who offer " + join_and([vocabulary_label("skill", s) for s in skills]))
        if self.values("language"):
            spoken = [vocabulary_label("language", x) for x in self.values("language")]
            extras.append("who speak " + join_and(spoken))
        if self.value("gender"):
            gender = search_services.GENDER_LABELS.get(self.value("gender"), "")
            extras.append("who are " + gender.lower())
        if self.value("only_free") and slots:
            extras.append("who are free on " + join_or(slots))
        if self.value("within_budget"):
            extras.append(f"who fit {budget} for {hours} hours of support")
        home = [Pet.labels().get(p, p).split(" (")[0].lower() for p in self.values("pet")]
        if self.value("smoking"):
            home.append("someone smoking")
        if home:
            extras.append("who are happy with " + join_and(home) + " in your home")
        if extras:
            text += " " + ", ".join(extras)
        ranked = []
        if self.values("nice"):
            nice = [vocabulary_label("skill", s) for s in self.values("nice")]
            ranked.append("offering " + join_and(nice))
        if self.values("interest"):
            ranked.append("enjoying " + join_and(interest_labels(self.values("interest"))))
        if slots and not self.value("only_free"):
            ranked.append("free on " + join_or(slots))
        if self.values("support"):
            kinds = [SupportKind.labels().get(k, k).split(" (")[0] for k in self.values("support")]
            ranked.append("enjoying giving " + join_and([k.lower() for k in kinds]))
        if self.values("group"):
            groups = [PersonGroup.labels().get(k, k).split(" (")[0] for k in self.values("group")]
            ranked.append("liking to support " + join_and([k.lower() for k in groups]))
        if ranked:
            text += " (ranked higher: " + "; ".join(ranked) + ")"
        if self.value("priority") in SearchPriority.values():
            matters = SearchPriority.label_for(self.value("priority"))
            text += f". What matters most: {matters[0].lower()}{matters[1:]}"
        if self.budget_pence is not None and not self.value("within_budget"):
            text += f". We show how many hours {budget} pays for"
        return text


def criteria_from_form(form: SearchForm) -> Criteria:
    """Criteria from a search the form has validated (its place kept as the district)."""
    assert form.place is not None
    args = form.link_args(with_postcode=False)
    return Criteria.of(
        form.place.outcode,
        int(args.pop("radius_km", None) or search_services.DEFAULT_RADIUS_KM),
        budget_pence=form.budget_pence,
        **args,
    )


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


def _current_matches(
    criteria: Criteria, person: Person | None
) -> list[search_services.CarerResult]:
    filters = criteria.filters(person)
    if filters is None:  # no longer a valid search: it matches nobody new
        return []
    place = geo.lookup(criteria.outcode)
    return list(search_services.search_carers(place, filters).results)


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
    lock_person(person)  # two saves at once count in turn: never past the cap
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
    for result in _current_matches(criteria, person):
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
    new = [r for r in _current_matches(criteria, saved.person) if r.card.id not in seen]
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
