"""The daily `flask qa expire` job unlists carers whose verified checks went out of date."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from marketplace.catalog_version import current_catalog_version
from marketplace.extensions import db
from marketplace.models import AuditLog, Notification
from marketplace.providers import qa

TODAY = date(2026, 6, 1)


def _notes(user) -> list[str]:
    return list(
        db.session.scalars(sa.select(Notification.message).where(Notification.user_id == user.id))
    )


def test_an_old_dbs_without_the_update_service_unlists_the_carer(make):
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin, name="Expiry Co-op")
    old = make.carer(
        provider, display_name="Old Cert", update_service=False, issued_on=date(2023, 5, 31)
    )
    kept = make.carer(
        provider, display_name="On Update", update_service=True, issued_on=date(2020, 1, 1)
    )
    young = make.carer(
        provider, display_name="Young Cert", update_service=False, issued_on=date(2023, 6, 1)
    )  # exactly three years: still good
    assert old.is_listed and kept.is_listed and young.is_listed
    version = current_catalog_version()

    report = qa.run_expiry_check(TODAY)

    assert [(p, c) for p, c, _ in report.carers_unlisted] == [("Expiry Co-op", "Old Cert")]
    record = old.check("criminal_record")
    assert record.status == "lapsed" and "31 May 2023" in record.lapsed_reason
    assert not old.is_listed and kept.is_listed and young.is_listed
    assert current_catalog_version() > version
    (message,) = _notes(admin)
    assert "1 carer at Expiry Co-op is no longer listed" in message
    assert "Old Cert: The DBS certificate was issued on 31 May 2023" in message
    assert "verify the checks again" in message
    assert db.session.scalar(
        sa.select(AuditLog).where(
            AuditLog.action == "carer.check_lapsed", AuditLog.target_id == old.id
        )
    )
    assert "Unlisted 1 carer with a check out of date:" in report.summary()

    # Running again the same day (or the next) changes nothing and tells nobody twice.
    again = qa.run_expiry_check(TODAY)
    assert again.carers_unlisted == [] and len(_notes(admin)) == 1


def test_expired_insurance_unlists_a_self_employed_pa(make):
    pa_admin = make.user(roles=["provider_admin"])
    pa_provider = make.provider(legal_form="self_employed_pa", name="Jo PA", admin=pa_admin)
    pa = make.carer(pa_provider, display_name="Jo P.", insurance_expires_on=date(2026, 5, 31))
    assert pa.is_listed
    report = qa.run_expiry_check(TODAY)
    assert report.carers_unlisted == [
        ("Jo PA", "Jo P.", "Public liability insurance expired on 31 May 2026")
    ]
    assert not pa.is_listed and pa.check("insurance").status == "lapsed"
    assert "Public liability insurance expired on 31 May 2026" in _notes(pa_admin)[0]


def test_renewing_and_verifying_again_lists_the_carer(make):
    from marketplace.carers import checks

    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin)
    carer = make.carer(provider, update_service=False, issued_on=date(2022, 1, 1))
    qa.run_expiry_check(TODAY)
    assert not carer.is_listed
    record = carer.check("criminal_record")
    values = {name: getattr(record, name) for name in checks.CHECK_FIELDS["criminal_record"]}
    checks.declare(carer, "criminal_record", {**values, "issued_on": date(2026, 5, 1)}, None)
    checks.verify(carer, admin, TODAY)
    assert carer.is_listed


def test_the_cli_takes_today_and_reports(app, make):
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=admin, name="Cli Co-op")
    make.carer(provider, display_name="Cli Carer", update_service=False, issued_on=date(2021, 1, 1))
    result = app.test_cli_runner().invoke(args=["qa", "expire", "--today", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "Cli Carer (Cli Co-op): The DBS certificate was issued on 1 January 2021" in (
        result.output
    )
