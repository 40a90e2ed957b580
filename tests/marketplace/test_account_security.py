"""Account security (issue 9, findings 4 to 6): redirects, links in email, trusted hosts,
registration that does not reveal accounts, the password policy, deletion, rate limits."""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from carers_teams_helpers import build_world
from factories import PASSWORD

from marketplace import create_app
from marketplace.config import Config, TestConfig
from marketplace.extensions import db
from marketplace.links import public_url, safe_redirect_target
from marketplace.models import User


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
        RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/3"
        # Flask-Limiter keeps one `enabled` flag for every app in the process: left on,
        # it would rate-limit the rest of the suite. Limits have their own tests below.
        RATELIMIT_ENABLED = False
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


# --- finding 6: registration does not reveal accounts; passwords; deletion -------------


def _register(client, email, password="a long enough password", name="Sam Jones"):
    return client.post(
        "/register",
        data={
            "display_name": name,
            "email": email,
            "password": password,
            "confirm": password,
            "account_type": "person",
        },
    )


def _page_shape(response, email):
    """What an onlooker sees, with the address they typed taken out."""
    cookies = sorted(c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie"))
    return response.status_code, cookies, response.get_data(as_text=True).replace(email, "EMAIL")


def test_registration_answers_the_same_whether_or_not_the_email_has_an_account(app, client, make):
    owner = make.user(email="taken@example.org", display_name="Taken Owner")
    hash_before = owner.password_hash
    outbox(app).clear()
    new = _register(app.test_client(), "fresh@example.org")
    taken = _register(app.test_client(), "taken@example.org")
    assert new.status_code == taken.status_code == 200
    assert _page_shape(new, "fresh@example.org") == _page_shape(taken, "taken@example.org")
    # Neither is logged in.
    assert "Log out" not in new.get_data(as_text=True)
    # The owner is told by email instead; their account is untouched.
    to_owner = [m for m in outbox(app) if m.to == ["taken@example.org"]]
    assert [m.subject for m in to_owner] == ["Someone tried to register with your email address"]
    assert "reset your password" in to_owner[0].body.lower()
    db.session.refresh(owner)
    assert owner.password_hash == hash_before and owner.display_name == "Taken Owner"
    to_new = [m for m in outbox(app) if m.to == ["fresh@example.org"]]
    assert [m.subject for m in to_new] == ["Confirm your email address for CoopCare"]


def test_registration_hashes_one_password_either_way(app, make, monkeypatch):
    """Both answers cost one Argon2 hash, so their timing does not tell them apart."""
    from marketplace.auth import services

    make.user(email="taken@example.org")
    calls = []
    real = services.hash_password
    monkeypatch.setattr(services, "hash_password", lambda p: calls.append(p) or real(p))
    _register(app.test_client(), "taken@example.org")
    assert len(calls) == 1
    calls.clear()
    _register(app.test_client(), "fresh@example.org")
    assert len(calls) == 1


def test_an_unconfirmed_account_cannot_log_in_and_the_right_password_resends_the_link(app, client):
    _register(client, "sam@example.org", password="a long enough password")
    outbox(app).clear()
    right = client.post(
        "/login", data={"email": "sam@example.org", "password": "a long enough password"}
    )
    wrong = client.post("/login", data={"email": "sam@example.org", "password": "not it at all"})
    assert right.status_code == wrong.status_code == 200
    assert right.get_data(as_text=True) == wrong.get_data(as_text=True)
    assert client.get("/account").status_code == 302
    assert [m.subject for m in outbox(app)] == ["Confirm your email address for CoopCare"]


def test_someone_squatting_an_address_loses_it_to_the_owner_resetting(app, client):
    from marketplace.auth import services

    _register(client, "victim@example.org", password="the squatters password")
    user = db.session.scalar(sa.select(User).where(User.email == "victim@example.org"))
    token = services.make_reset_token(user)
    client.post(
        f"/reset-password/{token}",
        data={"password": "the owners own password", "confirm": "the owners own password"},
    )
    assert services.authenticate("victim@example.org", "the owners own password") is not None
    assert services.authenticate("victim@example.org", "the squatters password") is None


def test_a_bad_or_old_confirmation_link_is_a_clear_400(app, client, make):
    assert client.get("/register/confirm/not-a-token").status_code == 400
    user = make.user(email="late@example.org", email_confirmed_at=None)
    from marketplace.auth import services

    with app.test_request_context():
        token = services.make_confirmation_token(user)
    app.config["EMAIL_CONFIRMATION_MAX_AGE"] = -1
    try:
        response = client.get(f"/register/confirm/{token}")
    finally:
        app.config["EMAIL_CONFIRMATION_MAX_AGE"] = 3 * 86400
    assert response.status_code == 400 and "This link does not work" in response.text
    assert user.email_confirmed_at is None


WEAK_PASSWORDS = [
    ("password123", "at least 12 characters"),
    ("password1234", "too easy to guess: it is a very common password"),
    ("Password1234!", "too easy to guess"),
    ("qwertyuiop123", "too easy to guess"),
    ("aaaaaaaaaaaaaaaa", "too easy to guess"),
]


@pytest.mark.parametrize("password, message", WEAK_PASSWORDS)
def test_register_refuses_weak_passwords_with_a_clear_message(client, password, message):
    response = _register(client, "sam@example.org", password=password)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in body
    assert message in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_register_refuses_a_password_made_of_the_persons_own_details(client):
    body = _register(client, "sam.jones@example.org", password="sam.jones@example.org").text
    assert "must not be your email address or your name" in body


@pytest.mark.parametrize("password, message", WEAK_PASSWORDS)
def test_password_reset_refuses_weak_passwords(client, make, password, message):
    from marketplace.auth import services

    user = make.user()
    before = user.password_hash
    token = services.make_reset_token(user)
    response = client.post(
        f"/reset-password/{token}", data={"password": password, "confirm": password}
    )
    assert response.status_code == 200 and message in response.text
    assert user.password_hash == before


@pytest.mark.parametrize("password, message", WEAK_PASSWORDS)
def test_invitation_acceptance_refuses_weak_passwords(app, make, login, password, message):
    world = build_world(make)
    outbox(app).clear()
    login(world.admin).post(
        "/provider/carers/invite",
        data={"carer": "new", "display_name": "Dee E.", "email": "dee@example.org"},
    )
    path = re.search(r"https?://[^/\s]+(/carer/invitation/\S+)", outbox(app)[0].body).group(1)
    response = app.test_client().post(
        path, data={"display_name": "Dee Evans", "password": password, "confirm": password}
    )
    assert response.status_code == 400 and message in response.text
    assert db.session.scalar(sa.select(User).where(User.email == "dee@example.org")) is None


def test_create_admin_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "boss@example.org", "--password", "password1234"]
    )
    assert result.exit_code != 0 and "too easy to guess" in result.output


