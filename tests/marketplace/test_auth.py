import re

import pytest
import sqlalchemy as sa
from factories import PASSWORD

from marketplace import create_app
from marketplace.auth import services
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.models import AuditLog, Person, User


def outbox(app):
    state = app.extensions["mailman"]
    if not hasattr(state, "outbox"):
        state.outbox = []
    return state.outbox


def register(client, **overrides):
    data = {
        "display_name": "Sam Jones",
        "email": "sam@example.org",
        "password": "a long enough password",
        "confirm": "a long enough password",
        "account_type": "person",
    }
    data.update(overrides)
    return client.post("/register", data=data)


def confirmation_link(app, email):
    message = [m for m in outbox(app) if m.to == [email]][-1]
    link = re.search(r"https://coopcare\.example(/register/confirm/\S+)", message.body)
    assert link, message.body
    return link.group(1)


def test_register_creates_person_and_logs_in_once_the_email_is_confirmed(app, client):
    outbox(app).clear()
    response = register(client)
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    user = db.session.scalar(sa.select(User).where(User.email == "sam@example.org"))
    assert user.roles == {"person"} and user.email_confirmed_at is None
    assert db.session.scalar(sa.select(Person).where(Person.user_id == user.id))
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/account").status_code == 302  # not logged in yet
    link = confirmation_link(app, "sam@example.org")
    response = client.get(link)
    assert response.status_code == 302 and response.location == "/account"
    assert client.get("/account").status_code == 200
    assert user.email_confirmed_at is not None
    # The link does not log anyone in a second time.
    again = app.test_client().get(link)
    assert again.status_code == 302 and again.location == "/login"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"email": "not-an-email"}, "Enter an email address in the right format"),
        ({"password": "short", "confirm": "short"}, "at least 12 characters"),
        ({"password": "password1234", "confirm": "password1234"}, "too easy to guess"),
        ({"confirm": "something else entirely"}, "The passwords do not match"),
        ({"display_name": ""}, "Enter your name"),
        ({"account_type": "admin"}, "Not a valid choice"),
        (
            {
                "email": "same@example.org",
                "password": "same@example.org",
                "confirm": "same@example.org",
            },
            "must not be your email address or your name",
        ),
    ],
)
def test_register_bad_input_shows_error_summary_and_saves_nothing(client, overrides, message):
    response = register(client, **overrides)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in body and message in body
    assert body.count('class="error-summary"') == 1
    assert "<title>Error:" in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_register_with_taken_email_says_nothing_on_the_page(app, client, make):
    make.user(email="sam@example.org")
    outbox(app).clear()
    response = register(client, email="SAM@example.org")
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    (message,) = outbox(app)
    assert message.subject == "Someone tried to register with your email address"
    assert "https://coopcare.example/reset-password" in message.body


def test_strangers_cannot_flood_an_inbox_through_registration_or_reset(app, client, make):
    """Many senders (or one rotating its IP) can make us mail one address only a few times."""
    make.user(email="owner@example.org")
    outbox(app).clear()
    for _ in range(4):
        response = register(client, email="owner@example.org")
        assert "Check your email" in response.get_data(as_text=True)
    assert [m.subject for m in outbox(app)] == ["Someone tried to register with your email address"]
    outbox(app).clear()
    for _ in range(6):
        response = client.post("/reset-password", data={"email": "owner@example.org"})
        assert "Check your email" in response.get_data(as_text=True)
    assert len(outbox(app)) == 3
    # Every attempt is still on the record, mailed or not.
    attempts = db.session.scalars(
        sa.select(AuditLog.detail).where(AuditLog.action == "user.password_reset_requested")
    ).all()
    assert [a["mailed"] for a in attempts] == [True] * 3 + [False] * 3


def test_self_registration_cannot_make_a_reviewer(client):
    register(client, account_type="reviewer")
    assert db.session.scalar(sa.select(User).where(User.email == "sam@example.org")) is None


