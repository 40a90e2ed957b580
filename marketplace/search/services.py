"""The public directory: who covers a place, ranked carers, and public profiles.

Only approved providers and their active carers are ever returned. Carers are shown
by postcode district (outcode), never by full postcode. Every distance is measured from
a *public point* (the centroid of the postcode sector, ``geo.public_point``) and rounded
to the nearest 0.5 km (``matching.wording.rounded_km``), so no answer narrows a home
down below its postcode sector. No ``request`` in here.
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import joinedload, selectinload

from marketplace import clock, directory, geo, regulators
from marketplace.carers.checks import PublicChecks, public_checks
from marketplace.catalog import (
    CarerCard,
    catalog_fragment,
    catalog_fragments,
    catalog_memo,
    get_catalog,
)
from marketplace.choices import (
    COOP_LEGAL_FORMS,
    SLOTS,
    Day,
    DayPart,
    Gender,
    PersonGroup,
    Pet,
    SupportKind,
    TeamRole,
)
from marketplace.extensions import db
from marketplace.models import Carer, CouncilLinks, Person, Provider, Team, TeamMember
from marketplace.models.providers import (
    GENDERS,
    LEGAL_FORMS,
    MEMBER_KINDS,
)
from marketplace.vocabulary import label as vocabulary_label
from matching import Match, RankResult, Seeker, Suggestion, Weights, nearest, rank
from matching.vocabulary import DEFAULT_VOCABULARY, suggest
from matching.wording import join_and, radius, rounded_km

PER_PAGE = 10
# Fewer carers than this on a search: the page says why there are not more, and how to
# widen the search (search/search.html).
FEW_RESULTS = PER_PAGE
MAX_RESULTS = 200
DEFAULT_RADIUS_KM = 10
MIN_RADIUS_KM, MAX_RADIUS_KM = 1, 50

GENDER_LABELS = Gender.labels()
TEAM_ROLE_LABELS = TeamRole.labels()
DAYS = Day.choices()
PARTS = DayPart.choices()


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


# ---------------------------------------------------------------------------
# Vocabulary checks (shared with the API and the catalog import)
# ---------------------------------------------------------------------------

KIND_NAMES = {"skills": "skill", "interests": "interest", "languages": "language"}


def unknown_terms(values: Iterable[str], kind: str) -> dict[str, list[str]]:
    """Slugs that are not in the vocabulary, each with the nearest known slugs."""
    known = DEFAULT_VOCABULARY.terms(kind)  # type: ignore[arg-type]
    return {v: suggest(v, kind, 3) for v in values if v not in known}  # type: ignore[arg-type]


def describe_unknown(value: str, kind: str, suggestions: list[str]) -> str:
    """'"peg feed" is not a known skill. Did you mean peg_feeding?'"""
    text = f"{value!r} is not a known {KIND_NAMES[kind]}."
    if suggestions:
        text += " Did you mean " + " or ".join(suggestions) + "?"
    return text


# ---------------------------------------------------------------------------
# Providers near a place
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderPoint:
    """What the search page shows and needs of a listed provider: plain values, kept
    with the catalog (providers are catalog data) instead of a SELECT per search."""

    id: int
    name: str
    legal_form_label: str
    district: str | None
    public_lat: float | None
    public_lon: float | None
    service_districts: tuple[str, ...]
    service_radius_km: float | None
    skills: tuple[str, ...]


def _listed_provider_points() -> list[ProviderPoint]:
    return [
        ProviderPoint(
            id=p.id,
            name=p.name,
            legal_form_label=p.legal_form_label,
            district=p.district,
            public_lat=p.public_lat,
            public_lon=p.public_lon,
            service_districts=tuple(p.service_districts or ()),
            service_radius_km=p.service_radius_km,
            skills=tuple(p.skills or ()),
        )
        for p in db.session.scalars(approved_providers().order_by(Provider.name, Provider.id))
    ]


def listed_provider_points() -> list[ProviderPoint]:
    """Every listed provider by name, once per catalog version (``catalog_memo``)."""
    return catalog_memo("listed_provider_points", _listed_provider_points)


def providers_covering(place: geo.PostcodeLocation) -> list[ProviderHit]:
    """``providers_near(place)`` for the search page: the same for everyone searching
    from ``place``, so kept per catalog version (``catalog_fragment``)."""
    found: list[ProviderHit] = catalog_fragment(
        "providers_near", place, lambda: providers_near(place, rows=listed_provider_points())
    )
    return found


@dataclass
class ProviderHit:
    provider: Provider | ProviderPoint
    distance_km: float | None  # rounded (see public_distance_km)


def public_distance_km(
    place: geo.PostcodeLocation, row: Carer | Provider | ProviderPoint
) -> float | None:
    """The exact distance from ``place`` to the row's public point (never its own
    point), or None when it is not on the map. Round it before showing it."""
    if row.public_lat is None or row.public_lon is None:
        return None
    return geo.distance_km(place.point, (row.public_lat, row.public_lon))


def shown_distance_km(distance: float | None) -> float | None:
    """The distance as pages and the API give it: to the nearest 0.5 km."""
    return None if distance is None else rounded_km(distance)


def provider_covers(
    provider: Provider | ProviderPoint, place: geo.PostcodeLocation, distance: float | None
) -> bool:
    """Does the provider's service area include ``place``?"""
    if place.outcode in (provider.service_districts or []):
        return True
    return (
        distance is not None
        and provider.service_radius_km is not None
        and distance <= provider.service_radius_km
    )


