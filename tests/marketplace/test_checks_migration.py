"""Migration 0004 carries what carers had ticked into carer_checks, as declared only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db

PROVIDER = (
    "INSERT INTO providers (name, legal_form, cqc_regulated, principles, members, description, "
    "service_districts, skills, languages, qa_status, extra, created_at, updated_at) VALUES "
    "('P', 'worker_coop', false, '', '[]', '', '[]', '[]', '[]', 'draft', '{}', "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)
CARER = (
    "INSERT INTO carers (provider_id, display_name, bio, skills, interests, languages, "
    "travel_radius_km, dbs_level, dbs_number, dbs_issue_date, dbs_update_service, "
    "care_certificate, right_to_work_checked, insurance_expires_on, active, created_at, "
    "updated_at) VALUES (:provider, :name, '', '[]', '[]', '[]', 8, :level, :number, :issued, "
    ":update, false, :rtw, :insurance, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


@pytest.mark.own_database
def test_ticked_checks_become_declared_rows_and_come_back_on_downgrade(tmp_path):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'm.sqlite3'}"

    app = create_app(Config)
    with app.app_context():
        upgrade(revision="0003_personal_budgets")
        with db.engine.begin() as connection:
            connection.execute(sa.text(PROVIDER))
            provider = connection.execute(sa.text("SELECT id FROM providers")).scalar()
            ticked = dict(
                provider=provider,
                name="Ticked",
                level="enhanced",
                number="001234567890",
                issued="2024-03-27",
                update=True,
                rtw=True,
                insurance="2030-01-01",
            )
            bare = dict(
                ticked,
                name="Bare",
                level=None,
                number=None,
                issued=None,
                update=False,
                rtw=False,
                insurance=None,
            )
            connection.execute(sa.text(CARER), [ticked, bare])
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT c.display_name, k.kind, k.status, k.scheme, k.level, "
                    "k.certificate_number FROM carer_checks k JOIN carers c ON c.id = k.carer_id "
                    "ORDER BY k.kind"
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            ("Ticked", "criminal_record", "declared", "dbs", "enhanced", "001234567890"),
            ("Ticked", "insurance", "declared", None, None, None),
            ("Ticked", "right_to_work", "declared", None, None, None),
        ]
        downgrade(revision="0003_personal_budgets")
        with db.engine.connect() as connection:
            back = connection.execute(
                sa.text(
                    "SELECT display_name, dbs_level, dbs_number, right_to_work_checked, "
                    "insurance_expires_on FROM carers ORDER BY display_name"
                )
            ).all()
        assert [tuple(r) for r in back] == [
            ("Bare", None, None, 0, None),
            ("Ticked", "enhanced", "001234567890", 1, "2030-01-01"),
        ]
        db.engine.dispose()
