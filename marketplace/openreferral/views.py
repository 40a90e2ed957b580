"""/api/openreferral/v3/: read-only, public, rate-limited, JSON."""

from __future__ import annotations

import functools
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import abort, current_app, jsonify, request

from marketplace import geo
from marketplace.api.errors import APIError
from marketplace.extensions import csrf, limiter
from marketplace.openreferral import bp
from marketplace.openreferral import services as feed
from marketplace.web import json_error

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "data" / "openreferral-uk" / "schema"
COUNCIL_CODE = re.compile(r"^[ENSW]\d{8}$")

csrf.exempt(bp)
limiter.limit(lambda: current_app.config["OPENREFERRAL_RATE_LIMIT"])(bp)


@bp.errorhandler(APIError)
def api_error(error: APIError):
    return json_error(error.status, error.code, error.message, error.fields)


def _invalid(name: str, message: str) -> APIError:
    return APIError(422, "invalid_request", message, {name: message})


def _whole_number(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "").strip()
    if raw == "":
        return default
    message = f"{name} must be a whole number from {low:,} to {high:,}"
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise _invalid(name, message)
    return int(raw)


def _paging() -> tuple[int, int]:
    page = _whole_number("page", 1, 1, 1_000_000)
    per_page = _whole_number("per_page", feed.DEFAULT_PER_PAGE, 1, feed.MAX_PER_PAGE)
    return page, per_page


def _modified_after() -> datetime | None:
    raw = request.args.get("modified_after", "").strip()
    if not raw:
        return None
    message = "modified_after must be a date or date and time, such as 2026-03-01T09:00:00Z"
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError as error:
        raise _invalid("modified_after", message) from error
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _place() -> geo.PostcodeLocation | None:
    raw = request.args.get("postcode", "").strip()
    if not raw:
        return None
    try:
        return geo.lookup(raw)
    except geo.InvalidPostcode as error:
        raise _invalid("postcode", str(error)) from error
    except LookupError as error:
        raise APIError(404, "postcode_not_found", str(error), {"postcode": str(error)}) from error


def _proximity(place: geo.PostcodeLocation | None) -> float | None:
    raw = request.args.get("proximity", "").strip()
    if not raw:
        return None
    limit = feed.MAX_PROXIMITY_METRES
    message = f"proximity must be a distance in metres from 1 to {limit:,}"
    try:
        value = float(raw)
    except ValueError as error:
        raise _invalid("proximity", message) from error
    if not 1 <= value <= limit:
        raise _invalid("proximity", message)
    if place is None:
        raise _invalid("proximity", "proximity needs a postcode to measure from")
    return value


def _taxonomy_term() -> tuple[str, str] | None:
    raw = request.args.get("taxonomy_term_id", "").strip()
    if not raw:
        return None
    found = feed.find_term(raw.lower())
    if found is None:
        raise _invalid("taxonomy_term_id", "taxonomy_term_id is not one of our taxonomy terms")
    return found


def _taxonomy() -> str | None:
    raw = request.args.get("taxonomy_id", "").strip()
    if not raw:
        return None
    found = feed.find_taxonomy(raw.lower())
    if found is None:
        raise _invalid("taxonomy_id", "taxonomy_id is not one of our taxonomies")
    return found


def _council() -> str | None:
    raw = request.args.get("council", "").strip().upper()
    if not raw:
        return None
    if not COUNCIL_CODE.match(raw):
        raise _invalid("council", "council must be a council's GSS code, such as E08000035")
    try:
        geo.care_council(raw)
    except KeyError as error:
        raise APIError(404, "council_not_found", f"There is no council {raw}.") from error
    return raw


def filters_from_request() -> feed.Filters:
    place = _place()
    search = request.args.get("search", "").strip()
    if len(search) > 200:
        raise _invalid("search", "search must be 200 characters or fewer")
    return feed.Filters(
        search=search or None,
        taxonomy_term=_taxonomy_term(),
        taxonomy=_taxonomy(),
        place=place,
        proximity_m=_proximity(place),
        modified_after=_modified_after(),
        council=_council(),
    )


def _uuid_or_404(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        abort(404)


@functools.cache
def _openapi_document() -> dict[str, Any]:
    with open(SCHEMA_DIR / "openapi.json", encoding="utf-8") as handle:
        return json.load(handle)


@bp.get("/")
def meta():
    return jsonify(
        version=feed.HSDS_VERSION,
        profile=feed.PROFILE_URL,
        openapi_url=feed.public_url("/api/openreferral/v3/openapi.json"),
    )


@bp.get("/openapi.json")
@limiter.exempt
def openapi():
    document = dict(_openapi_document())
    document["servers"] = [{"url": feed.public_url("/api/openreferral/v3")}]
    return jsonify(document)


@bp.get("/services")
def services():
    page, per_page = _paging()
    found = feed.matching(filters_from_request())
    return jsonify(feed.page_of((feed.service_summary(s) for s in found), page, per_page))


@bp.get("/services/<service_id>")
def service(service_id: str):
    listing = feed.find_listing(_uuid_or_404(service_id))
    if listing is None or listing.service_id != service_id.lower():
        abort(404)
    return jsonify(feed.service_full(listing))


@bp.get("/service_at_locations")
def service_at_locations():
    page, per_page = _paging()
    found = feed.matching(filters_from_request())
    items = (feed.service_at_location_list_item(s) for s in found)
    return jsonify(feed.page_of(items, page, per_page))


@bp.get("/service_at_locations/<sal_id>")
def service_at_location(sal_id: str):
    listing = feed.find_listing(_uuid_or_404(sal_id))
    if listing is None or listing.service_at_location_id != sal_id.lower():
        abort(404)
    return jsonify(feed.service_at_location_full(listing))


@bp.get("/taxonomies")
def taxonomies():
    page, per_page = _paging()
    return jsonify(feed.page_of(feed.all_taxonomies(), page, per_page))


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id: str):
    key = feed.find_taxonomy(_uuid_or_404(taxonomy_id))
    if key is None:
        abort(404)
    return jsonify(feed.taxonomy(key))


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    page, per_page = _paging()
    terms = feed.all_terms()
    wanted = _taxonomy()
    if wanted is not None:
        terms = [t for t in terms if t["taxonomy_id"] == feed.taxonomy_id(wanted)]
    return jsonify(feed.page_of(terms, page, per_page))


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str):
    found = feed.find_term(_uuid_or_404(term_id))
    if found is None:
        abort(404)
    return jsonify(feed.taxonomy_term(*found))