# A sphere's great-circle distance is within 0.6 % of the WGS84 geodesic one.
_SPHERE_MARGIN = 1.01
_EARTH_RADIUS_KM = 6371.0088


def _surely_out_of_reach(
    place: geo.PostcodeLocation, provider: Provider | ProviderPoint, radius_km: float | None
) -> bool:
    """True when ``provider`` can be neither near ``place`` (within ``radius_km``) nor
    covering it, judged by the cheap spherical distance with a margin, so the exact
    (geodesic, slow) distance is only measured for providers that might be hits."""
    if place.outcode in (provider.service_districts or []):
        return False
    if provider.public_lat is None or provider.public_lon is None:
        return True
    limits = [r for r in (radius_km, provider.service_radius_km) if r is not None]
    if not limits:
        return True
    lat1, lon1 = math.radians(place.lat), math.radians(place.lon)
    lat2, lon2 = math.radians(provider.public_lat), math.radians(provider.public_lon)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    sphere_km = 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    return sphere_km > max(limits) * _SPHERE_MARGIN + 0.01


def approved_providers() -> sa.Select[tuple[Provider]]:
    return sa.select(Provider).where(Provider.is_listed)


def providers_near(
    place: geo.PostcodeLocation | None,
    *,
    radius_km: float | None = None,
    skill: str | None = None,
    q: str | None = None,
    rows: Iterable[Provider | ProviderPoint] | None = None,
) -> list[ProviderHit]:
    """Approved providers whose service area covers ``place`` (or whose base's public
    point is within ``radius_km`` of it), nearest first; with no place, all of them by
    name. Distances are from public points, so a sweep of ``radius_km`` finds no more
    than the postcode sector of a base (which may be a self-employed PA's home).

    ``rows``: the listed providers by name to look through (``listed_provider_points()``
    on the search page) instead of a SELECT; not with ``q``."""
    exact: list[tuple[float, int]] = []  # (distance to the public point, position)
    if rows is None:
        statement = approved_providers().order_by(Provider.name, Provider.id)
        if q:
            statement = statement.where(sa.func.lower(Provider.name).contains(q.lower().strip()))
        rows = db.session.scalars(statement)
    elif q:
        raise ValueError("q filters in SQL: not with rows")
    hits: list[ProviderHit] = []
    for provider in rows:
        if skill and skill not in (provider.skills or []):
            continue
        if place is None:
            hits.append(ProviderHit(provider, None))
            continue
        if _surely_out_of_reach(place, provider, radius_km):
            continue
        distance = public_distance_km(place, provider)
        near = radius_km is not None and distance is not None and distance <= radius_km
        if near or provider_covers(provider, place, distance):
            exact.append((math.inf if distance is None else distance, len(hits)))
            hits.append(ProviderHit(provider, shown_distance_km(distance)))
    if place is not None:
        hits = [hits[i] for _, i in sorted(exact)]
    return hits


