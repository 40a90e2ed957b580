"""App-wide web behaviour: error pages, filters, CSRF, vocabulary helpers."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.web import london_time


def test_money_filter_is_the_one_formatter(app):
    from marketplace.money import format_pence

    assert app.jinja_env.filters["money"] is format_pence


def test_london_time_shows_uk_summer_and_winter_time():
    assert london_time(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "1 July 2026, 1:00pm"
    assert london_time(datetime(2026, 1, 1, 12, 0)) == "1 January 2026, 12:00pm"
    assert london_time(None) == ""


@pytest.fixture
def failing_app(database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        WTF_CSRF_ENABLED = True

    app = create_app(Config)

    @app.get("/_boom")
    def boom():
        raise RuntimeError("bug")

    @app.get("/api/_boom")
    def api_boom():
        raise RuntimeError("bug")

    @app.get("/_db_down")
    def db_down():
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    @app.get("/api/_db_down")
    def api_db_down():
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    return app


@pytest.mark.own_database
def test_unexpected_error_gives_the_500_page(failing_app):
    response = failing_app.test_client().get("/_boom")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)


@pytest.mark.own_database
def test_unexpected_api_error_is_json(failing_app):
    response = failing_app.test_client().get("/api/_boom")
    assert response.status_code == 500 and response.json["error"]["code"] == "server_error"


@pytest.mark.own_database
def test_database_down_gives_503(failing_app):
    client = failing_app.test_client()
    page = client.get("/_db_down")
    assert page.status_code == 503 and "unavailable" in page.get_data(as_text=True)
    api = client.get("/api/_db_down")
    assert api.status_code == 503 and api.json["error"]["code"] == "unavailable"


@pytest.mark.own_database
def test_missing_csrf_token_is_a_clear_400(failing_app):
    response = failing_app.test_client().post("/login", data={"email": "a@b.org", "password": "x"})
    assert response.status_code == 400
    assert "Sorry, we could not do that" in response.get_data(as_text=True)


def test_vocabulary_helpers(app):
    from marketplace import vocabulary

    skills = dict(vocabulary.choices("skill"))
    assert skills["personal_care"]
    assert vocabulary.label("skill", "peg_feeding") == "PEG feeding"
    assert vocabulary.label("interest", "not_a_thing") == "not a thing"
    assert vocabulary.sync_vocabulary() == 0  # already in step with the defaults


def test_vocabulary_listing_falls_back_to_defaults_when_table_is_empty(app):
    from marketplace import vocabulary
    from marketplace.models import VocabularyTerm

    db.session.execute(sa.delete(VocabularyTerm))
    listing = vocabulary.vocabulary_listing()
    assert any(t["slug"] == "gardening" for t in listing["interests"])
    assert vocabulary.sync_vocabulary() > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VocabularyTerm)) > 0


def test_vocabulary_sync_updates_changed_labels(app):
    from marketplace import vocabulary
    from marketplace.models import VocabularyTerm

    row = db.session.scalar(sa.select(VocabularyTerm).where(VocabularyTerm.slug == "personal_care"))
    row.label = "Old label"
    db.session.flush()
    assert vocabulary.sync_vocabulary() == 1
    assert row.label != "Old label"


def test_unknown_user_id_in_session_is_logged_out(client):
    with client.session_transaction() as session:
        session["_user_id"] = "not-a-number"
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("field", ["display_name", "email", "password"])
def test_control_characters_in_a_form_are_refused_plainly_and_save_nothing(client, field):
    from marketplace.models import User

    data = {
        "display_name": "Sam",
        "email": "sam@example.org",
        "password": "a long enough password",
        "confirm": "a long enough password",
        "account_type": "person",
    }
    data[field] = data[field][:2] + "\x00" + data[field][2:]
    response = client.post("/register", data=data)
    assert response.status_code == 400
    assert "hidden control character" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_control_characters_in_the_api_are_a_json_400(client):
    response = client.get("/api/v1/providers?q=care%00")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_characters"


def test_tabs_and_new_lines_are_fine(client):
    assert client.get("/search?postcode=LS6%091AA").status_code == 200


@pytest.mark.parametrize("field", ["radius_km", "page"])
def test_a_huge_number_in_the_search_is_not_a_500(client, field):
    response = client.get(f"/search?postcode=LS6+1AA&{field}={'9' * 400}")
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("where", ["args", "form"])
def test_control_characters_in_any_value_of_a_repeated_field_are_refused(client, where):
    # The first value is clean; a later one of the same name hides a NUL.
    pairs = [("postcode", "LS6 1AA"), ("skill", "personal_care"), ("skill", "cook\x00ing")]
    if where == "args":
        response = client.get("/search", query_string=pairs)
    else:
        response = client.post("/shortlist/add", data=MultiDict(pairs))
    assert response.status_code == 400
    assert "hidden control character" in response.get_data(as_text=True)
    clean = client.get("/search", query_string=pairs[:2])
    assert "hidden control character" not in clean.get_data(as_text=True)
