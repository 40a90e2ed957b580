"""App-wide web behaviour: user loading, errors, headers, template helpers."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, SecurityError

from marketplace import authz, clock
from marketplace.extensions import db, login_manager
from marketplace.links import safe_redirect_target
from marketplace.models import User
from marketplace.money import format_pence
from marketplace.workflow import MoveError
from matching.wording import km as distance_text

# C0 control characters except tab, line feed and carriage return (which forms send).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def nav_items() -> list[dict[str, str]]:
    """The signed-in user's navigation links: marketplace.authz decides which."""
    from flask import current_app, url_for
    from flask_login import current_user

    entries = authz.nav_entries(current_user, current_app.view_functions)
    return [{"url": url_for(endpoint), "label": label} for endpoint, label in entries]


def choose_provider_page(endpoint: str, heading: str) -> str:
    """The page where someone who manages several providers picks one for ``endpoint``."""
    from flask_login import current_user

    return render_template(
        "carers/choose_provider.html",
        providers=authz.managed_providers(current_user),
        endpoint=endpoint,
        heading=heading,
    )


@functools.lru_cache(maxsize=512)
def _choice_parts(
    field_id: str, name: str, kind: str, choices: tuple[tuple[Any, Any], ...]
) -> tuple[tuple[Any, str, str], ...]:
    """Each option's escaped markup before and after its ``checked``: the same for every
    visitor (the field's id, name and vocabulary), so written once per process."""
    parts = []
    for n, (value, label) in enumerate(choices, start=1):
        input_id = field_id if n == 1 else f"{field_id}-{n}"
        head = Markup(
            '<div class="choice">\n<input class="choice-input" id="{}" name="{}" type="{}"'
            ' value="{}"'
        ).format(input_id, name, kind, value)
        tail = Markup('>\n<label class="choice-label" for="{}">{}</label>\n</div>\n').format(
            input_id, label
        )
        parts.append((value, str(head), str(tail)))
    return tuple(parts)


def choice_inputs(field: Any, kind: str) -> Markup:
    """The radios or checkboxes of ``field`` (macros/forms.html ``choices``), as the
    macro's own loop wrote them, at a fraction of the cost: a search form has eight
    lists of up to forty options."""
    data = field.data
    out = []
    for value, head, tail in _choice_parts(field.id, field.name, kind, tuple(field.choices)):
        out.append(head)
        if data == value if kind == "radio" else bool(data) and value in data:
            out.append(" checked")
        out.append(tail)
    return Markup("".join(out))  # every piece escaped in _choice_parts


# What a visitor's session may hold while their page is still everyone's page: the CSRF
# token (written in per request where a page has one) and Flask-Login's "_fresh" note,
# which every session gets. Anything else (a shortlist, a message waiting, a saved search)
# shows on the page, in the header at least, and makes it the visitor's own.
_SHARED_SESSION_KEYS = frozenset({"csrf_token", "_fresh"})


def sees_shared_page() -> bool:
    """Whether this request's page is the same as every visitor's: nobody logged in and
    nothing of their own in the session. The one rule for pages kept for every visitor
    (the home page, the search page)."""
    return not current_user.is_authenticated and _SHARED_SESSION_KEYS.issuperset(session.keys())


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, fields: dict[str, Any] | None = None):
    """The API's error shape: {"error": {"code", "message", "fields"}}."""
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return body, status


