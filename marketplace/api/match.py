"""POST /api/v1/match: ranked, explained carers for a person's needs."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from flask import current_app
from flask_login import current_user

from marketplace.api import answers, bp
from marketplace.api import schemas as s
from marketplace.api.errors import APIError
from marketplace.api.openapi import documented
from marketplace.api.validation import parse_body
from marketplace.api.views import place_from
from marketplace.arrangements import services as arrangement_services
from marketplace.choices import SLOTS
from marketplace.models import Person
from marketplace.people import services as people_services
from marketplace.search import services
from matching.vocabulary import DEFAULT_VOCABULARY

TERM_FIELDS = {
    "must_have": "skills",
    "nice_to_have": "skills",
    "interests": "interests",
    "languages": "languages",
    "must_speak": "languages",
}


def normalise_terms(body: s.MatchRequest) -> s.MatchRequest:
    """Each term as its vocabulary slug ("garden" -> "gardening", "Urdu" -> "ur"), as the
    search page reads them; 422 ``unknown_terms`` naming each unknown one with the
    nearest known slugs."""
    problems: dict[str, Any] = {}
    changes: dict[str, list[str]] = {}
    for name, kind in TERM_FIELDS.items():
        slugs: list[str] = []
        unknown: dict[str, list[str]] = {}
        for term in getattr(body, name):
            slug = DEFAULT_VOCABULARY.normalise(term, kind)  # type: ignore[arg-type]
            if slug is None:
                unknown[term] = services.unknown_terms([term], kind)[term]
            else:
                slugs.append(slug)
        if unknown:
            problems[name] = {
                "message": " ".join(
                    services.describe_unknown(term, kind, near) for term, near in unknown.items()
                ),
                "suggestions": unknown,
            }
        changes[name] = list(dict.fromkeys(slugs))
    if problems:
        raise APIError(
            422,
            "unknown_terms",
            "Some skills, interests or languages are not in the vocabulary "
            "(see GET /api/v1/vocabulary).",
            problems,
        )
    return body.model_copy(update=changes)


def with_profile(body: s.MatchRequest, person: Person | None) -> s.MatchRequest:
    """Fields the body leaves out, from the logged-in person's profile (and budget)."""
    defaults = people_services.match_defaults(person)
    given = body.model_fields_set
    update: dict[str, Any] = {}
    for name, value in defaults.items():
        if name in given:
            continue
        if name == "preferences":
            value = s.Preferences(**value)
        update[name] = value
    if "weekly_budget_pence" not in given:
        update["weekly_budget_pence"] = services.weekly_budget_pence(person)
    return body.model_copy(update=update)


def search_filters(body: s.MatchRequest) -> services.SearchFilters:
    return services.SearchFilters(
        radius_km=body.max_distance_km,
        must_have=frozenset(body.must_have),
        nice_to_have=frozenset(body.nice_to_have) - frozenset(body.must_have),
        interests=tuple(body.interests),
        languages=frozenset(body.languages),
        must_speak=frozenset(body.must_speak),
        gender=body.preferences.carer_gender if body.preferences else None,
        slots=tuple(slot for slot in SLOTS if slot in set(body.availability)),
        only_available=body.only_available,
        priority=body.priority,
        max_hourly_rate_pence=body.max_hourly_rate_pence,
        weekly_budget_pence=body.weekly_budget_pence,
        limit=body.limit,
        pets=frozenset(body.pets),
        smoking_home=body.smoking_home,
        support_wanted=frozenset(body.support_wanted),
        groups=frozenset(body.groups),
    )


def _float_or_none(value: float | None) -> float | None:
    return None if value is None else float(value)


def match_result_json(r: services.CarerResult) -> dict[str, Any]:
    """One result as ``s.MatchResult`` serialises it (every field, floats as floats),
    built without a model: the answer has up to 20 of them and validating values we made
    ourselves is most of what it would cost (tests check it against the model)."""
    card = r.card
    return {
        "carer_id": card.id,
        "ref": card.ref,
        "display_name": card.display_name,
        "provider": {"id": card.provider_id, "name": card.provider_name},
        "team_id": card.team_id,
        "district": card.district,
        "distance_km": float(r.distance_km),  # public point, nearest 0.5 km
        "score": float(round(r.score, 4)),
        # Already {"score": float, "explanation": str} for each weighed signal (_result).
        "signals": r.signals,
        "hourly_rate_pence": r.hourly_rate_pence,
        "hours_per_week": _float_or_none(r.hours_per_week),
    }


def match_response_json(found: services.CarerSearch) -> bytes:
    """The answer (``s.MatchResponse``) as JSON bytes."""
    widen = [
        s.Widen(kind=w.kind, text=w.text, value=w.value, extra=w.extra).model_dump(mode="json")
        for w in found.widen
    ]
    return orjson.dumps(
        {
            "results": [match_result_json(r) for r in found.results],
            "excluded": {str(k): int(v) for k, v in found.excluded.items()},
            "suggestions": [str(text) for text in found.suggestions],
            "widen": widen,
            "nearest": [match_result_json(r) for r in found.nearest],
        }
    )


@bp.post("/match")
@documented(
    "post",
    "/match",
    operation_id="match",
    summary="Carers ranked for a person's needs, with why each matches",
    body_model=s.MatchRequest,
    responses={
        200: ("Ranked carers, exclusion counts and ways to widen the search.", s.MatchResponse),
        400: ("The body is not JSON.", s.Error),
        404: ("No such postcode.", s.Error),
        422: ("A bad field; unknown vocabulary terms come with the nearest suggestions.", s.Error),
    },
)
def match():
    body = parse_body(s.MatchRequest)
    person = people_services.person_of(current_user)
    if person is not None:
        body = with_profile(body, person)
    if body.postcode is None:
        message = "postcode is required (or log in with a postcode saved in your profile)"
        raise APIError(422, "invalid_request", message, {"postcode": message})
    body = normalise_terms(body)
    place = place_from(body.postcode)
    assert place is not None  # a postcode was given or came from the profile
    kept = answers.visitor_cache() if person is None else None
    if kept is not None:
        # A visitor's answer depends on the catalog and the request only: the same
        # question (its terms as slugs, the postcode as looked up) asked again while the
        # catalog has not changed is answered as it was, without ranking.
        version = services.get_catalog().key
        key = (place.postcode, body.model_dump_json(exclude={"postcode"}))
        answer = kept.get(version, key)
        if answer is None:
            answer = match_response_json(services.search_carers(place, search_filters(body)))
            kept.put(version, key, answer)
        return current_app.response_class(answer, mimetype="application/json")
    filters = dataclasses.replace(
        search_filters(body),
        # Carers in the person's agreed arrangements: "someone you already know".
        known_carer_ids=arrangement_services.known_carer_ids(person),
    )
    found = services.search_carers(place, filters)
    response = current_app.response_class(match_response_json(found), mimetype="application/json")
    if person is not None:
        # A profile or a saved budget may have filled it in: for this person only.
        response.headers["Cache-Control"] = "private, no-store"
    return response
