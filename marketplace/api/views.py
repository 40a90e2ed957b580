from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, jsonify

from marketplace import geo
from marketplace.api import bp
from marketplace.api.errors import APIError
from marketplace.api.openapi import openapi_document
from marketplace.extensions import csrf, db, limiter
from marketplace.vocabulary import vocabulary_listing
from marketplace.web import json_error

csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(bp)


@bp.errorhandler(APIError)
def api_error(error: APIError):
    return json_error(error.status, error.code, error.message, error.fields)


@bp.get("/health")
@limiter.exempt
def health():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/geo/<path:postcode>")
def geo_lookup(postcode: str):
    try:
        place = geo.lookup(postcode)
    except geo.InvalidPostcode as error:
        raise APIError(422, "invalid_postcode", str(error), {"postcode": str(error)}) from error
    except LookupError as error:
        raise APIError(404, "postcode_not_found", str(error)) from error
    return jsonify(
        postcode=place.postcode,
        outcode=place.outcode,
        lat=place.lat,
        lon=place.lon,
        care_council={"code": place.care_council_code, "name": place.care_council_name},
    )


@bp.get("/vocabulary")
def vocabulary():
    return jsonify(vocabulary_listing())


@bp.get("/openapi.json")
@limiter.exempt
def openapi():
    return jsonify(openapi_document())