def test_login_and_logout(client, make):
    make.user(email="kim@example.org")
    response = client.post("/login", data={"email": "KIM@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/account")
    assert client.get("/account").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize(
    "email, password", [("kim@example.org", "wrong password!"), ("nobody@example.org", PASSWORD)]
)
def test_login_failure_says_so_without_saying_which(client, make, email, password):
    make.user(email="kim@example.org")
    body = client.post("/login", data={"email": email, "password": password}).get_data(as_text=True)
    assert "The email address or password is not right" in body
    assert client.get("/account").status_code == 302


def test_login_empty_form(client):
    body = client.post("/login", data={}).get_data(as_text=True)
    assert "Enter your email address" in body and "Enter your password" in body


def test_deactivated_account_cannot_log_in(client, make):
    make.user(email="gone@example.org", is_active_account=False)
    client.post("/login", data={"email": "gone@example.org", "password": PASSWORD})
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize(
    "target, expected",
    [("/about", "/about"), ("https://evil.example/", "/account"), ("//evil.example/", "/account")],
)
def test_login_only_follows_local_next(client, make, target, expected):
    make.user(email="kim@example.org")
    response = client.post(
        f"/login?next={target}", data={"email": "kim@example.org", "password": PASSWORD}
    )
    assert response.location.endswith(expected)


def test_password_reset_round_trip(app, client, make):
    user = make.user(email="reset@example.org")
    outbox(app).clear()
    response = client.post("/reset-password", data={"email": "reset@example.org"})
    assert "Check your email" in response.get_data(as_text=True)
    assert len(outbox(app)) == 1
    link = re.search(r"https?://\S+", outbox(app)[0].body).group(0)
    assert link.startswith("https://coopcare.example/reset-password/")
    path = link.removeprefix("https://coopcare.example")
    response = client.post(
        path, data={"password": "my new password 1", "confirm": "my new password 1"}
    )
    assert response.status_code == 302
    assert services.authenticate("reset@example.org", "my new password 1") is not None
    # The token works once only.
    assert client.get(path).status_code == 400
    assert db.session.scalar(
        sa.select(AuditLog).where(
            AuditLog.action == "user.password_changed", AuditLog.target_id == user.id
        )
    )


def test_password_reset_for_unknown_email_sends_nothing_but_looks_the_same(app, client):
    outbox(app).clear()
    response = client.post("/reset-password", data={"email": "nobody@example.org"})
    assert "Check your email" in response.get_data(as_text=True)
    assert outbox(app) == []


def test_password_reset_bad_token(client):
    response = client.get("/reset-password/not-a-token")
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)


def test_password_reset_mismatch(client, make):
    user = make.user()
    token = services.make_reset_token(user)
    body = client.post(
        f"/reset-password/{token}", data={"password": "a new long password", "confirm": "other"}
    ).get_data(as_text=True)
    assert "The passwords do not match" in body


def test_account_export_and_delete(login, make):
    user = make.user(roles=["person"], email="me@example.org")
    client = login(user)
    export = client.get("/account/export")
    assert export.json["account"]["email"] == "me@example.org"
    assert export.json["person"]["postcode"] == "LS6 1AA"
    assert export.headers["Cache-Control"] == "no-store"  # their data: no cache keeps it
    refused = client.post("/account/delete", data={})
    assert refused.status_code == 400
    assert "Enter your password to delete your account" in refused.get_data(as_text=True)
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 302
    assert db.session.scalar(sa.select(User).where(User.email == "me@example.org")) is None


def test_roles_required_decorator(app, make):
    from flask_login import login_user
    from werkzeug.exceptions import Forbidden

    from marketplace.authz import roles_required

    @roles_required("reviewer")
    def secret():
        return "ok"

    with app.test_request_context("/secret"):
        assert secret().status_code == 302  # anonymous: sent to log in
    for roles, allowed in [(["person"], False), (["reviewer"], True), (["admin"], True)]:
        with app.test_request_context("/secret"):
            login_user(make.user(roles=roles))
            if allowed:
                assert secret() == "ok"
            else:
                with pytest.raises(Forbidden):
                    secret()


def test_login_is_rate_limited(database_url):
    class Limited(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        RATELIMIT_ENABLED = True
        LOGIN_RATE_LIMIT = "3 per minute"

    from marketplace.extensions import limiter

    app = create_app(Limited)
    try:
        client = app.test_client()
        statuses = [
            client.post("/login", data={"email": "x@example.org", "password": "nope"}).status_code
            for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        assert "Too many tries" in client.post("/login", data={}).get_data(as_text=True)
        assert client.get("/login").status_code == 200  # reading the form is not limited
    finally:
        # Flask-Limiter keeps one `enabled` flag for every app in the process.
        limiter.enabled = False


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create-admin",
            "boss@example.org",
            "--name",
            "Boss",
            "--password",
            "a good long password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "boss@example.org"))
    assert user.roles == {"admin"}
    again = runner.invoke(
        args=["users", "create-admin", "boss@example.org", "--password", "a good long password"]
    )
    assert again.exit_code != 0 and "already uses" in again.output
    short = runner.invoke(args=["users", "create-admin", "b2@example.org", "--password", "short"])
    assert short.exit_code != 0
