"""What search engines and link previews read: /sitemap.xml, /robots.txt, /favicon.ico,
and the meta description, canonical link, Open Graph tags and JSON-LD on pages."""

from flask import Blueprint

bp = Blueprint("seo", __name__)

from marketplace.seo import views  # noqa: E402,F401
