"""The matching index built from the database, and its per-worker cache."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from marketplace import create_app, geo
from marketplace.catalog import build_catalog, cache_builds, get_catalog
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.models import Carer, CarerCheck, Provider, TeamMember, utcnow


def test_index_holds_only_listed_located_carers(make):
    provider = make.provider()
    listed = make.carer(provider, display_name="Listed")
    make.carer(provider, display_name="Paused", active=False)
    make.carer(provider, display_name="Nowhere", lat=None, lon=None)
    make.carer(make.provider(qa_status="submitted"), display_name="Unapproved")
    team = make.team(provider)
    db.session.add(TeamMember(team_id=team.id, carer_id=listed.id, seat=1))
    db.session.flush()

    catalog = build_catalog()
    assert set(catalog.carers) == {listed.id}
    assert catalog.size == 1
    card = catalog.carers[listed.id]
    assert card.display_name == "Listed" and card.district == "LS6"
    assert card.provider_name == provider.name and card.team_id == team.id
    candidate = catalog.index.candidates[catalog.index.position_of[listed.id]]
    assert candidate.skills == frozenset({"personal_care", "cooking"})
    assert candidate.availability == frozenset({"mon-am", "tue-pm"})


def test_catalog_is_built_once_per_request(app, make):
    make.carer()
    with app.test_request_context("/"):
        first = get_catalog()
        assert get_catalog() is first


@pytest.fixture
def shared_database(tmp_path, monkeypatch):
    """Two apps (two 'workers') on one file database, outside the test transaction."""
    url = "sqlite:///" + str(tmp_path / "shared.sqlite3")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        CATALOG_CACHE = True

    # The suite swaps db.session for a rolled-back one; these apps need a real session.
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    first, second = create_app(Config), create_app(Config)
    with first.app_context():
        upgrade()
        db.session.remove()
    yield first, second
    for app in (first, second):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _add_carer(app, name: str, bump: bool = True) -> None:
    """Add a listed carer. Through the session the catalog version is bumped by itself;
    ``bump=False`` writes on a bare connection, as a process outside the app would."""
    with app.app_context():
        provider_id = db.session.scalar(sa.select(Provider.id))
        if provider_id is None:
            provider = Provider(
                name="Shared Co-op",
                legal_form="worker_coop",
                qa_status="approved",
                approved_at=utcnow(),
            )
            db.session.add(provider)
            db.session.commit()
            provider_id = provider.id
        carer = {
            "provider_id": provider_id,
            "display_name": name,
            "district": "LS6",
            "lat": 53.82,
            "lon": -1.57,
            "public_lat": geo.public_point("LS6").lat,
            "public_lon": geo.public_point("LS6").lon,
            "skills": ["personal_care"],
            "interests": [],
            "languages": [],
            "travel_radius_km": 8.0,
            "care_certificate": False,
            "active": True,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        checks = [
            {
                "kind": kind,
                "status": "verified",
                "scheme": "dbs" if kind == "criminal_record" else None,
                "level": "enhanced" if kind == "criminal_record" else None,
                "certificate_number": "001234567890" if kind == "criminal_record" else None,
                "issued_on": date(2025, 1, 2) if kind == "criminal_record" else None,
                "update_service": True,
                "verified_at": utcnow(),
                "declared_at": utcnow(),
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
            for kind in ("criminal_record", "right_to_work")
        ]

        def write(execute) -> None:
            carer_id = execute(sa.insert(Carer.__table__).values(carer)).inserted_primary_key[0]
            execute(sa.insert(CarerCheck.__table__), [{**c, "carer_id": carer_id} for c in checks])

        if bump:
            write(db.session.execute)
            db.session.commit()
        else:
            with db.engine.begin() as connection:
                write(connection.execute)
        db.session.remove()


def _names(app) -> set[str]:
    with app.test_request_context("/"):
        names = {card.display_name for card in get_catalog().carers.values()}
    with app.app_context():
        db.session.remove()
    return names


def test_cache_is_invalidated_across_app_instances(shared_database):
    first, second = shared_database
    _add_carer(second, "Ana")
    assert _names(first) == {"Ana"} and cache_builds(first) == 1
    assert _names(first) == {"Ana"} and cache_builds(first) == 1  # cached

    # Another worker changes a row without bumping the version: still cached here.
    _add_carer(second, "Unbumped", bump=False)
    assert _names(first) == {"Ana"} and cache_builds(first) == 1

    # A bump from the other worker makes this one rebuild on its next request.
    _add_carer(second, "Ben")
    assert _names(first) == {"Ana", "Unbumped", "Ben"} and cache_builds(first) == 2
    assert _names(second) == {"Ana", "Unbumped", "Ben"} and cache_builds(second) == 1


def test_search_uses_the_rebuilt_catalog(shared_database):
    first, second = shared_database
    _add_carer(second, "Cara")
    client = first.test_client()
    assert "Cara" in client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
    _add_carer(second, "Dev")
    assert "Dev" in client.get("/search?postcode=LS6+1AA").get_data(as_text=True)