def test_account_deletion_asks_for_the_password_again(login, make):
    user = make.user(roles=["person"], email="me@example.org")
    client = login(user)
    page = client.get("/account/delete")
    assert page.status_code == 200 and 'type="password"' in page.text
    for data in ({}, {"confirm": "yes"}, {"password": "not my password"}):
        refused = client.post("/account/delete", data=data)
        assert refused.status_code == 400 and "There is a problem" in refused.text
        assert db.session.scalar(sa.select(User).where(User.email == "me@example.org"))
    wrong = client.post("/account/delete", data={"password": "not my password"})
    assert "The password is not right. Your account has not been deleted." in wrong.text
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 302
    assert db.session.scalar(sa.select(User).where(User.email == "me@example.org")) is None


# --- login limits hold across gunicorn workers -----------------------------------------

# CI's Redis database (.ci/run); each test's keys have a prefix of their own, so xdist
# workers sharing it never count each other's tries.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")

# One "worker": its own process and its own app, as gunicorn forks them.
WORKER = """
import json, sys
from marketplace import create_app
from marketplace.config import TestConfig

class Worker(TestConfig):
    SQLALCHEMY_DATABASE_URI = sys.argv[1]
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = sys.argv[2]
    RATELIMIT_KEY_PREFIX = sys.argv[3]
    LOGIN_RATE_LIMIT = "3 per minute"

client = create_app(Worker).test_client()
data = {"email": "x@example.org", "password": "not the password"}
print(json.dumps([client.post("/login", data=data).status_code for _ in range(int(sys.argv[4]))]))
"""


def _redis_or_skip():
    import os

    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    return connection


