"""Every way a carer or provider is saved keeps its public point right.

The public point (``public_lat`` / ``public_lon``) is what every public distance is
measured from; a save path that forgot it would either hide the carer or, worse, leave
a stale point behind after a move.
"""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa
from carers_teams_helpers import build_world
from flask_migrate import upgrade

from marketplace import create_app, geo
from marketplace.catalog import build_catalog
from marketplace.catalog_io import import_catalog
from marketplace.config import TestConfig
from marketplace.extensions import db
from marketplace.models import Carer, Provider
from marketplace.models.providers import public_coordinates


def _public(where: str) -> tuple[float, float]:
    point = geo.public_point(where)
    return (point.lat, point.lon)


def _stored(row) -> tuple[float | None, float | None]:
    db.session.refresh(row)
    return (row.public_lat, row.public_lon)


def test_orm_saves_set_and_follow_the_postcode(make):
    provider = make.provider()
    assert _stored(provider) == _public("LS6 1AA")
    carer = make.carer(provider, postcode="LS6 3HN", district="LS6", lat=53.82035, lon=-1.5785)
    assert _stored(carer) == _public("LS6 3HN")
    assert _stored(carer) != (carer.lat, carer.lon)
    # A move: the public point follows at the next flush.
    moved = geo.lookup("BS6 6AA")
    carer.postcode, carer.district, carer.lat, carer.lon = (
        moved.postcode,
        moved.outcode,
        moved.lat,
        moved.lon,
    )
    db.session.flush()
    assert _stored(carer) == _public("BS6 6AA")
    # Only a district: its centroid.
    carer.postcode = None
    db.session.flush()
    assert _stored(carer) == _public("BS6")
    # Off the map: no public point either.
    carer.lat = carer.lon = None
    db.session.flush()
    assert _stored(carer) == (None, None)


def test_a_place_with_no_known_postcode_or_district_is_refused(make):
    provider = make.provider()
    with pytest.raises(ValueError, match="postcode or postcode district"):
        make.carer(provider, postcode=None, district=None, lat=53.8, lon=-1.5)
    db.session.rollback()


def test_the_database_refuses_a_placed_row_without_a_public_point(make):
    provider = make.provider()
    with pytest.raises(sa.exc.IntegrityError, match="public_point"), db.session.begin_nested():
        db.session.execute(
            sa.insert(Carer.__table__).values(
                provider_id=provider.id,
                display_name="Core",
                bio="",
                district="LS6",
                lat=53.8,
                lon=-1.5,
                travel_radius_km=8,
                skills=[],
                interests=[],
                languages=[],
                active=True,
                care_certificate=False,
                created_at=sa.func.now(),
                updated_at=sa.func.now(),
            )
        )


def test_carer_profile_save(make, login):
    world = build_world(make)
    response = login(world.carer_user).post(
        "/carer/profile/about",
        data={
            "display_name": "Ana S.",
            "postcode": "ls6 2ab",
            "bio": "",
            "gender": "female",
            "travel_radius_km": "12",
            "hourly_rate": "",
        },
    )
    assert response.status_code == 302
    assert _stored(world.carer) == _public("LS6 2AB")


def test_provider_admin_adding_a_carer(make, login):
    world = build_world(make)
    response = login(world.admin).post(
        "/provider/carers/new", data={"display_name": "Dee E.", "postcode": "BS6 6AA"}
    )
    assert response.status_code == 302
    dee = db.session.scalar(sa.select(Carer).where(Carer.display_name == "Dee E."))
    assert _stored(dee) == _public("BS6 6AA")


def test_provider_onboarding_service_area(make, login):
    admin = make.user(roles=["provider_admin"])
    client = login(admin)
    client.post("/provider/onboarding/name", data={"name": "Moved Co-op"})
    client.post(
        "/provider/onboarding/service-area",
        data={"postcode": "bs6 6aa", "radius_km": "5", "districts": ""},
    )
    provider = db.session.scalar(sa.select(Provider).where(Provider.name == "Moved Co-op"))
    assert provider is not None and provider.postcode == "BS6 6AA"
    assert _stored(provider) == _public("BS6 6AA")


def test_catalog_import_inserts_and_updates(app):
    data = {
        "providers": [
            {
                "ref": "p-1",
                "name": "Imported Co-op",
                "legal_form": "worker_coop",
                "postcode": "LS6 1AA",
            }
        ],
        "carers": [
            {"ref": "c-1", "provider": "p-1", "display_name": "Ana", "postcode": "LS6 3HN"},
            {"ref": "c-2", "provider": "p-1", "display_name": "Ben", "postcode": "LS7"},
        ],
    }
    import_catalog(data)
    rows = {c.ref: c for c in db.session.scalars(sa.select(Carer))}
    assert (rows["c-1"].public_lat, rows["c-1"].public_lon) == _public("LS6 3HN")
    assert (rows["c-2"].public_lat, rows["c-2"].public_lon) == _public("LS7")
    provider = db.session.scalar(sa.select(Provider).where(Provider.ref == "p-1"))
    assert (provider.public_lat, provider.public_lon) == _public("LS6 1AA")
    data["carers"][0]["postcode"] = "BS6 6AA"  # moved: the update path (Core UPDATE)
    import_catalog(data)
    db.session.expire_all()
    moved = db.session.scalar(sa.select(Carer).where(Carer.ref == "c-1"))
    assert (moved.public_lat, moved.public_lon) == _public("BS6 6AA")


