"""GET /api/v1/providers.geojson: every listed provider at its public point."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from marketplace.api import bp
from marketplace.api import schemas as s
from marketplace.api.openapi import documented
from marketplace.api.validation import check_skill, parse_query, respond
from marketplace.models.providers import LEGAL_FORMS
from marketplace.search import national_map

GEOJSON = "application/geo+json"
LegalForm = Literal[tuple(LEGAL_FORMS)]  # type: ignore[valid-type]


class ProvidersGeoJSONQuery(s.BaseModel):
    model_config = ConfigDict(extra="ignore")

    legal_form: Annotated[
        LegalForm | None,
        BeforeValidator(s._blank_is_none),
        s._blank_or({"type": "string", "enum": list(LEGAL_FORMS)}),
    ] = Field(None, description="Only this type of organisation")
    skill: Annotated[
        str | None,
        BeforeValidator(s._blank_is_none),
        s._blank_or({"type": "string", "enum": s._slugs("skills")}),
    ] = Field(None, description="Only providers offering this (vocabulary slug)")


class PointGeometry(s.Response):
    type: Literal["Point"]
    coordinates: Annotated[list[float], Field(min_length=2, max_length=2)] = Field(
        description="[longitude, latitude] of the provider's public point: the centre of "
        "its postcode sector or district, never an address"
    )


class ProviderFeatureProperties(s.Response):
    name: str
    legal_form: LegalForm
    legal_form_label: str
    area: str = Field(description="The postcode sector or district the point stands for")
    care_council: s.CareCouncil | None
    skills: list[str]
    skill_labels: list[str]
    url: str = Field(description="The provider's page")
    open_referral_service_id: str = Field(description="The same service in the Open Referral feed")


class ProviderFeature(s.Response):
    type: Literal["Feature"]
    id: int
    geometry: PointGeometry
    properties: ProviderFeatureProperties


class ProviderFeatureCollection(s.Response):
    type: Literal["FeatureCollection"]
    features: list[ProviderFeature]


@bp.get("/providers.geojson")
@documented(
    "get",
    "/providers.geojson",
    operation_id="providersGeojson",
    summary="Every quality-assured provider as a GeoJSON point (the national map)",
    query_model=ProvidersGeoJSONQuery,
    responses={
        200: ("An RFC 7946 FeatureCollection.", ProviderFeatureCollection, GEOJSON),
        400: ("A parameter holds a control character.", s.Error),
        422: ("An unknown type of organisation or skill.", s.Error),
    },
)
def providers_geojson():
    query = parse_query(ProvidersGeoJSONQuery)
    check_skill(query.skill)
    items = national_map.map_providers(query.legal_form, query.skill)
    body = ProviderFeatureCollection.model_validate(national_map.geojson(items))
    return respond(body, mimetype=GEOJSON)