def london_time(value: datetime | None, fmt: str = "%-d %B %Y, %-I:%M%p") -> str:
    """Show a UTC time in UK time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(clock.LONDON).strftime(fmt).replace("AM", "am").replace("PM", "pm")


def _tile_origin() -> str:
    """The origin map tiles come from, for the Content-Security-Policy."""
    from flask import current_app

    return _origin_of(current_app.config.get("MAP_TILES_URL") or "")


@functools.lru_cache(maxsize=8)
def _origin_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@functools.lru_cache(maxsize=8)
def _content_security_policy(tile_origin: str) -> str:
    return (
        "default-src 'self'; img-src 'self' data: " + tile_origin + "; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"
    )


@functools.lru_cache(maxsize=8)
def _security_headers(tile_origin: str) -> tuple[tuple[str, str], ...]:
    """The headers every response carries (unless its view set its own)."""
    return (
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", _content_security_policy(tile_origin)),
    )


# Bodies whose fields Flask reads into request.form (any other body leaves it empty).
_FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signer made once per secret key instead
    of on every request (itsdangerous serializers hold no state of a request)."""

    _signer: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = self._signer
        if kept is None or kept[0] != keys:
            kept = (keys, super().get_signing_serializer(app))
            self._signer = kept
        return kept[1]

    def open_session(self, app: Flask, request: Any) -> Any:
        # No Cookie header at all (an API call, a first visit): an empty session, as
        # Flask's own would be, without parsing cookies that are not there.
        if "HTTP_COOKIE" not in request.environ and self.get_signing_serializer(app):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        # An empty session nobody emptied sets and deletes no cookie (Flask returns at
        # the same point): only 'Vary: Cookie' when it was read, without first reading
        # seven cookie settings for a cookie that is not written.
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        try:
            return db.session.get(User, int(user_id))
        except (TypeError, ValueError):
            return None
        except sa.exc.SQLAlchemyError:  # the database is down: treat as logged out
            db.session.rollback()
            return None

    app.jinja_env.filters["london_time"] = london_time
    app.jinja_env.filters["money"] = format_pence
    app.jinja_env.filters["distance"] = distance_text
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def template_globals() -> dict[str, Any]:
        return {"service_name": "CoopCare", "nav_items": nav_items}

    app.jinja_env.globals["choice_inputs"] = choice_inputs

    @app.before_request
    def refuse_control_characters() -> Any:
        # A NUL or other control character is never real input, and PostgreSQL refuses
        # to store NUL: say so plainly instead of failing later.
        # Every value of a repeated field (?skill=a&skill=b), not only the first.
        # A JSON body leaves request.form empty: not parsed for it.
        # No query string: no arguments to parse.
        sources = [request.args] if request.query_string else []
        if request.mimetype in _FORM_MIMETYPES:
            sources.append(request.form)
        for values in sources:
            for _name, value in values.items(multi=True):
                if _CONTROL_CHARACTERS.search(value):
                    message = (
                        "Something you typed contains a hidden control character. "
                        "Remove it and try again."
                    )
                    if wants_json():
                        return json_error(400, "invalid_characters", message)
                    return render_template("errors/400.html", reason=message), 400
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        # Each header unless the view set its own (as setdefault would), in one pass
        # over the response's headers instead of one per header.
        present = {key.lower() for key, _ in response.headers.items()}
        wanted = _security_headers(_tile_origin())
        missing = [(k, v) for k, v in wanted if k.lower() not in present]
        if missing:
            response.headers.extend(missing)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if wants_json():
            return json_error(400, "csrf", "The form had expired. Please try again.")
        return render_template("errors/400.html", reason=error.description), 400

    @app.errorhandler(MoveError)
    def move_refused(error: MoveError):
        # A workflow move that cannot happen (another person moved it first, or the move
        # is not declared from this status): a plain answer saying what is allowed.
        db.session.rollback()
        codes = {400: "move_not_ready", 403: "move_not_allowed", 409: "illegal_move"}
        if wants_json():
            return json_error(error.status_code, codes[error.status_code], str(error))
        return render_template("errors/409.html", message=str(error)), error.status_code

    @app.errorhandler(authz.ChoosePersonFirst)
    def choose_person_first(error: authz.ChoosePersonFirst):
        # A supporter of several people opened a page about one of them without choosing:
        # ask whom (at /supporting), then come back here (a GET page, or where a form
        # said it would go back to).
        if wants_json():
            return json_error(403, "choose_person", error.description or "")
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        back = safe_redirect_target(back or request.form.get("next"), "")
        flash("You support more than one person. Choose who you are acting for first.")
        target = url_for("supporters.supporting", next=back) if back else None
        return redirect(target or url_for("supporters.supporting"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, SecurityError):
            # A Host header outside TRUSTED_HOSTS: no links can be built for it, so the
            # answer is plain text that names nothing of the forged host.
            return Response(
                "Bad request: this site does not answer to that host name.\n",
                400,
                mimetype="text/plain",
            )
        status = error.code or 500
        # Keep the error's own headers (Allow on 405, Retry-After on 429) but not its type.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if wants_json():
            codes = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}
            body, _ = json_error(status, codes.get(status, "http_error"), error.description or "")
            return body, status, headers
        template = {403: "403", 404: "404", 429: "429", 503: "503"}.get(status, "400")
        return render_template(f"errors/{template}.html", error=error), status, headers

    @app.errorhandler(sa.exc.OperationalError)
    def database_unavailable(error: Exception):
        db.session.rollback()
        app.logger.exception("database unavailable")
        if wants_json():
            return json_error(503, "unavailable", "The service is busy or down. Try again soon.")
        return render_template("errors/503.html"), 503

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("unhandled error")
        db.session.rollback()
        if wants_json():
            return json_error(500, "server_error", "Something went wrong on our side.")
        return render_template("errors/500.html"), 500