def test_demo_seed_and_its_bulk_path(app):
    from marketplace.demo import _bulk_scale_carers, seed_demo

    seed_demo(carers=30, seed=3)
    _bulk_scale_carers(random.Random(1), 20, None)
    db.session.flush()
    rows = [*db.session.scalars(sa.select(Carer)), *db.session.scalars(sa.select(Provider))]
    assert len(rows) > 50
    for row in rows:
        assert (row.public_lat, row.public_lon) == public_coordinates(
            row.postcode, row.district, row.lat
        ), row.display_name if isinstance(row, Carer) else row.name


def test_the_matching_index_holds_public_points_only(make):
    provider = make.provider()
    carer = make.carer(provider, postcode="LS6 3HN", district="LS6", lat=53.82035, lon=-1.5785)
    (candidate,) = build_catalog().index.candidates
    assert candidate.id == carer.id
    assert (candidate.lat, candidate.lon) == _public("LS6 3HN")
    assert (candidate.lat, candidate.lon) != (carer.lat, carer.lon)


@pytest.mark.own_database
def test_migration_fills_public_points_for_existing_rows(tmp_path):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'backfill.sqlite3'}"

    app = create_app(Config)
    with app.app_context():
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        (ours,) = [r for r in script.walk_revisions() if r.revision.endswith("_public_points")]
        upgrade(revision=ours.down_revision)  # the schema just before public points
        now = "2026-01-01 00:00:00"
        common = (
            "bio, travel_radius_km, skills, interests, languages, active, dbs_update_service, "
            "care_certificate, right_to_work_checked, created_at, updated_at"
        )
        values = f"'', 8, '[]', '[]', '[]', 1, 0, 0, 0, '{now}', '{now}'"
        db.session.execute(
            sa.text(
                "INSERT INTO providers (id, name, legal_form, postcode, district, lat, lon, "
                "cqc_regulated, principles, members, description, service_districts, skills, "
                "languages, qa_status, extra, created_at, updated_at) VALUES (1, 'P', "
                "'self_employed_pa', 'LS6 3HN', 'LS6', 53.82035, -1.5785, 0, '', '[]', '', '[]', "
                f"'[]', '[]', 'draft', '{{}}', '{now}', '{now}')"
            )
        )
        for id_, postcode, district, lat in (
            (1, "'LS6 3HN'", "'LS6'", "53.82035"),  # a full postcode: its sector
            (2, "NULL", "'BS6'", "51.47"),  # only a district: the district
            (3, "NULL", "NULL", "53.8"),  # placed, but nowhere we know: unplaced
            (4, "'LS6 2AB'", "'LS6'", "NULL"),  # not on the map: nothing to fill
        ):
            db.session.execute(
                sa.text(
                    f"INSERT INTO carers (id, provider_id, display_name, postcode, district, lat, "
                    f"lon, {common}) VALUES ({id_}, 1, 'C{id_}', {postcode}, {district}, {lat}, "
                    f"{'NULL' if lat == 'NULL' else '-1.5'}, {values})"
                )
            )
        db.session.execute(
            sa.text(
                "INSERT INTO teams (id, provider_id, name, description, patch, created_at, "
                f"updated_at) VALUES (1, 1, 'T', '', '[]', '{now}', '{now}')"
            )
        )
        db.session.execute(
            sa.text(
                "INSERT INTO team_members (id, team_id, carer_id, seat, role) "
                "VALUES (1, 1, 1, 1, 'member')"
            )
        )
        db.session.commit()
        upgrade()
        # Rebuilding the tables (SQLite) must not cascade-delete the rows that refer to
        # them: the carers of the provider, the carer's team place.
        assert db.session.execute(sa.text("SELECT count(*) FROM team_members")).scalar() == 1
        assert db.session.execute(sa.text("SELECT count(*) FROM teams")).scalar() == 1
        rows = {
            r.id: r
            for r in db.session.execute(
                sa.text("SELECT id, lat, lon, public_lat, public_lon FROM carers")
            )
        }
        assert (rows[1].public_lat, rows[1].public_lon) == _public("LS6 3HN")
        assert (rows[2].public_lat, rows[2].public_lon) == _public("BS6")
        assert rows[3].lat is None and rows[3].public_lat is None
        assert rows[4].public_lat is None
        base = db.session.execute(sa.text("SELECT public_lat, public_lon FROM providers")).one()
        assert tuple(base) == _public("LS6 3HN")
        db.session.remove()
        db.engine.dispose()
