"""/sitemap.xml, /robots.txt and /favicon.ico."""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Response, current_app, has_request_context, request

from marketplace import links
from marketplace.seo import bp, services


@bp.get("/sitemap.xml")
def sitemap():
    body = services.sitemap_xml(services.sitemap_entries())
    return Response(body, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    return Response(services.robots_txt(), mimetype="text/plain")


@functools.cache
def _favicon(static_folder: str) -> bytes:
    return (Path(static_folder) / "favicon.ico").read_bytes()


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico on every site whatever the page says; 1 KB, kept in memory.
    response = Response(
        _favicon(current_app.static_folder or ""), mimetype="image/vnd.microsoft.icon"
    )
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 24 * 3600
    return response


@bp.app_context_processor
def page_links() -> dict[str, object]:
    """``canonical_url``: this page's address on PUBLIC_BASE_URL (never the Host header),
    without the query string; None on error pages (no route matched) and in emails."""
    if not has_request_context():
        return {}
    canonical = links.absolute(request.path) if request.url_rule is not None else None
    return {
        "canonical_url": canonical,
        "share_image_url": links.absolute("/static/coopcare-share.png"),
    }