def map_points(
    place: geo.PostcodeLocation, carers: list[CarerResult], providers: list[ProviderHit]
) -> list[dict[str, Any]]:
    """Markers for the optional map: district centres only, never a carer's own point.

    Carers are grouped by postcode district and drawn at the district's centre, so the
    map shows no more than the list does.
    """
    points: list[dict[str, Any]] = [
        {
            "kind": "place",
            "label": f"Your area: {place.outcode}",
            "lat": round(place.lat, 4),
            "lon": round(place.lon, 4),
        }
    ]
    by_district: dict[str, int] = {}
    for result in carers:
        if result.card.district:
            by_district[result.card.district] = by_district.get(result.card.district, 0) + 1
    for district, count in sorted(by_district.items()):
        try:
            lat, lon = geo.district_centroid(district)
        except LookupError:
            continue
        noun = "carer" if count == 1 else "carers"
        points.append(
            {
                "kind": "carers",
                "label": f"{count} {noun} in {district}",
                "lat": round(lat, 4),
                "lon": round(lon, 4),
            }
        )
    for hit in providers:
        provider = hit.provider
        if not provider.district:
            continue
        try:
            lat, lon = geo.district_centroid(provider.district)
        except LookupError:
            continue
        points.append(
            {
                "kind": "provider",
                "label": f"{provider.name} ({provider.district})",
                "lat": round(lat, 4),
                "lon": round(lon, 4),
                "url": url_for("search.provider", provider_id=provider.id),
            }
        )
    return points


# ---------------------------------------------------------------------------
# Carers ranked by the matching engine
# ---------------------------------------------------------------------------


@dataclass
class CarerResult:
    card: CarerCard
    distance_km: float  # from the public point, rounded to the nearest 0.5 km
    score: float
    reasons: list[str]
    signals: dict[str, Any]
    hourly_rate_pence: int | None = None
    # Whole and half hours a week the person's weekly budget pays at this carer's rate.
    hours_per_week: float | None = None
    must_haves: list[str] = field(default_factory=list)  # labels, all covered


