from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, jsonify

from marketplace import geo
from marketplace.api import bp
from marketplace.api import schemas as s
from marketplace.api.errors import APIError
from marketplace.api.openapi import documented, openapi_document
from marketplace.api.validation import respond
from marketplace.extensions import csrf, db, limiter
from marketplace.vocabulary import vocabulary_listing
from marketplace.web import json_error

csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(bp)


@bp.errorhandler(APIError)
def api_error(error: APIError):
    return json_error(error.status, error.code, error.message, error.fields)


def place_from(postcode: str | None) -> geo.PostcodeLocation | None:
    """The place for a postcode: 422 malformed, 404 unknown, ``None`` when not given."""
    if postcode is None:
        return None
    try:
        return geo.lookup(postcode)
    except geo.InvalidPostcode as error:
        raise APIError(422, "invalid_postcode", str(error), {"postcode": str(error)}) from error
    except LookupError as error:
        raise APIError(404, "postcode_not_found", str(error)) from error


@bp.get("/health")
@limiter.exempt
@documented(
    "get",
    "/health",
    operation_id="health",
    summary="Is the service up?",
    rate_limited=False,
    responses={
        200: ("The service and its database answer.", s.Health),
        503: ("The database does not answer.", s.HealthUnavailable),
    },
)
def health():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return respond(s.HealthUnavailable(status="unavailable", database="unreachable"), 503)
    return respond(s.Health(status="ok", database="ok"))


@bp.get("/geo/<path:postcode>")
@documented(
    "get",
    "/geo/{postcode}",
    operation_id="geo",
    summary="Where a UK postcode or postcode district is, and its care council",
    path_model=s.GeoPath,
    responses={
        200: ("The place.", s.Place),
        404: ("No such postcode.", s.Error),
        422: ("Not a UK postcode.", s.Error),
    },
)
def geo_lookup(postcode: str):
    place = place_from(postcode)
    assert place is not None
    return respond(
        s.Place(
            postcode=place.postcode,
            outcode=place.outcode,
            lat=place.lat,
            lon=place.lon,
            care_council=s.CareCouncil(code=place.care_council_code, name=place.care_council_name),
        )
    )


@bp.get("/vocabulary")
@documented(
    "get",
    "/vocabulary",
    operation_id="vocabulary",
    summary="Skills, interests and languages (slugs and labels)",
    responses={200: ("The vocabularies.", s.Vocabulary)},
)
def vocabulary():
    return respond(s.Vocabulary.model_validate(vocabulary_listing()))


@bp.get("/openapi.json")
@limiter.exempt
def openapi():
    return jsonify(openapi_document())
