"""flask catalog import / export: validated whole, all-or-nothing, idempotent."""

from __future__ import annotations

import copy
import json

import pytest
import sqlalchemy as sa

from marketplace.catalog_io import CatalogImportError, export_catalog, import_catalog
from marketplace.catalog_version import current_catalog_version
from marketplace.extensions import db
from marketplace.models import AuditLog, Carer, Provider, Team, TeamMember

SAMPLE = {
    "providers": [
        {
            "ref": "p-leeds-1",
            "name": "Leeds Import Co-op",
            "legal_form": "worker_coop",
            "postcode": "LS6 1AA",
            "service_radius_km": 15,
            "skills": ["personal_care"],
            "cqc_location_id": None,
            "teams": [{"ref": "t-1", "name": "Headingley", "patch": ["LS6", "LS7"]}],
        },
        {
            "ref": "p-bristol",
            "name": "Bristol Import CIC",
            "legal_form": "cic",
            "postcode": "BS1",
            "skills": [],
        },
    ],
    "carers": [
        {
            "ref": "c-1",
            "provider": "p-leeds-1",
            "team": "t-1",
            "display_name": "Ana",
            "postcode": "LS6 2AB",
            "travel_radius_km": 8,
            "skills": ["personal_care"],
            "interests": ["gardening"],
            "languages": ["en"],
            "gender": "female",
            "hourly_rate_pence": 1850,
            "availability": ["mon-am", "tue-pm"],
        },
        {
            "ref": "c-2",
            "provider": "p-leeds-1",
            "team": "t-1",
            "display_name": "Ben",
            "postcode": "LS7",
            "skills": ["cooking"],
        },
        {"ref": "c-3", "provider": "p-bristol", "display_name": "Cara", "postcode": "BS1 4DJ"},
    ],
}


def sample():
    return copy.deepcopy(SAMPLE)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_import_creates_rows(app):
    before = current_catalog_version()
    report = import_catalog(sample())
    assert (report.providers_created, report.teams_created, report.carers_created) == (2, 1, 3)
    leeds = db.session.scalar(sa.select(Provider).where(Provider.ref == "p-leeds-1"))
    assert leeds.qa_status == "draft" and leeds.approved_at is None
    assert leeds.district == "LS6" and leeds.care_council_code == "E08000035"
    bristol = db.session.scalar(sa.select(Provider).where(Provider.ref == "p-bristol"))
    assert bristol.postcode is None and bristol.district == "BS1" and bristol.lat
    ana = db.session.scalar(sa.select(Carer).where(Carer.ref == "c-1"))
    assert ana.postcode == "LS6 2AB" and ana.district == "LS6"
    assert 53.7 < ana.lat < 53.9 and ana.availability == ["mon-am", "tue-pm"]
    ben = db.session.scalar(sa.select(Carer).where(Carer.ref == "c-2"))
    assert ben.postcode is None and ben.district == "LS7" and ben.travel_radius_km == 8.0
    team = db.session.scalar(sa.select(Team).where(Team.ref == "t-1"))
    assert team.patch == ["LS6", "LS7"] and {m.carer.ref for m in team.memberships} == {
        "c-1",
        "c-2",
    }
    assert sorted(m.seat for m in team.memberships) == [1, 2]
    assert current_catalog_version() > before


def test_import_twice_changes_nothing(app):
    import_catalog(sample())
    stamps = db.session.execute(sa.select(Carer.ref, Carer.updated_at)).all()
    version = current_catalog_version()
    report = import_catalog(sample())
    assert not report.changed
    assert db.session.execute(sa.select(Carer.ref, Carer.updated_at)).all() == stamps
    assert current_catalog_version() == version
    assert (count(Provider), count(Team), count(Carer), count(TeamMember)) == (2, 1, 3, 2)


def test_changed_rows_are_updated(app):
    import_catalog(sample())
    data = sample()
    data["carers"][0]["display_name"] = "Ana S."
    data["carers"][0]["skills"] = ["personal_care", "cooking"]
    data["carers"][1]["team"] = None
    data["providers"][0]["name"] = "Leeds Import Co-operative"
    report = import_catalog(data)
    assert (report.carers_created, report.carers_updated, report.providers_updated) == (0, 1, 1)
    assert report.memberships_changed == 1
    ana = db.session.scalar(sa.select(Carer).where(Carer.ref == "c-1"))
    db.session.refresh(ana)
    assert ana.display_name == "Ana S." and ana.skills == ["personal_care", "cooking"]
    assert count(TeamMember) == 1


