"""Work done once instead of per request (marketplace/web.py) changes no answer."""

from __future__ import annotations

import pytest

from marketplace.extensions import login_manager


def test_the_session_signer_is_made_once_per_secret_key(app):
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    old = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = old + "-rotated"
    try:
        rotated = interface.get_signing_serializer(app)
        assert rotated is not first
        assert rotated.loads(rotated.dumps({"a": 1})) == {"a": 1}
    finally:
        app.config["SECRET_KEY"] = old
    assert interface.get_signing_serializer(app) is not rotated


def test_a_request_without_cookies_is_a_visitor_without_asking_flask_login(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no user to look for, no session to protect")

    monkeypatch.setattr(login_manager, "_session_identifier_generator", refuse)
    monkeypatch.setattr(login_manager, "_user_callback", refuse)
    response = client.post("/api/v1/match", json={"postcode": "LS6 1AA"})
    assert response.status_code == 200
    # The session was still read, so caches keep telling visitors and account holders apart.
    assert "Cookie" in response.headers.get("Vary", "")
    assert "Cache-Control" not in response.headers


def test_a_logged_in_person_is_still_found(login, make):
    person = make.person()
    response = login(person.user).post("/api/v1/match", json={"postcode": "LS6 1AA"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/api/v1/match?x=a%00", {"json": {"postcode": "LS6 1AA"}}),
        ("/api/v1/match", {"data": {"postcode": "LS6\x001AA"}}),
    ],
)
def test_control_characters_are_still_refused(client, path, kwargs):
    response = client.post(path, **kwargs)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_characters"


def test_the_content_security_policy_follows_the_tiles_address(app, client):
    old = app.config.get("MAP_TILES_URL")
    app.config["MAP_TILES_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    try:
        policy = client.get("/api/v1/health").headers["Content-Security-Policy"]
        assert "img-src 'self' data: https://tiles.example.org;" in policy
    finally:
        app.config["MAP_TILES_URL"] = old
    assert (
        "tiles.example.org" not in client.get("/api/v1/health").headers["Content-Security-Policy"]
    )


SECURITY_HEADERS = (
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
    "Content-Security-Policy",
)


def test_an_api_answer_without_cookies_sets_none_and_keeps_every_security_header(client):
    response = client.post("/api/v1/match", json={"postcode": "LS6 1AA"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    for name in SECURITY_HEADERS:
        assert len(response.headers.getlist(name)) == 1, name
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_views_own_security_header_is_kept_and_not_doubled(app):
    from flask import Response

    own = Response(
        "ok",
        headers={"content-security-policy": "default-src 'none'", "X-Frame-Options": "SAMEORIGIN"},
    )
    with app.test_request_context("/"):
        response = app.process_response(own)
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.getlist("Referrer-Policy") == ["strict-origin-when-cross-origin"]


def test_a_session_emptied_by_the_request_still_deletes_its_cookie(app):
    from flask import Response, session

    with app.test_request_context("/"):
        session["shortlist"] = ["carer-1"]
        session.clear()
        response = app.process_response(Response("ok"))
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith(app.config["SESSION_COOKIE_NAME"] + "=;") for c in cookies), cookies
    assert "Cookie" in response.headers["Vary"]


def test_a_session_left_alone_sets_no_cookie(app):
    from flask import Response, session

    with app.test_request_context("/"):
        assert "_user_id" not in session  # read, not changed
        response = app.process_response(Response("ok"))
    assert "Set-Cookie" not in response.headers
    assert "Cookie" in response.headers["Vary"]
