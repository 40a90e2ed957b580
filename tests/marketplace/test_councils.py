"""Council pages for social workers, the per-council CSV, and admins' council links."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import AuditLog, CouncilLinks
from marketplace.openreferral import services as feed
from marketplace.search.council_export import COLUMNS

LEEDS = "E08000035"
BRISTOL = "E06000023"


@pytest.fixture
def leeds(make):
    coop = make.provider(
        name="Headingley Care Co-op",
        skills=["personal_care", "dementia_care"],
        languages=["en", "ur"],
        fca_number="31234R",
        regulated=True,
        regulator="cqc",
        regulator_number="1-1234567890",
        regulator_rating="outstanding",
        contact_email="hello@headingley.example",
        contact_phone="+44 113 496 0000",
        website="https://headingley.example",
        hourly_rate_pence=2350,
    )
    make.carer(coop, display_name="Ana")
    make.carer(coop, display_name="Ben")
    make.carer(coop, display_name="Paused", active=False)
    border = make.provider(
        name="Border Co-op",
        care_council_code="E08000036",
        postcode="WF1 1AA",
        district="WF1",
        lat=53.679,
        lon=-1.501,
        service_radius_km=None,
        service_districts=["WF1", "LS11"],
        skills=["companionship"],
    )
    make.carer(border, display_name="Cai")
    make.provider(name="Hidden Co-op", qa_status="submitted")
    make.provider(name="Suspended Co-op", qa_status="suspended")
    make.provider(
        name="Bristol Co-op",
        care_council_code=BRISTOL,
        postcode="BS1 4DJ",
        district="BS1",
        lat=51.4517,
        lon=-2.5969,
    )
    return coop, border


def read_csv(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_council_csv_lists_the_listed_providers_covering_the_council(client, leeds):
    coop, border = leeds
    response = client.get(f"/councils/{LEEDS}/providers.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="coopcare-providers-{LEEDS}.csv"'
    )
    rows = read_csv(response)
    assert list(rows[0]) == list(COLUMNS)
    assert [r["Name"] for r in rows] == ["Border Co-op", "Headingley Care Co-op"]
    first = rows[1]
    assert first["Type of organisation"] == "Worker co-operative"
    assert first["FCA Mutuals Register number"] == "31234R"
    assert first["Care regulator"] == "Care Quality Commission"
    assert first["Regulator registration number"] == "1-1234567890"
    assert first["Regulator rating"] == "Outstanding"
    assert first["Quality assured since"] == coop.approved_at.date().isoformat()
    assert first["Care council where registered"] == "Leeds"
    assert "LS6" in first["Postcode districts covered in this council"].split()
    assert first["Help offered"] == "Personal care; Dementia care"
    assert first["Languages"] == "English; Urdu"
    assert first["Listed carers"] == "2"
    assert first["Typical hourly rate (GBP)"] == "23.50"
    assert first["Email"] == "hello@headingley.example"
    assert first["Phone"] == "'+44 113 496 0000"  # a leading + would be a formula
    assert first["CoopCare page"] == f"https://coopcare.example/providers/{coop.id}"
    assert first["Open Referral service id"] == feed.stable_id("service", coop.id)
    # Border Co-op is registered in Wakefield and serves the Leeds district LS11.
    assert rows[0]["Postcode districts covered in this council"] == "LS11"
    assert rows[0]["Care council where registered"] == "Wakefield"


def test_council_csv_matches_the_feed_filtered_by_council(client, leeds):
    rows = read_csv(client.get(f"/councils/{LEEDS}/providers.csv"))
    body = client.get(f"/api/openreferral/v3/services?council={LEEDS}").get_json()
    assert sorted(r["Open Referral service id"] for r in rows) == sorted(
        s["id"] for s in body["contents"]
    )


def test_council_csv_neutralises_formulas(client, make):
    make.provider(name='=HYPERLINK("http://evil.example","Click")', contact_phone="@SUM(1)")
    rows = read_csv(client.get(f"/councils/{LEEDS}/providers.csv"))
    assert rows[0]["Name"].startswith("'=HYPERLINK")
    assert rows[0]["Phone"] == "'@SUM(1)"


def test_council_csv_for_a_council_with_nobody_has_only_the_header(client, leeds):
    response = client.get("/councils/S12000033/providers.csv")
    assert response.status_code == 200
    assert read_csv(response) == []
    assert client.get("/councils/XX000000/providers.csv").status_code == 404


def test_council_page_helps_a_social_worker(client, leeds):
    page = client.get(f"/councils/{LEEDS}").get_data(as_text=True)
    assert "2 co-ops and 3 carers work in Leeds" in page
    assert "Headingley Care Co-op" in page and "Border Co-op" in page
    assert "Hidden Co-op" not in page and "Suspended Co-op" not in page
    assert "Bristol Co-op" not in page
    assert "direct payment" in page and "individual service fund" in page
    for skill in ("Personal care", "Dementia care", "Companionship"):
        assert f"<li>{skill}</li>" in page
    assert f'href="/councils/{LEEDS}/providers.csv"' in page
    assert f'href="/api/openreferral/v3/services?council={LEEDS}"' in page
    assert "We do not have their links yet" in page


def test_council_page_shows_the_links_an_admin_saved(client, leeds, as_role):
    admin = as_role("admin")
    response = admin.post(
        f"/admin/councils/{LEEDS}",
        data={
            "direct_payment_support_name": "Leeds Direct Payments Support",
            "direct_payment_support_url": "https://leeds.example/direct-payments",
            "pa_register_url": "https://leeds.example/pa-register",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/councils/{LEEDS}").get_data(as_text=True)
    assert '<a href="https://leeds.example/direct-payments" rel="noopener">' in page
    assert "Leeds Direct Payments Support</a> can help you" in page
    assert 'href="https://leeds.example/pa-register"' in page
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "council_links.update"))
    assert entry.detail["council"] == LEEDS
    assert entry.detail["changes"]["pa_register_url"]["to"] == "https://leeds.example/pa-register"


def test_council_code_in_lower_case_redirects_to_the_canonical_page(client):
    response = client.get("/councils/e08000035")
    assert response.status_code == 308
    assert response.headers["Location"].endswith(f"/councils/{LEEDS}")


# ---------------------------------------------------------------------------
# The admin form
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("person", 403),
        ("supporter", 403),
        ("provider_admin", 403),
        ("carer", 403),
        ("reviewer", 403),
        ("admin", 200),
    ],
)
def test_only_admins_edit_council_links(as_role, role, status):
    client = as_role(role)
    assert client.get("/admin/councils").status_code == status
    assert client.get(f"/admin/councils/{LEEDS}").status_code == status
    response = client.post(
        f"/admin/councils/{LEEDS}", data={"pa_register_url": "https://x.example"}
    )
    assert response.status_code == (302 if role == "admin" else status)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(f"/admin/councils/{LEEDS}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(
        f"/admin/councils/{LEEDS}", data={"pa_register_url": "https://x.example"}
    )
    assert response.status_code == 302
    assert db.session.get(CouncilLinks, LEEDS) is None


def test_admin_council_list(as_role):
    page = as_role("admin").get("/admin/councils").get_data(as_text=True)
    assert f'href="/admin/councils/{LEEDS}"' in page and "Leeds" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("direct_payment_support_url", "javascript:alert(1)", "starts with https://"),
        ("direct_payment_support_url", "leeds.gov.uk/dp", "starts with https://"),
        ("pa_register_url", "https://", "starts with https://"),
        ("pa_register_url", "https://x.example/" + "a" * 500, "500 characters"),
        ("direct_payment_support_name", "x" * 161, "160 characters"),
    ],
)
def test_bad_links_are_refused_and_change_nothing(as_role, field, value, message):
    admin = as_role("admin")
    response = admin.post(f"/admin/councils/{LEEDS}", data={field: value})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert db.session.get(CouncilLinks, LEEDS) is None


def test_clearing_links_and_saving_nothing(as_role):
    admin = as_role("admin")
    admin.post(f"/admin/councils/{LEEDS}", data={"pa_register_url": "https://pa.example"})
    response = admin.post(
        f"/admin/councils/{LEEDS}", data={"pa_register_url": "https://pa.example"}
    )
    assert "Nothing changed" in admin.get(response.headers["Location"]).get_data(as_text=True)
    admin.post(f"/admin/councils/{LEEDS}", data={"pa_register_url": ""})
    row = db.session.get(CouncilLinks, LEEDS)
    db.session.refresh(row)
    assert row.pa_register_url is None and row.is_empty


def test_unknown_council_is_404_for_admins(as_role):
    assert as_role("admin").get("/admin/councils/X99999999").status_code == 404


def test_the_database_refuses_a_link_that_is_not_http(app):
    row = CouncilLinks(code=LEEDS, pa_register_url="javascript:alert(1)")
    db.session.add(row)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_scottish_provider_shows_its_care_inspectorate_registration(client, make):
    glasgow = make.provider(
        name="Govan Care Co-op",
        postcode="G51 1AA",
        district="G51",
        lat=55.862,
        lon=-4.31,
        care_council_code="S12000049",
        regulated=True,
        regulator="care_inspectorate",
        regulator_number="CS2003001025",
        regulator_rating="very_good",
    )
    [row] = read_csv(client.get("/councils/S12000049/providers.csv"))
    assert row["Care regulator"] == "Care Inspectorate"
    assert row["Regulator registration number"] == "CS2003001025"
    assert row["Regulator rating"] == "5 – Very good"
    service = client.get(
        f"/api/openreferral/v3/services/{feed.stable_id('service', glasgow.id)}"
    ).get_json()
    assert (
        "Care Inspectorate, Care Inspectorate care service number CS2003001025"
        in (service["accreditations"])
    )
    assert {
        "identifier_type": "Care Inspectorate care service number",
        "identifier": "CS2003001025",
    }.items() <= service["organization"]["organization_identifiers"][0].items()