def _break(mutate):
    data = sample()
    mutate(data)
    return data


BAD_FILES = {
    "unknown skill": (
        lambda d: d["carers"][0].update(skills=["peg feed"]),
        "carer 'c-1': 'peg feed' is not a known skill. Did you mean peg_feeding?",
    ),
    "bad postcode": (
        lambda d: d["carers"][1].update(postcode="not a postcode"),
        "carer 'c-2': postcode: not a postcode is not a UK postcode",
    ),
    "unknown postcode": (
        lambda d: d["providers"][1].update(postcode="ZZ9 9ZZ"),
        "provider 'p-bristol': postcode: We could not find the postcode ZZ9 9ZZ",
    ),
    "unknown provider": (
        lambda d: d["carers"][2].update(provider="p-nowhere"),
        "carer 'c-3': unknown provider ref 'p-nowhere'",
    ),
    "bad legal form": (
        lambda d: d["providers"][0].update(legal_form="plc"),
        "provider 'p-leeds-1': legal_form 'plc' is not one of",
    ),
    "bad slot": (
        lambda d: d["carers"][0].update(availability=["mon-noon"]),
        "carer 'c-1': availability: 'mon-noon' is not a time slot",
    ),
    "duplicate carer ref": (
        lambda d: d["carers"][2].update(ref="c-1"),
        "carer 'c-1': duplicate ref",
    ),
    "duplicate provider ref": (
        lambda d: d["providers"][1].update(ref="p-leeds-1"),
        "provider 'p-leeds-1': duplicate ref",
    ),
    "unknown team": (
        lambda d: d["carers"][2].update(team="t-9"),
        "carer 'c-3': unknown team ref 't-9'",
    ),
    "team of another provider": (
        lambda d: d["carers"][2].update(team="t-1"),
        "carer 'c-3': team 't-1' belongs to provider 'p-leeds-1'",
    ),
    "team over 12": (
        lambda d: d["carers"].extend(
            {
                "ref": f"extra-{n}",
                "provider": "p-leeds-1",
                "team": "t-1",
                "display_name": f"Extra {n}",
                "postcode": "LS6",
            }
            for n in range(11)
        ),
        "team 't-1': would have 13 members; a team has at most 12",
    ),
    "bad radius": (
        lambda d: d["carers"][0].update(travel_radius_km=500),
        "carer 'c-1': travel_radius_km must be a number above 0 and at most 100",
    ),
    "unknown field": (
        lambda d: d["carers"][0].update(skils=["cooking"]),
        "carer 'c-1': unknown field 'skils'",
    ),
    "missing ref": (
        lambda d: d["carers"][0].pop("ref"),
        "carer #1: ref is required",
    ),
    "bad cqc id": (
        lambda d: d["providers"][0].update(cqc_location_id="12345"),
        "provider 'p-leeds-1': cqc_location_id '12345' is not a CQC location ID",
    ),
}


@pytest.mark.parametrize("problem", list(BAD_FILES))
def test_any_bad_row_rejects_the_whole_file(app, problem):
    mutate, message = BAD_FILES[problem]
    with pytest.raises(CatalogImportError) as caught:
        import_catalog(_break(mutate))
    assert any(line.startswith(message) for line in caught.value.errors), caught.value.errors
    assert (count(Provider), count(Team), count(Carer)) == (0, 0, 0)


def test_every_problem_is_reported_at_once(app):
    def mutate(d):
        d["carers"][0]["skills"] = ["flying"]
        d["carers"][1]["gender"] = "robot"
        d["providers"][1]["legal_form"] = "plc"

    with pytest.raises(CatalogImportError) as caught:
        import_catalog(_break(mutate))
    assert len(caught.value.errors) == 3


