"""Migrations build the schema from empty; the demo seed is deterministic."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.models import Base


def _fresh_app(url: str):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(Config)


def _sqlite_url(tmp_path, name: str) -> str:
    return f"sqlite:///{tmp_path / name}"


@pytest.mark.own_database
def test_migrations_upgrade_from_empty_match_the_models_and_downgrade(tmp_path):
    app = _fresh_app(_sqlite_url(tmp_path, "mig.sqlite3"))
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_the_suite_database_was_built_by_migrations(app):
    # The session app ran `upgrade()` on SQLite or, in CI, PostgreSQL.
    with app.app_context():
        version = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version


def _digest(url: str, seed: int) -> str:
    from marketplace.demo import seed_demo
    from marketplace.models import Carer, Provider, SavedSearch, ShortlistEntry, Team, TeamMember

    app = _fresh_app(url)
    with app.app_context():
        upgrade()
        seed_demo(carers=60, seed=seed)
        db.session.commit()
        rows = []
        for model, order in (
            (Provider, Provider.id),
            (Team, Team.id),
            (Carer, Carer.id),
            (TeamMember, TeamMember.id),
            (ShortlistEntry, ShortlistEntry.id),
            (SavedSearch, SavedSearch.id),
        ):
            for obj in db.session.scalars(sa.select(model).order_by(order)):
                data = {
                    c.key: getattr(obj, c.key)
                    for c in sa.inspect(model).columns
                    if c.key not in {"created_at", "updated_at", "approved_at"}
                }
                rows.append(json.dumps(data, sort_keys=True, default=str))
        db.session.remove()
        db.engine.dispose()
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


@pytest.mark.slow
@pytest.mark.own_database
def test_demo_seed_is_deterministic(tmp_path):
    first = _digest(_sqlite_url(tmp_path, "a.sqlite3"), seed=7)
    second = _digest(_sqlite_url(tmp_path, "b.sqlite3"), seed=7)
    other = _digest(_sqlite_url(tmp_path, "c.sqlite3"), seed=8)
    assert first == second
    assert first != other


@pytest.mark.slow
@pytest.mark.own_database
def test_seed_demo_command_fills_real_places_and_refuses_a_full_database(tmp_path):
    app = _fresh_app(_sqlite_url(tmp_path, "cli.sqlite3"))
    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--carers", "40"])
    assert result.exit_code == 0, result.output
    assert "person@coopcare.example" in result.output and "coopcare-demo-1" in result.output
    from marketplace.models import Carer, Person, Provider

    with app.app_context():
        councils = set(db.session.scalars(sa.select(Provider.care_council_code)))
        # Leeds, Doncaster, Bristol, Manchester, Cardiff, Glasgow and London boroughs.
        assert {
            "E08000035",
            "E08000017",
            "E06000023",
            "E08000003",
            "W06000015",
            "S12000049",
        } <= councils
        statuses = set(db.session.scalars(sa.select(Provider.qa_status)))
        assert "approved" in statuses and statuses - {"approved"}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Carer)) == 40
        person = db.session.scalar(sa.select(Person))
        assert person.funding_route == "direct_payment" and person.postcode == "LS6 1AA"
        (budget,) = person.budgets
        assert budget.funding_route == "direct_payment" and budget.amount_pence > 0
        assert budget.care_council_code == "E08000035"
        db.session.remove()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "not empty" in again.output
    quiet = runner.invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0 and "already has data" in quiet.output
    with app.app_context():
        db.engine.dispose()
