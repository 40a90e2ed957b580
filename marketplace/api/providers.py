"""GET /api/v1/providers and /api/v1/providers/{id}: approved providers near a place."""

from __future__ import annotations

from typing import Any

from flask import request

from marketplace import geo, links
from marketplace.api import bp
from marketplace.api import schemas as s
from marketplace.api.errors import APIError
from marketplace.api.openapi import documented
from marketplace.api.validation import check_skill, parse_query, respond
from marketplace.api.views import place_from
from marketplace.choices import Regulator
from marketplace.search import services

PER_PAGE = 20


def _cqc(provider: Any) -> s.CQC:
    """The CQC registration (England): empty for a provider another regulator covers."""
    if provider.regulator != Regulator.CQC:
        return s.CQC(location_id=None, rating=None)
    return s.CQC(location_id=provider.regulator_number, rating=provider.regulator_rating)


def provider_summary(provider: Any, distance_km: float | None = None) -> dict[str, Any]:
    council = None
    if provider.care_council_code:
        try:
            found = geo.care_council(provider.care_council_code)
            council = s.CareCouncil(code=found.code, name=found.name)
        except KeyError:
            council = s.CareCouncil(code=provider.care_council_code, name=None)
    return {
        "id": provider.id,
        "ref": provider.ref,
        "name": provider.name,
        "legal_form": provider.legal_form,
        "legal_form_label": provider.legal_form_label,
        "district": provider.district,
        "care_council": council,
        "service_radius_km": provider.service_radius_km,
        "service_districts": list(provider.service_districts or []),
        "skills": list(provider.skills or []),
        "languages": list(provider.languages or []),
        "cqc": _cqc(provider),
        "quality_assured_since": provider.approved_at.date() if provider.approved_at else None,
        "hourly_rate_pence": provider.hourly_rate_pence,
        "distance_km": services.shown_distance_km(distance_km),
        "url": links.public_url("search.provider", provider_id=provider.id),
    }


def carer_summary(carer: Any, place: geo.PostcodeLocation | None) -> s.CarerSummary:
    """The only carer fields the API shows: never a full postcode, and a distance from
    the carer's public point rounded to the nearest 0.5 km."""
    distance = None if place is None else services.public_distance_km(place, carer)
    return s.CarerSummary(
        carer_id=carer.id,
        ref=carer.ref,
        display_name=carer.display_name,
        district=carer.district,
        distance_km=services.shown_distance_km(distance),
    )


@bp.get("/providers")
@documented(
    "get",
    "/providers",
    operation_id="providers",
    summary="Quality-assured providers near a place, nearest first",
    query_model=s.ProvidersQuery,
    responses={
        200: ("A page of providers.", s.ProviderPage),
        400: ("A parameter holds a control character.", s.Error),
        404: ("No such postcode.", s.Error),
        422: ("A malformed postcode, radius, page or an unknown skill.", s.Error),
    },
)
def providers_list():
    query = parse_query(s.ProvidersQuery)
    place = place_from(query.postcode)
    check_skill(query.skill)
    radius = s.DEFAULT_API_RADIUS_KM if query.radius_km is None else query.radius_km
    q = (query.q or "").strip()[:100] or None
    hits = services.providers_near(
        place, radius_km=radius if place else None, skill=query.skill, q=q
    )
    chunk = services.paginate(hits, query.page, PER_PAGE, clamp=False)
    next_url = None
    if chunk.has_next:
        args = {**request.args.to_dict(), "page": str(query.page + 1)}
        next_url = links.public_url("api.providers_list", **args)
    return respond(
        s.ProviderPage(
            results=[
                s.ProviderSummary(**provider_summary(h.provider, h.distance_km))
                for h in chunk.items
            ],
            page=query.page,
            per_page=PER_PAGE,
            total=chunk.total,
            next=next_url,
        )
    )


@bp.get("/providers/<int:provider_id>")
@documented(
    "get",
    "/providers/{provider_id}",
    operation_id="provider",
    summary="One quality-assured provider, its teams and listed carers",
    path_model=s.ProviderPath,
    query_model=s.ProviderQuery,
    responses={
        200: ("The provider.", s.ProviderDetail),
        400: ("A parameter holds a control character.", s.Error),
        404: ("No quality-assured provider with that id, or no such postcode.", s.Error),
        422: ("A malformed postcode.", s.Error),
    },
)
def provider_detail(provider_id: int):
    query = parse_query(s.ProviderQuery)
    provider = services.public_provider(provider_id) if provider_id <= s.MAX_ID else None
    if provider is None:
        raise APIError(404, "not_found", "No quality-assured provider has that id.")
    place = place_from(query.postcode)
    distance = None if place is None else services.public_distance_km(place, provider)
    return respond(
        s.ProviderDetail(
            **provider_summary(provider, distance),
            principles=provider.principles,
            members=list(provider.members or []),
            description=provider.description,
            contact=s.Contact(
                email=provider.contact_email,
                phone=provider.contact_phone,
                website=provider.website,
            ),
            teams=[
                s.TeamSummary(
                    id=team.id,
                    ref=team.ref,
                    name=team.name,
                    patch=list(team.patch or []),
                    url=links.public_url("search.team", team_id=team.id),
                )
                for team in provider.teams
            ],
            carers=[carer_summary(c, place) for c in services.listed_carers(provider.id)],
        )
    )