def test_bad_file_leaves_existing_rows_alone(app):
    import_catalog(sample())
    data = sample()
    data["carers"][0]["display_name"] = "Changed"
    data["carers"][1]["skills"] = ["nope"]
    with pytest.raises(CatalogImportError):
        import_catalog(data)
    assert db.session.scalar(sa.select(Carer.display_name).where(Carer.ref == "c-1")) == "Ana"


def test_cli_import_approve_and_export_round_trip(app, make, tmp_path):
    admin = make.user(roles=["admin"], display_name="Tom Evans")
    runner = app.test_cli_runner()
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(sample()))
    refused = runner.invoke(args=["catalog", "import", str(path), "--approve"])
    assert refused.exit_code != 0 and "--admin" in refused.output and count(Provider) == 0
    result = runner.invoke(
        args=["catalog", "import", str(path), "--approve", "--admin", admin.email]
    )
    assert result.exit_code == 0, result.output
    assert "Providers: 2 added" in result.output and "2 approved" in result.output
    leeds = db.session.scalar(sa.select(Provider).where(Provider.ref == "p-leeds-1"))
    assert leeds.qa_status == "approved" and leeds.approved_at is not None
    audits = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "provider.qa.approve")
    ).all()
    assert len(audits) == 2 and all(a.actor_user_id is None for a in audits)
    from marketplace.models import QAEvent

    events = db.session.scalars(
        sa.select(QAEvent).where(QAEvent.provider_id == leeds.id).order_by(QAEvent.id)
    ).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        ("draft", "submitted"),
        ("submitted", "approved"),
    ]
    assert "Checklist waived by Tom Evans" in events[1].reason
    assert "catalog import of catalog.json" in events[1].reason

    out = tmp_path / "export.json"
    assert runner.invoke(args=["catalog", "export", str(out)]).exit_code == 0
    first = json.loads(out.read_text())
    assert [p["ref"] for p in first["providers"]] == ["p-bristol", "p-leeds-1"]
    assert first["carers"][0]["postcode"] == "LS6 2AB"

    # Into an empty database, and out again: the same JSON.
    from marketplace.models import Notification

    for model in (TeamMember, Carer, Team, AuditLog, Notification, QAEvent, Provider):
        db.session.execute(sa.delete(model))
    assert runner.invoke(args=["catalog", "import", str(out)]).exit_code == 0
    again = tmp_path / "again.json"
    assert runner.invoke(args=["catalog", "export", str(again)]).exit_code == 0
    assert json.loads(again.read_text()) == first


def test_cli_rejects_a_bad_file_with_refs_and_a_nonzero_exit(app, tmp_path):
    data = sample()
    data["carers"][2]["provider"] = "p-missing"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    result = app.test_cli_runner().invoke(args=["catalog", "import", str(path)])
    assert result.exit_code != 0
    assert "carer 'c-3': unknown provider ref 'p-missing'" in result.output
    assert "Nothing was imported" in result.output
    assert count(Provider) == 0


def test_cli_rejects_a_file_that_is_not_json(app, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    result = app.test_cli_runner().invoke(args=["catalog", "import", str(path)])
    assert result.exit_code != 0 and "is not a JSON file" in result.output


def test_export_makes_up_refs_for_rows_without_them(app, make):
    provider = make.provider(name="No Ref Co-op")
    carer = make.carer(provider)
    data = export_catalog()
    assert data["providers"][0]["ref"] == f"provider-{provider.id}"
    assert data["carers"][0]["ref"] == f"carer-{carer.id}"
    assert data["carers"][0]["postcode"] == "LS6"  # no private postcode: the district


def test_team_roles_are_imported_and_updated(app):
    data = sample()
    data["carers"][0]["team_role"] = "coach"
    import_catalog(data)
    role = sa.select(TeamMember.role).join(Carer).where(Carer.ref == "c-1")
    assert db.session.scalar(role) == "coach"
    data["carers"][0]["team_role"] = "circles_connector"
    report = import_catalog(data)
    assert report.memberships_changed == 1 and report.carers_updated == 0
    assert db.session.scalar(role) == "circles_connector"


@pytest.mark.parametrize("data", [[], {"providers": "x"}, {"providers": [{}]}, {"carers": [1]}])
def test_malformed_files_are_rejected(app, data):
    with pytest.raises(CatalogImportError):
        import_catalog(data)
