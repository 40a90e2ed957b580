import pytest

from marketplace import create_app
from marketplace.config import DEV_SECRET_KEY, Config, TestConfig


def test_production_refuses_the_development_secret_key(tmp_path):
    class Production(Config):
        PRODUCTION = True
        SECRET_KEY = DEV_SECRET_KEY
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/x.sqlite3"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Production)


def test_production_refuses_an_empty_secret_key(tmp_path):
    class Production(Config):
        PRODUCTION = True
        SECRET_KEY = ""
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/x.sqlite3"

    with pytest.raises(RuntimeError):
        create_app(Production)


def test_production_starts_with_a_real_secret_key(tmp_path):
    class Production(Config):
        PRODUCTION = True
        SECRET_KEY = "a-long-random-value-from-the-environment"
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/x.sqlite3"
        PUBLIC_BASE_URL = "https://coopcare.example.org"
        RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/3"
        RATELIMIT_ENABLED = False  # one flag for every app in the process: keep it off

    app = create_app(Production)
    assert app.config["PRODUCTION"] is True


def test_database_url_from_environment_is_normalised(monkeypatch):
    import importlib

    import marketplace.config as config_module

    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/coopcare")
    reloaded = importlib.reload(config_module)
    try:
        assert (
            reloaded.Config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db.example/coopcare"
        )
    finally:
        monkeypatch.delenv("DATABASE_URL")
        importlib.reload(config_module)


def test_test_config_turns_off_csrf_and_limits():
    assert TestConfig.WTF_CSRF_ENABLED is False
    assert TestConfig.TESTING is True


def test_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_error_pages_are_html_with_a_way_home(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert 'href="/"' in response.get_data(as_text=True)


@pytest.mark.own_database
def test_behind_a_proxy_links_use_the_forwarded_scheme_and_host(database_url):
    from flask import url_for

    class BehindProxy(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        PROXY_FIX_HOPS = 1

    app = create_app(BehindProxy)

    @app.get("/_where")
    def where():
        return url_for("pages.about", _external=True)

    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "coopcare.example.org"}
    assert app.test_client().get("/_where", headers=headers).text == (
        "https://coopcare.example.org/about"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/providers/53927675932451244751867112062976",
        "/carers/99999999999",
        "/teams/2147483648",
        "/api/v1/providers/450488262596849565696",
    ],
)
def test_huge_ids_in_urls_are_not_found_not_a_crash(client, url):
    assert client.get(url).status_code == 404
