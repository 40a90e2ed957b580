"""Issue 9, finding 3: `flask catalog import --approve` goes through quality assurance.

Providers move draft -> submitted -> approved through ``qa.transition`` with a system
actor; the checklist waiver names the administrator and the file; reviewers are told.
Carer rows may carry "checks": recorded as verified by the importing administrator with
--approve (audited), declared without it; a row without them is imported unlisted.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.catalog_io import CatalogImportError, export_catalog, import_catalog
from marketplace.extensions import db
from marketplace.models import AuditLog, Carer, Notification, Provider, QAEvent
from marketplace.providers import qa

CHECKS = {
    "scheme": "dbs",
    "level": "enhanced_barred",
    "certificate_number": "001234567890",
    "issued_on": "2025-03-27",
    "update_service": True,
    "right_to_work": True,
}
FILE = {
    "providers": [
        {
            "ref": "p-1",
            "name": "Import QA Co-op",
            "legal_form": "worker_coop",
            "postcode": "LS6 1AA",
            "service_radius_km": 10,
            "skills": ["personal_care"],
        },
        {
            "ref": "p-glasgow",
            "name": "Glasgow Import Co-op",
            "legal_form": "worker_coop",
            "postcode": "G11 6AA",
            "service_radius_km": 10,
        },
    ],
    "carers": [
        {
            "ref": "c-checked",
            "provider": "p-1",
            "display_name": "Checked Carer",
            "postcode": "LS6 2AB",
            "skills": ["personal_care"],
            "checks": CHECKS,
        },
        {
            "ref": "c-bare",
            "provider": "p-1",
            "display_name": "Bare Carer",
            "postcode": "LS6 2AB",
            "skills": ["personal_care"],
        },
        {
            "ref": "c-pvg",
            "provider": "p-glasgow",
            "display_name": "Pvg Carer",
            "postcode": "G11 6AA",
            "checks": {**CHECKS, "scheme": "pvg", "certificate_number": "1234567890123456"},
        },
        {
            "ref": "c-old",
            "provider": "p-1",
            "display_name": "Old Carer",
            "postcode": "LS6 2AB",
            "checks": {**CHECKS, "issued_on": "2019-01-01", "update_service": False},
        },
    ],
}


def sample() -> dict:
    return copy.deepcopy(FILE)


def carer(ref: str) -> Carer:
    return db.session.scalar(sa.select(Carer).where(Carer.ref == ref))


@pytest.fixture
def admin(make):
    return make.user(roles=["admin"], display_name="Tom Evans", email="tom@example.org")


def test_approve_goes_through_qa_with_a_waiver_naming_the_admin_and_file(make, admin):
    reviewer = make.user(roles=["reviewer"])
    report = import_catalog(
        sample(), approve=True, admin=admin, source="catalog import of leeds.json"
    )
    assert report.providers_approved == 2
    provider = db.session.scalar(sa.select(Provider).where(Provider.ref == "p-1"))
    assert provider.qa_status == "approved" and provider.approved_at is not None
    events = db.session.scalars(
        sa.select(QAEvent).where(QAEvent.provider_id == provider.id).order_by(QAEvent.id)
    ).all()
    assert [(e.from_status, e.to_status, e.actor_user_id) for e in events] == [
        ("draft", "submitted", None),
        ("submitted", "approved", None),
    ]
    assert events[1].reason.startswith(
        "Checklist waived by Tom Evans (tom@example.org), an administrator, for the "
        "catalog import of leeds.json."
    )
    waiver = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.action == "provider.qa.checklist_waived", AuditLog.target_id == provider.id
        )
    ).all()
    assert waiver and waiver[-1].actor_user_id == admin.id
    assert waiver[-1].detail["source"] == "catalog import of leeds.json"
    assert any("Insurance" in item for item in waiver[-1].detail["missing"])
    assert db.session.scalar(
        sa.select(AuditLog).where(
            AuditLog.action == "provider.qa.approve", AuditLog.target_id == provider.id
        )
    )
    (note,) = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == reviewer.id)
    ).all()
    assert "Tom Evans approved 2 provider(s) from the catalog import of leeds.json" in note.message


def test_checks_in_rows_are_verified_by_the_importing_admin(admin, client):
    import_catalog(sample(), approve=True, admin=admin, source="catalog import of x.json")
    checked = carer("c-checked")
    assert checked.is_listed
    record = checked.check("criminal_record")
    assert (record.status, record.verified_by_user_id, record.verified_by_organisation) == (
        "verified",
        admin.id,
        "CoopCare",
    )
    audit = db.session.scalar(
        sa.select(AuditLog).where(
            AuditLog.action == "carer.checks_verified", AuditLog.target_id == checked.id
        )
    )
    assert audit.actor_user_id == admin.id and audit.detail["source"] == "catalog import of x.json"
    assert carer("c-pvg").is_listed and carer("c-pvg").check("criminal_record").scheme == "pvg"
    # A row without checks is imported unlisted; an out-of-date DBS is left unverified.
    assert not carer("c-bare").is_listed and carer("c-bare").checks == []
    assert carer("c-old").check("criminal_record").status == "declared"
    assert not carer("c-old").is_listed
    page = client.get(f"/carers/{checked.id}").get_data(as_text=True)
    assert "Checks confirmed by CoopCare on" in page
    assert client.get(f"/carers/{carer('c-bare').id}").status_code == 404


def test_without_approve_checks_are_only_declared(admin):
    import_catalog(sample())
    assert carer("c-checked").check("criminal_record").status == "declared"
    assert not carer("c-checked").is_listed
    # Approving later verifies them; changing a verified check makes it declared again.
    import_catalog(sample(), approve=True, admin=admin)
    assert carer("c-checked").is_listed
    changed = sample()
    changed["carers"][0]["checks"]["certificate_number"] = "009999999999"
    import_catalog(changed)
    assert carer("c-checked").check("criminal_record").status == "declared"
    # A row that leaves "checks" out keeps what the carer has.
    import_catalog(sample(), approve=True, admin=admin)
    bare = sample()
    del bare["carers"][0]["checks"]
    import_catalog(bare)
    assert carer("c-checked").is_listed


def test_approve_needs_an_administrator(make):
    reviewer = make.user(roles=["reviewer"])
    for who in (None, reviewer):
        with pytest.raises(ValueError, match="administrator"):
            import_catalog(sample(), approve=True, admin=who)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Provider)) == 0


def test_the_system_actor_can_only_submit_and_approve(make, admin):
    provider = make.provider(qa_status="approved")
    with pytest.raises(qa.NotAllowed):
        qa.transition(provider, "suspend", qa.SystemActor(admin=admin, source="x"), reason="r")
    reviewer = make.user(roles=["reviewer"])
    draft = make.provider(qa_status="draft")
    with pytest.raises(qa.NotAllowed):
        qa.transition(draft, "submit", qa.SystemActor(admin=reviewer, source="x"))


def test_suspended_providers_stay_suspended(make, admin):
    suspended = make.provider(qa_status="suspended", ref="p-1", name="Suspended Co-op")
    report = import_catalog(sample(), approve=True, admin=admin)
    assert suspended.qa_status == "suspended" and report.providers_left_suspended == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"scheme": "fbi"}, "checks.scheme 'fbi' is not one of: dbs, pvg, accessni"),
        ({"level": "super"}, "checks.level 'super' is not one of"),
        ({"certificate_number": "12"}, "checks.certificate_number: The DBS certificate number"),
        ({"issued_on": "27/03/2025"}, "checks.issued_on '27/03/2025' is not a date"),
        ({"issued_on": "2999-01-01"}, "checks.issued_on 2999-01-01 is in the future"),
        ({"update_service": "yes"}, "checks.update_service must be true or false"),
        ({"colour": "red"}, "checks: unknown field 'colour'"),
    ],
)
def test_bad_checks_are_reported_and_nothing_is_imported(change, message):
    data = sample()
    data["carers"][0]["checks"].update(change)
    with pytest.raises(CatalogImportError) as caught:
        import_catalog(data)
    assert any(line.startswith("carer 'c-checked': " + message) for line in caught.value.errors), (
        caught.value.errors
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Provider)) == 0


def test_export_carries_the_checks_and_round_trips(admin):
    import_catalog(sample(), approve=True, admin=admin)
    exported = export_catalog()
    row = next(c for c in exported["carers"] if c["ref"] == "c-checked")
    assert row["checks"] == CHECKS
    assert next(c for c in exported["carers"] if c["ref"] == "c-bare")["checks"] is None


def test_cli_approve_needs_an_admin_account(app, make, tmp_path):
    path = tmp_path / "file.json"
    path.write_text(json.dumps(sample()))
    runner = app.test_cli_runner()
    person = make.user(roles=["person"])
    result = runner.invoke(
        args=["catalog", "import", str(path), "--approve", "--admin", person.email]
    )
    assert result.exit_code != 0 and "is not an administrator" in result.output


def test_readme_documents_the_checks_field():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Catalog format") :]
    for word in (
        '"checks"',
        '"scheme"',
        "pvg",
        "accessni",
        "enhanced_barred",
        '"certificate_number"',
        '"issued_on"',
        '"update_service"',
        '"right_to_work"',
        "--admin",
    ):
        assert word in section, word
