"""Account security (issue 9, findings 4 to 6): redirects, links in email, trusted hosts,
registration that does not reveal accounts, the password policy, deletion, rate limits."""

from __future__ import annotations

import re

import pytest
from carers_teams_helpers import build_world
from factories import PASSWORD

from marketplace import create_app
from marketplace.config import Config, TestConfig
from marketplace.extensions import db
from marketplace.links import public_url, safe_redirect_target


def outbox(app):
    state = app.extensions["mailman"]
    if not hasattr(state, "outbox"):
        state.outbox = []
    return state.outbox


# --- finding 4: open redirect after login ----------------------------------------------

ATTACKS = [
    "/%09/evil.com",  # the browser drops the tab: //evil.com
    "/%0a/x",  # a newline in the Location header was a 500
    "/%0d%0a/evil.com",
    "/%5Cevil.com",  # /\evil.com: browsers read \ as /
    "/\\evil.com",
    "//evil.com",
    "%2F%2Fevil.com",
    "https:evil.com",
    "https://evil.com/",
    "%20//evil.com",
    "/%00/evil.com",
    "javascript:alert(1)",
    "evil.com",
]


@pytest.mark.parametrize("target", ATTACKS)
def test_login_never_redirects_to_another_site(client, make, target):
    make.user(email="kim@example.org")
    response = client.post(
        f"/login?next={target}", data={"email": "kim@example.org", "password": PASSWORD}
    )
    assert response.status_code in {302, 400}  # 400: the control-character guard
    if response.status_code == 302:
        assert response.location == "/account"


@pytest.mark.parametrize(
    "target, expected",
    [("/about", "/about"), ("/search?postcode=LS6+1AA&page=2", "/search?postcode=LS6+1AA&page=2")],
)
def test_login_follows_local_next(client, make, target, expected):
    make.user(email="kim@example.org")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "kim@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302 and response.location == expected


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.com",
        "/\n/x",
        "/\r\n/evil.com",
        "/\\evil.com",
        "//evil.com",
        "\\\\evil.com",
        "https:evil.com",
        "http://evil.com",
        "///evil.com",
        " //evil.com",
        "/\x00/evil.com",
        "/\u0085/evil.com",
        "mailto:x@evil.com",
        "",
        None,
    ],
)
def test_safe_redirect_target_refuses_anything_not_a_local_path(target):
    assert safe_redirect_target(target, "/fallback") == "/fallback"


def test_safe_redirect_target_keeps_local_paths():
    assert safe_redirect_target("/carer/invitation/abc.def", "/x") == "/carer/invitation/abc.def"
    assert safe_redirect_target("/providers/3#team", "/x") == "/providers/3#team"


# --- finding 5: links in email come from PUBLIC_BASE_URL, not the Host header -------------


def test_password_reset_link_ignores_the_host_header(app, client, make):
    make.user(email="reset@example.org")
    outbox(app).clear()
    response = client.post(
        "/reset-password", data={"email": "reset@example.org"}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 200
    (message,) = outbox(app)
    links = re.findall(r"https?://\S+", message.body)
    assert links and all(
        link.startswith("https://coopcare.example/reset-password/") for link in links
    )
    assert "evil.example" not in message.body


def test_carer_invitation_link_ignores_the_host_header(app, make):
    world = build_world(make)
    outbox(app).clear()
    attacker = app.test_client()  # its session cookie belongs to the forged host name
    with attacker.session_transaction(base_url="http://evil.example") as session:
        session["_user_id"] = str(world.admin.id)
        session["_fresh"] = True
    response = attacker.post(
        "/provider/carers/invite",
        base_url="http://evil.example",
        data={"carer": "new", "display_name": "Dee E.", "email": "dee@example.org"},
    )
    assert response.status_code == 302
    (message,) = outbox(app)
    assert "evil.example" not in message.body
    assert re.search(r"https://coopcare\.example/carer/invitation/\S+", message.body)


def test_notification_link_ignores_the_host_header(app, make):
    from marketplace import notifications

    user = make.user(roles=["provider_admin"], email="admin@example.org")
    outbox(app).clear()
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        notifications.notify([user], "Hello", "/provider", subject="Test")
        db.session.commit()
    message = [m for m in outbox(app) if m.to == ["admin@example.org"]][-1]
    assert "https://coopcare.example/provider" in message.body
    assert "evil.example" not in message.body


def test_public_url_uses_the_configured_address_even_under_a_forwarded_prefix(app):
    with app.test_request_context(
        "/", headers={"Host": "evil.example"}, environ_base={"SCRIPT_NAME": "/evil"}
    ):
        assert public_url("auth.login", next="/about") == (
            "https://coopcare.example/login?next=/about"
        )


def _production(tmp_path, **settings):
    class Production(Config):
        PRODUCTION = True
        SECRET_KEY = "a-long-random-value-from-the-environment"
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/x.sqlite3"
        PUBLIC_BASE_URL = "https://coopcare.example.org"
        MAIL_BACKEND = "locmem"

    for name, value in settings.items():
        setattr(Production, name, value)
    return create_app(Production)


def test_production_answers_only_its_own_host_name(tmp_path):
    app = _production(tmp_path)
    assert app.config["TRUSTED_HOSTS"] == ["coopcare.example.org"]
    client = app.test_client()
    assert client.get("/about", headers={"Host": "coopcare.example.org"}).status_code == 200
    refused = client.post(
        "/reset-password", data={"email": "a@example.org"}, headers={"Host": "evil.example"}
    )
    assert refused.status_code == 400


def test_production_trusted_hosts_from_the_environment(tmp_path):
    app = _production(tmp_path, TRUSTED_HOSTS=["coopcare.example.org", "internal.lan"])
    client = app.test_client()
    assert client.get("/about", headers={"Host": "internal.lan:8000"}).status_code == 200
    assert client.get("/about", headers={"Host": "evil.example"}).status_code == 400


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://coopcare.example.org", ""])
def test_production_refuses_to_start_without_a_public_https_address(tmp_path, url):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        _production(tmp_path, PUBLIC_BASE_URL=url)


def test_development_answers_any_host(client):
    assert TestConfig.TRUSTED_HOSTS is None
    assert client.get("/about", headers={"Host": "laptop.local"}).status_code == 200