class LazyResults(Sequence[CarerResult]):
    """A search's results, each written (``_result``: card, rate, reasons) only when a
    page reads it: a search ranks up to ``MAX_RESULTS`` carers to show ``PER_PAGE``."""

    def __init__(self, make: Callable[[Match], CarerResult], matches: list[Match]):
        self._make = make
        self._matches = matches
        self._made: dict[int, CarerResult] = {}

    def __len__(self) -> int:
        return len(self._matches)

    def _at(self, i: int) -> CarerResult:
        found = self._made.get(i)
        if found is None:
            found = self._made[i] = self._make(self._matches[i])
        return found

    @overload
    def __getitem__(self, i: int) -> CarerResult: ...
    @overload
    def __getitem__(self, i: slice) -> list[CarerResult]: ...
    def __getitem__(self, i: int | slice) -> CarerResult | list[CarerResult]:
        if isinstance(i, slice):
            return [self._at(n) for n in range(len(self._matches))[i]]
        return self._at(range(len(self._matches))[i])

    def __iter__(self) -> Iterator[CarerResult]:
        return (self._at(i) for i in range(len(self._matches)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"LazyResults({len(self)} results)"


@dataclass
class CarerSearch:
    results: Sequence[CarerResult]
    excluded: dict[str, int]
    suggestions: list[str]
    limited: bool = False
    widen: list[Suggestion] = field(default_factory=list)
    # When nothing matches: the nearest carers that pass every other hard filter.
    nearest: list[CarerResult] = field(default_factory=list)


@dataclass
class SearchFilters:
    radius_km: float = DEFAULT_RADIUS_KM
    must_have: frozenset[str] = frozenset()
    nice_to_have: frozenset[str] = frozenset()
    interests: tuple[str, ...] = ()
    languages: frozenset[str] = frozenset()  # would be nice (a signal)
    must_speak: frozenset[str] = frozenset()  # a hard filter
    required_language: str | None = None  # one more language the carer must speak
    gender: str | None = None
    slots: tuple[str, ...] = ()
    only_available: bool = False
    priority: str | None = None  # a key of matching.PRIORITIES
    max_hourly_rate_pence: int | None = None
    weekly_budget_pence: int | None = None
    limit: int = MAX_RESULTS
    extra: dict[str, Any] = field(default_factory=dict)
    # Carers in the person's agreed arrangements: "someone you already know".
    known_carer_ids: frozenset[int] = frozenset()
    # The person's home and wishes (hard filters against what carers said).
    pets: frozenset[str] = frozenset()
    smoking_home: bool = False
    support_wanted: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    @property
    def speaks(self) -> frozenset[str]:
        """Every language the carer must speak."""
        extra = {self.required_language} if self.required_language else set()
        return self.must_speak | extra


def seeker_for(place: geo.PostcodeLocation, filters: SearchFilters) -> Seeker:
    """The matching engine's view of a search."""
    return Seeker(
        lat=place.lat,
        lon=place.lon,
        max_distance_km=float(filters.radius_km),
        must_have=filters.must_have,
        nice_to_have=filters.nice_to_have,
        interests=filters.interests,
        languages=filters.languages,
        must_speak=filters.speaks,
        carer_gender=filters.gender,
        max_hourly_rate_pence=filters.max_hourly_rate_pence,
        availability=frozenset(filters.slots) or None,
        only_available=filters.only_available and bool(filters.slots),
        known_candidate_ids=filters.known_carer_ids,
        pets=filters.pets,
        smoking_home=filters.smoking_home,
        support_wanted=filters.support_wanted,
        groups=filters.groups,
    )


def hours_bought(weekly_budget_pence: int | None, rate_pence: int | None) -> float | None:
    """Hours a week the budget pays at the rate, rounded down to the half hour."""
    if weekly_budget_pence is None or not rate_pence:
        return None
    return math.floor(weekly_budget_pence * 2 / rate_pence) / 2


def _result(
    catalog: Any, match: Match, filters: SearchFilters, must_haves: list[str] | None = None
) -> CarerResult:
    card = catalog.carers[int(match.candidate_id)]
    index = catalog.index
    rate = index.candidates[index.position_of[match.candidate_id]].hourly_rate_pence
    signals = {
        name: {"score": round(s.score, 3), "explanation": s.explanation}
        for name, s in match.signals.items()
        if s.weight > 0
    }
    return CarerResult(
        card=card,
        distance_km=rounded_km(match.distance_km),
        score=match.score,
        reasons=[s["explanation"] for s in signals.values()],
        signals=signals,
        hourly_rate_pence=rate,
        hours_per_week=hours_bought(filters.weekly_budget_pence, rate),
        must_haves=(
            labels("skill", sorted(filters.must_have)) if must_haves is None else list(must_haves)
        ),
    )


def search_carers(
    place: geo.PostcodeLocation,
    filters: SearchFilters,
    page: int | None = None,
    suggest_below: int | None = None,
) -> CarerSearch:
    """Listed carers for ``place`` ranked by matching, with exclusions and suggestions.

    Every hard filter (languages and times too) is the engine's, so each exclusion is
    counted once, under its own reason. With no match at all, the nearest carers that
    pass every filter but distance come too. Explanations are written only for the
    results shown: the first ``filters.limit``, or with ``page`` only that page of
    ``PER_PAGE`` (the others keep their scores, with no reasons). Writing them is most
    of a search's cost. Ways to widen the search (``widen``) only when fewer than
    ``suggest_below`` carers match, if given.
    """
    catalog = get_catalog()
    seeker = seeker_for(place, filters)
    explain = slice(0, filters.limit)
    if page is not None:
        start = (max(1, page) - 1) * PER_PAGE
        explain = slice(start, start + PER_PAGE)
    # One extra so we can tell whether the list was cut short.
    weights = Weights.for_priority(filters.priority)

    def ranked(explain: slice) -> RankResult:
        return rank(
            seeker,
            catalog.index,
            weights,
            filters.limit + 1,
            explain=explain,
            widest_km=float(MAX_RADIUS_KM),
            suggest_below=suggest_below,
        )

    result = ranked(explain)
    shown = min(len(result.matches), filters.limit)
    if page is not None and shown and explain.start >= shown:
        # A page past the last one shows the last one (see paginate): explain that one.
        start = (shown - 1) // PER_PAGE * PER_PAGE
        result = ranked(slice(start, start + PER_PAGE))
    matches = list(result.matches)
    limited = len(matches) > filters.limit
    must_haves = labels("skill", sorted(filters.must_have))  # the same for every result
    results = LazyResults(
        lambda match: _result(catalog, match, filters, must_haves), matches[: filters.limit]
    )
    closest = []
    if not results:
        closest = [
            _result(catalog, match, filters) for match in nearest(seeker, catalog.index, limit=3)
        ]
    return CarerSearch(
        results=results,
        excluded=dict(result.excluded),
        suggestions=list(result.suggestions),
        limited=limited,
        widen=list(result.widen),
        nearest=closest,
    )


@dataclass
class SearchContext:
    """A carer's page seen from a search: where the person searched and why this carer."""

    result: CarerResult | None  # None: not among this search's matches
    back_args: dict[str, Any]
    outcode: str


def search_result_for(
    place: geo.PostcodeLocation, filters: SearchFilters, carer_id: int, page: int | None = None
) -> CarerResult | None:
    """This carer's match for the search (distance, reasons), or None when the search
    leaves them out or they are not among its best ``MAX_RESULTS``.

    A carer opened from a results page is on that ``page``: only its ``PER_PAGE`` matches
    are explained (not all 200). If the carer is not there (the catalog moved since, or
    a page was typed), the whole list is explained and searched, as without a page."""
    if page is not None:
        start = (max(1, page) - 1) * PER_PAGE
        on_page = search_carers(place, filters, page=page).results[start : start + PER_PAGE]
        for result in on_page:
            if result.card.id == carer_id:
                return result
    for result in search_carers(place, filters).results:
        if result.card.id == carer_id:
            return result
    return None


def excluded_sentences(excluded: dict[str, int], filters: SearchFilters) -> list[str]:
    """Why carers nearby were left out, in plain English (distance is left to the
    suggestions: almost everyone in the country is 'too far')."""
    language = " and ".join(vocabulary_label("language", code) for code in sorted(filters.speaks))
    pets = [Pet(p).label.lower() for p in Pet.values() if p in filters.pets]
    pets_text = f"with {pets[0]}" if len(pets) == 1 else f"in a home with {join_and(pets)}"
    texts = {
        "outside_travel_radius": lambda n: (
            f"{_plural(n, 'carer', 'carers')} within "
            f"{radius(filters.radius_km)} {'does' if n == 1 else 'do'} not travel as far as you."
        ),
        "missing_must_have": lambda n: (
            f"{_plural(n, 'carer', 'carers')} nearby "
            f"{'does' if n == 1 else 'do'} not offer every skill you asked for."
        ),
        "gender": lambda n: (
            f"{_plural(n, 'carer', 'carers')} nearby "
            f"{'is' if n == 1 else 'are'} not the gender you asked for."
        ),
        "over_budget": lambda n: (
            f"{_plural(n, 'carer', 'carers')} nearby "
            f"{'costs' if n == 1 else 'cost'} more than your budget."
        ),
        "language": lambda n: (
            f"{_plural(n, 'carer', 'carers')} nearby "
            f"{'does' if n == 1 else 'do'} not speak {language}."
        ),
        "not_available": lambda n: (
            f"{_plural(n, 'carer', 'carers')} nearby "
            f"{'is' if n == 1 else 'are'} not free at any of your times, or "
            f"{'has' if n == 1 else 'have'} not said when they are free."
        ),
        "pets": lambda n: (
            f"{_plural(n, 'carer', 'carers')} nearby "
            f"{'is' if n == 1 else 'are'} not comfortable {pets_text}."
        ),
        "smoking": lambda n: (
            f"{_plural(n, 'carer', 'carers')} nearby "
            f"{'prefers' if n == 1 else 'prefer'} a home where nobody smokes."
        ),
        "support_kinds": lambda n: (
            f"{_plural(n, 'carer', 'carers')} nearby "
            f"{'enjoys' if n == 1 else 'enjoy'} giving other kinds of support than the ones "
            "you want."
        ),
        "who_they_support": lambda n: (
            f"{_plural(n, 'carer', 'carers')} nearby would rather support other groups of people."
        ),
    }
    return [texts[reason](count) for reason, count in excluded.items() if reason in texts and count]


@dataclass(frozen=True)
class CardDetails:
    """What a result card shows beyond the catalog: the provider's kind and the checks."""

    coop: bool
    legal_form_label: str
    checks: PublicChecks | None


def card_details(results: list[CarerResult]) -> dict[int, CardDetails]:
    """Details for one page of results: kept per catalog version (the provider and the
    checks are catalog data), those not kept yet in one query."""
    return catalog_fragments("card_details", [r.card.id for r in results], _card_details)


def _card_details(ids: list[int]) -> dict[int, CardDetails]:
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Carer)
        .where(Carer.id.in_(ids))
        .options(joinedload(Carer.provider), selectinload(Carer.checks))
    )
    return {
        carer.id: CardDetails(
            coop=carer.provider.legal_form in COOP_LEGAL_FORMS,
            legal_form_label=carer.provider.legal_form_label,
            checks=public_checks(carer),
        )
        for carer in rows
    }


