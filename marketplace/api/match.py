"""POST /api/v1/match: ranked, explained carers for a person's needs."""

from __future__ import annotations

from typing import Any

from marketplace.api import bp
from marketplace.api import schemas as s
from marketplace.api.errors import APIError
from marketplace.api.openapi import documented
from marketplace.api.validation import parse_body, respond
from marketplace.api.views import place_from
from marketplace.search import services

TERM_FIELDS = {
    "must_have": "skills",
    "nice_to_have": "skills",
    "interests": "interests",
    "languages": "languages",
}


def check_vocabulary(body: s.MatchRequest) -> None:
    """422 ``unknown_terms`` naming each unknown slug with the nearest known ones."""
    problems: dict[str, Any] = {}
    for name, kind in TERM_FIELDS.items():
        unknown = services.unknown_terms(getattr(body, name), kind)
        if unknown:
            problems[name] = {
                "message": " ".join(
                    services.describe_unknown(term, kind, near) for term, near in unknown.items()
                ),
                "suggestions": unknown,
            }
    if problems:
        raise APIError(
            422,
            "unknown_terms",
            "Some skills, interests or languages are not in the vocabulary "
            "(see GET /api/v1/vocabulary).",
            problems,
        )


def search_filters(body: s.MatchRequest) -> services.SearchFilters:
    return services.SearchFilters(
        radius_km=body.max_distance_km,
        must_have=frozenset(body.must_have),
        nice_to_have=frozenset(body.nice_to_have),
        interests=tuple(body.interests),
        languages=frozenset(body.languages),
        gender=body.preferences.carer_gender if body.preferences else None,
        limit=body.limit,
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
    check_vocabulary(body)
    place = place_from(body.postcode)
    assert place is not None  # the model requires a postcode
    found = services.search_carers(place, search_filters(body))
    return respond(
        s.MatchResponse(
            results=[
                s.MatchResult(
                    carer_id=r.card.id,
                    ref=r.card.ref,
                    display_name=r.card.display_name,
                    provider=s.ProviderRef(id=r.card.provider_id, name=r.card.provider_name),
                    team_id=r.card.team_id,
                    district=r.card.district,
                    distance_km=r.distance_km,  # public point, nearest 0.5 km
                    score=round(r.score, 4),
                    signals=r.signals,
                )
                for r in found.results
            ],
            excluded=found.excluded,
            suggestions=found.suggestions,
        )
    )