def _worker(database_url, storage, prefix, tries):
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", WORKER, database_url, storage, prefix, str(tries)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.own_database
def test_login_limit_is_shared_by_workers_through_redis(database_url):
    import uuid

    connection = _redis_or_skip()
    prefix = f"coopcare-test-{uuid.uuid4().hex}"
    try:
        first = _worker(database_url, REDIS_URL, prefix, 2)
        second = _worker(database_url, REDIS_URL, prefix, 2)
        assert first == [200, 200]
        assert second == [200, 429]  # the third try in all, counted across both workers
    finally:
        for key in connection.scan_iter(f"{prefix}*"):
            connection.delete(key)


@pytest.mark.own_database
def test_with_memory_storage_each_worker_counts_alone(database_url):
    """Why production refuses memory://: two workers allow twice the limit."""
    first = _worker(database_url, "memory://", "x", 3)
    second = _worker(database_url, "memory://", "x", 3)
    assert first == second == [200, 200, 200]


def test_production_refuses_rate_limits_in_worker_memory(tmp_path):
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        _production(tmp_path, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_ENABLED=True)


# --- emailed links carry no personal data ------------------------------------------------


def _readable(token: str) -> bytes:
    """Every piece of the token read as base64, as anyone reading a log could."""
    import base64
    import binascii

    out = b""
    for piece in token.split("."):
        for start in range(4):
            chunk = piece[start:]
            try:
                out += base64.urlsafe_b64decode(chunk + "=" * (-len(chunk) % 4)) + b"|"
            except (binascii.Error, ValueError):
                continue
    return out


def test_the_confirmation_link_carries_no_address(app, client):
    outbox(app).clear()
    _register(client, "sam.private@example.org", password="a long enough password")
    (message,) = outbox(app)
    link = re.search(r"https?://\S+/register/confirm/(\S+)", message.body)
    assert link, message.body
    token = link.group(1)
    assert "@" not in token
    readable = _readable(token)
    assert b"example.org" not in readable and b"sam.private" not in readable
    assert b'"id"' in readable  # the helper does read the payload
    assert client.get(f"/register/confirm/{token}").status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "sam.private@example.org"))
    assert user.email_confirmed_at is not None


def test_a_confirmation_link_for_an_old_address_stops_working(app, client, make):
    from marketplace.auth import services

    user = make.user(email="old@example.org", email_confirmed_at=None)
    with app.test_request_context():
        token = services.make_confirmation_token(user)
    user.email = "new@example.org"
    db.session.commit()
    assert client.get(f"/register/confirm/{token}").status_code == 400
    assert user.email_confirmed_at is None


def test_a_confirmation_link_made_before_digests_no_longer_works(app, client, make):
    # Links sent before this change carried the address itself; they expire in days.
    from itsdangerous import URLSafeTimedSerializer

    user = make.user(email="late@example.org", email_confirmed_at=None)
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="confirm-email")
    token = old.dumps({"id": user.id, "e": user.email})
    assert b"late@example.org" in _readable(token)
    assert client.get(f"/register/confirm/{token}").status_code == 400
    assert user.email_confirmed_at is None


@pytest.mark.parametrize(
    "payload",
    [{"id": 1}, {"id": "1", "d": "x"}, {"id": 1, "d": 5}, [1, 2], "x", {"id": 2**70, "d": "x"}],
)
def test_odd_confirmation_and_reset_payloads_are_refused_not_500(app, client, make, payload):
    from itsdangerous import URLSafeTimedSerializer

    make.user(email="someone@example.org", email_confirmed_at=None)
    for salt, path in (
        ("confirm-email", "/register/confirm/"),
        ("password-reset", "/reset-password/"),
    ):
        token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=salt).dumps(payload)
        response = client.get(path + token)
        assert response.status_code in (200, 400) and "Internal" not in response.text


def test_the_password_reset_link_carries_no_address_nor_piece_of_the_password_hash(
    app, client, make
):
    user = make.user(email="reset.private@example.org")
    outbox(app).clear()
    client.post("/reset-password", data={"email": "reset.private@example.org"})
    (message,) = outbox(app)
    token = re.search(r"https?://\S+/reset-password/(\S+)", message.body).group(1)
    readable = _readable(token)
    assert "@" not in token and b"example.org" not in readable
    assert user.password_hash[-16:].encode() not in readable
    assert user.password_hash[-8:].encode() not in readable
    page = client.get(f"/reset-password/{token}")
    assert page.status_code == 200