WEEKS_PER_PERIOD = {"weekly": 1, "four_weekly": 4}


def weekly_budget_pence(person: Person | None) -> int | None:
    """The person's budget in force today, as an amount a week (None without one)."""
    if person is None:
        return None
    today = clock.today()
    current = [b for b in person.budgets if b.starts_on <= today]
    if not current:
        return None
    budget = max(current, key=lambda b: (b.starts_on, b.id))
    if budget.period == "monthly":
        return budget.amount_pence * 12 // 52
    return budget.amount_pence // WEEKS_PER_PERIOD[budget.period]


@dataclass(frozen=True)
class SuggestionLink:
    text: str
    url: str


def suggestion_links(widen: list[Suggestion], args: dict[str, Any]) -> list[SuggestionLink]:
    """The engine's ways to widen the search, each as a link that makes the change.

    ``args`` is the search as link parameters (``SearchForm.link_args``). Advice that no
    link can carry out (a distance past the largest allowed, a skill nobody lists) is
    left out, so the page never suggests what the person cannot do.
    """
    found = []
    for suggestion in widen:
        changed = {k: list(v) if isinstance(v, list) else v for k, v in args.items()}
        changed.pop("page", None)
        match suggestion.kind:
            case "wider_distance":
                distance = float(suggestion.value or 0)
                if distance > MAX_RADIUS_KM or not distance.is_integer():
                    continue
                changed["radius_km"] = int(distance)
                text = suggestion.text
            case "drop_gender":
                changed.pop("gender", None)
                text = suggestion.text
            case "drop_language":
                spoken = list(changed.get("language") or ())
                if suggestion.value not in spoken:
                    continue
                spoken.remove(suggestion.value)
                if spoken:
                    changed["language"] = spoken
                else:
                    changed.pop("language")
                text = suggestion.text
            case "drop_availability":
                changed.pop("only_free", None)
                text = suggestion.text
            case "raise_rate":
                if "within_budget" not in changed:
                    continue
                changed.pop("within_budget")
                text = f"{_plural(suggestion.extra, 'more carer', 'more carers')} above your budget"
            case "must_to_nice":
                key = str(suggestion.value)
                if key not in changed.get("skill", []):
                    continue
                changed["skill"] = [s for s in changed["skill"] if s != key]
                changed["nice"] = [*changed.get("nice", []), key]
                text = suggestion.text
            case _:
                continue
        found.append(
            SuggestionLink(text[:1].upper() + text[1:], url_for("search.search", **changed))
        )
    return found


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def first_number(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_number(self) -> int:
        return min(self.total, self.page * self.per_page)


def paginate(items: list[Any], page: int, per_page: int = PER_PAGE, *, clamp: bool = True) -> Page:
    """One page of ``items``. With ``clamp`` a page past the last one is the last one, so a
    person never sees "carers 981 to 40 of 40"; the API keeps an empty page instead, so
    clients that read pages until one is empty stop."""
    page = max(1, page)
    if clamp:
        page = min(page, max(1, math.ceil(len(items) / per_page)))
    start = (page - 1) * per_page
    return Page(items[start : start + per_page], page, per_page, len(items))


# ---------------------------------------------------------------------------
# Public profiles
# ---------------------------------------------------------------------------


def public_provider(provider_id: int) -> Provider | None:
    return db.session.scalar(
        approved_providers().where(Provider.id == provider_id).options(selectinload(Provider.teams))
    )


def listed_carers(provider_id: int) -> list[Carer]:
    return list(
        db.session.scalars(
            sa.select(Carer)
            .where(Carer.provider_id == provider_id, Carer.is_listed)
            .order_by(Carer.display_name, Carer.id)
        )
    )


def public_carer(carer_id: int) -> Carer | None:
    # The provider and teams come in the same round trips (the page shows both).
    carer = db.session.get(
        Carer,
        carer_id,
        options=[
            joinedload(Carer.provider),
            selectinload(Carer.team_memberships).joinedload(TeamMember.team),
        ],
    )
    return carer if carer is not None and carer.is_listed else None


def public_team(team_id: int) -> Team | None:
    team = db.session.get(Team, team_id)
    if team is None or not team.provider.is_listed:
        return None
    return team


def listed_members(team: Team) -> list[TeamMember]:
    return [m for m in team.memberships if m.carer.is_listed]


def first_team(carer: Carer) -> Team | None:
    memberships = sorted(carer.team_memberships, key=lambda m: m.team_id)
    return memberships[0].team if memberships else None


def labels(kind: str, slugs: Iterable[str] | None) -> list[str]:
    return [vocabulary_label(kind, slug) for slug in slugs or []]


def provider_facts(provider: Provider) -> dict[str, Any]:
    """Labels for the provider page."""
    council = None
    if provider.care_council_code:
        try:
            council = geo.care_council(provider.care_council_code)
        except KeyError:
            council = None
    return {
        "legal_form": LEGAL_FORMS.get(provider.legal_form, provider.legal_form),
        "members": [MEMBER_KINDS.get(m, m) for m in provider.members or []],
        "regulator": regulators.public_summary(provider),
        "skills": labels("skill", provider.skills),
        "languages": labels("language", provider.languages),
        "council": council,
    }


def carer_preference_rows(carer: Carer) -> list[tuple[str, str]]:
    """What the carer said of homes and the people they like to support, for their public
    page: (what, answer); what they have not said says to ask."""

    def said(values: list[str] | None, choice: Any) -> str:
        return ", ".join(choice(v).label for v in values or () if v in choice.values())

    ask = "Not said: ask the provider"
    if carer.pets_ok is None:
        pets = ask
    else:
        pets = said(carer.pets_ok, Pet) or "None: would rather work in homes without pets"
    smoking = {True: "Yes", False: "No, would rather work where nobody smokes"}.get(
        carer.smoking_ok,  # type: ignore[arg-type]
        ask,
    )
    return [
        ("Happy with pets", pets),
        ("Happy in a home where someone smokes", smoking),
        ("Enjoys giving", said(carer.enjoys_support, SupportKind) or "Not said"),
        ("Would like to support", said(carer.would_support, PersonGroup) or "Anyone (not said)"),
    ]


def carer_checks(carer: Carer) -> PublicChecks | None:
    """Verified checks only, and who confirmed them when (None for an unlisted carer).

    What a carer declares is never shown as a fact."""
    return public_checks(carer)


def availability_table(slots: Iterable[str] | None) -> list[tuple[str, list[bool]]] | None:
    """Rows of (day, [morning, afternoon, evening]) or None when not given."""
    if slots is None:
        return None
    chosen = set(slots)
    return [(day, [f"{d}-{p}" in chosen for p, _ in PARTS]) for d, day in DAYS]


# ---------------------------------------------------------------------------
# Councils
# ---------------------------------------------------------------------------


@functools.cache
def _council_outcodes() -> dict[str, frozenset[str]]:
    """Care council code -> postcode districts that lie (even partly) in it."""
    found: dict[str, set[str]] = {}
    with open(geo.DATA_DIR / geo.DISTRICTS_FILE, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            codes = [row["care_la_code"], *row["other_care_la_codes"].split(";")]
            for code in filter(None, codes):
                found.setdefault(code, set()).add(row["outcode"])
    return {code: frozenset(outcodes) for code, outcodes in found.items()}


def council_outcodes(code: str) -> frozenset[str]:
    return _council_outcodes().get(code, frozenset())


def council_providers(code: str) -> list[Provider]:
    """Listed providers that work in the council: registered there, based there, or
    serving part of it (by named districts or by radius). The same list as the council's
    CSV and the Open Referral feed's ``council=`` filter."""
    return [p for p in directory.listed_providers() if directory.covers_council(p, code)]


def council_links(place: geo.PostcodeLocation) -> CouncilLinks | None:
    """What an admin recorded about the place's council (its direct-payment support)."""
    if not place.care_council_code:
        return None
    return db.session.get(CouncilLinks, place.care_council_code)


@dataclass
class CouncilSummary:
    providers: list[Provider]
    carers: int
    skills: list[str]
    links: CouncilLinks | None


def council_summary(code: str) -> CouncilSummary:
    """What the council page shows: the co-ops, how many carers, what they offer."""
    providers = council_providers(code)
    carers = directory.listed_carers_by_provider([p.id for p in providers])
    offered = sorted({s for p in providers for s in p.skills or []})
    return CouncilSummary(
        providers=providers,
        carers=sum(len(c) for c in carers.values()),
        skills=labels("skill", offered),
        links=db.session.get(CouncilLinks, code),
    )


def councils_with_providers() -> list[geo.Council]:
    """Councils where at least one approved provider is registered, by name."""
    codes = db.session.scalars(
        sa.select(Provider.care_council_code)
        .where(Provider.is_listed, Provider.care_council_code.is_not(None))
        .distinct()
    )
    found = []
    for code in codes:
        try:
            found.append(geo.care_council(code))
        except KeyError:
            continue
    return sorted(found, key=lambda council: council.name.casefold())


__all__ = [
    "GENDERS",
    "GENDER_LABELS",
    "SLOTS",
]
