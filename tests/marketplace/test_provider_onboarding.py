"""Provider onboarding: one question per page, saved as a draft, validated, resumable."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from qa_helpers import mark_unanswered, ready_provider

from marketplace.extensions import db
from marketplace.models import AuditLog, OnboardingProgress, Provider, ProviderAdmin
from marketplace.providers import onboarding, qa

ANSWERS = {
    "name": {"name": "Kirkstall Care Co-op"},
    "legal-form": {"legal_form": "cooperative_society"},
    "registration": {"fca_number": "31234r", "companies_house_number": "", "charity_number": ""},
    "principles": {"principles": "We are owned by our workers and the people we support."},
    "members": {"members": ["workers", "people_supported"]},
    "service-area": {"postcode": "ls6 1aa", "radius_km": "12", "districts": "LS5, ls4 LS6"},
    "regulator": {
        "regulated": "yes",
        "regulator_number": "1-1234567890",
        "regulator_rating": "good",
    },
    "services": {"skills": ["personal_care", "cooking"]},
    "languages": {"languages": ["en", "ur"]},
    "rate": {"hourly_rate": "£21.50"},
    "contact": {
        "contact_email": "Hello@Kirkstall.coop",
        "contact_phone": "0113 496 0000",
        "website": "kirkstall.coop",
    },
}


@pytest.fixture
def admin_user(make):
    return make.user(roles=["provider_admin"])


@pytest.fixture
def admin_client(login, admin_user):
    return login(admin_user)


def _provider_of(user) -> Provider | None:
    return db.session.scalar(
        sa.select(Provider).join(ProviderAdmin).where(ProviderAdmin.user_id == user.id)
    )


def _walk(client, steps=None, answers=ANSWERS):
    for step in onboarding.slugs() if steps is None else steps:
        response = client.post(f"/provider/onboarding/{step}", data=answers[step])
        assert response.status_code == 302, (step, response.get_data(as_text=True)[:2000])
    return response


def test_register_as_provider_lands_on_onboarding(app, client):
    response = client.post(
        "/register",
        data={
            "display_name": "Grace",
            "email": "grace@example.org",
            "password": "a long enough password",
            "confirm": "a long enough password",
            "account_type": "provider_admin",
        },
    )
    assert response.status_code == 200  # "check your email"
    message = app.extensions["mailman"].outbox[-1]
    link = re.search(r"https://coopcare\.example(/register/confirm/\S+)", message.body).group(1)
    response = client.get(link)
    assert response.status_code == 302
    assert response.location.endswith("/provider/onboarding")
    page = client.get("/provider/onboarding").get_data(as_text=True)
    assert "Start now" in page and "/provider/onboarding/name" in page


def test_full_walk_through_saves_every_answer(admin_client, admin_user):
    response = admin_client.post("/provider/onboarding/name", data=ANSWERS["name"])
    assert response.location.endswith("/provider/onboarding/legal-form")
    draft = _provider_of(admin_user)
    assert draft is not None and draft.qa_status == "draft"
    assert draft.name == "Kirkstall Care Co-op"

    last = _walk(admin_client, onboarding.slugs()[1:])
    assert last.location.endswith("/provider/onboarding/check")
    provider = _provider_of(admin_user)
    db.session.refresh(provider)
    assert provider.legal_form == "cooperative_society"
    assert provider.fca_number == "31234R"
    assert provider.regulated and provider.regulator == "cqc"
    assert provider.regulator_number == "1-1234567890" and provider.regulator_rating == "good"
    assert provider.members == ["workers", "people_supported"]
    assert provider.postcode == "LS6 1AA" and provider.district == "LS6"
    assert provider.care_council_code == "E08000035"
    assert provider.lat == pytest.approx(53.82, abs=0.05)
    assert provider.service_radius_km == 12.0
    assert provider.service_districts == ["LS5", "LS4", "LS6"]
    assert provider.skills == ["cooking", "personal_care"]
    assert provider.languages == ["en", "ur"]
    assert provider.hourly_rate_pence == 2150
    assert provider.contact_email == "hello@kirkstall.coop"
    assert provider.website == "https://kirkstall.coop"
    assert onboarding.unanswered_steps(provider) == set()

    page = admin_client.get("/provider/onboarding/check").get_data(as_text=True)
    assert "Check your answers" in page
    assert "31234R" in page and "£21.50 an hour" in page and "Up to 12 km" in page
    assert "/provider/onboarding/rate?return_to=check" in page
    assert "Upload your documents" in page  # evidence still missing
    actions = set(
        db.session.scalars(
            sa.select(AuditLog.action).where(AuditLog.actor_user_id == admin_user.id)
        )
    )
    assert {"provider.onboarding_started", "provider.answer_saved"} <= actions


def test_leave_and_come_back_resumes_at_first_unanswered(admin_client, admin_user):
    _walk(admin_client, ["name", "legal-form", "registration"])
    page = admin_client.get("/provider/onboarding").get_data(as_text=True)
    assert "Continue where you left off" in page
    assert "/provider/onboarding/principles" in page
    # The saved answer is shown again when the page is revisited.
    page = admin_client.get("/provider/onboarding/registration").get_data(as_text=True)
    assert 'value="31234R"' in page


def test_unanswered_questions_show_empty_and_block_the_checklist(admin_client, admin_user):
    _walk(admin_client, ["name"])
    provider = _provider_of(admin_user)
    page = admin_client.get("/provider/onboarding/legal-form").get_data(as_text=True)
    assert "checked" not in page  # the placeholder legal form is not shown as an answer
    items = {item.key: item for item in qa.checklist(provider)}
    assert not items["legal-form"].ok and items["legal-form"].detail == "Not answered yet"
    assert items["name"].ok


def test_back_links_and_change_links_return_to_check_page(admin_client):
    _walk(admin_client)
    page = admin_client.get("/provider/onboarding/services").get_data(as_text=True)
    assert 'href="/provider/onboarding/regulator" class="back-link"' in page
    page = admin_client.get("/provider/onboarding/rate?return_to=check").get_data(as_text=True)
    assert 'href="/provider/onboarding/check" class="back-link"' in page
    response = admin_client.post(
        "/provider/onboarding/rate?return_to=check", data={"hourly_rate": "22"}
    )
    assert response.location.endswith("/provider/onboarding/check")
    first = admin_client.get("/provider/onboarding/name").get_data(as_text=True)
    assert 'href="/provider/onboarding" class="back-link"' in first


def test_registration_asks_for_legal_form_first(admin_client):
    _walk(admin_client, ["name"])
    response = admin_client.get("/provider/onboarding/registration")
    assert response.status_code == 302
    assert response.location.endswith("/provider/onboarding/legal-form")


def test_other_steps_need_a_provider_first(admin_client):
    response = admin_client.get("/provider/onboarding/rate")
    assert response.status_code == 302 and response.location.endswith("/onboarding/name")
    assert admin_client.get("/provider/onboarding/nonsense").status_code == 404


@pytest.mark.parametrize(
    "step, data, message",
    [
        ("name", {"name": ""}, "Enter your organisation&#39;s name"),
        ("name", {"name": "x" * 161}, "160 characters or fewer"),
        ("legal-form", {}, "Choose your organisation&#39;s legal form"),
        ("legal-form", {"legal_form": "limited_company"}, "Not a valid choice"),
        ("registration", {"fca_number": ""}, "Enter your FCA register number"),
        ("registration", {"fca_number": "ABC"}, "FCA register number is not in the right format"),
        (
            "registration",
            {"fca_number": "1234R", "companies_house_number": "1234"},
            "Companies House number is not in the right format",
        ),
        (
            "registration",
            {"fca_number": "1234R", "charity_number": "12"},
            "Charity number is not in the right format",
        ),
        ("regulator", {}, "Say whether you are registered with the Care Quality Commission"),
        ("regulator", {"regulated": "yes"}, "Enter your CQC location ID, like 1-1234567890"),
        (
            "regulator",
            {"regulated": "yes", "regulator_number": "1-123", "regulator_rating": "good"},
            "Enter your CQC location ID in the right format",
        ),
        (
            "regulator",
            {"regulated": "yes", "regulator_number": "CS2003001025", "regulator_rating": "good"},
            "Enter your CQC location ID in the right format",  # a Scottish number in Leeds
        ),
        (
            "regulator",
            {"regulated": "yes", "regulator_number": "1-1234567890"},
            "Choose your latest CQC rating",
        ),
        (
            "regulator",
            {"regulated": "yes", "regulator_number": "1-1234567890", "regulator_rating": "weak"},
            "Not a valid choice",  # a Care Inspectorate grade is not a CQC rating
        ),
        ("principles", {"principles": ""}, "Describe how you put co-operative principles"),
        ("principles", {"principles": "Co-op."}, "at least a sentence"),
        ("members", {}, "Choose who your members are"),
        ("members", {"members": ["shareholders"]}, "not a valid choice"),
        ("service-area", {"postcode": ""}, "Enter the postcode of your base"),
        ("service-area", {"postcode": "not a postcode", "radius_km": "5"}, "is not a UK postcode"),
        ("service-area", {"postcode": "ZZ99 9ZZ", "radius_km": "5"}, "could not find"),
        ("service-area", {"postcode": "LS6 1AA"}, "Enter how far you travel, or list"),
        ("service-area", {"postcode": "LS6 1AA", "radius_km": "-3"}, "more than 0"),
        ("service-area", {"postcode": "LS6 1AA", "radius_km": "far"}, "as a number"),
        (
            "service-area",
            {"postcode": "LS6 1AA", "districts": "LS6, banana"},
            "banana is not a postcode district",
        ),
        (
            "service-area",
            {"postcode": "LS6 1AA", "districts": "LS6 1AA"},
            "give only the first part",
        ),
        ("services", {}, "Choose at least one service"),
        ("services", {"skills": ["juggling"]}, "not a valid choice"),
        ("languages", {}, "Choose at least one language"),
        ("rate", {"hourly_rate": ""}, "Enter your typical hourly rate"),
        ("rate", {"hourly_rate": "-5"}, "cannot be less than £0"),
        ("rate", {"hourly_rate": "twenty"}, "in pounds and pence"),
        ("rate", {"hourly_rate": "21.505"}, "in pounds and pence"),
        ("rate", {"hourly_rate": "0"}, "more than £0"),
        ("rate", {"hourly_rate": "9999"}, "£500 or less"),
        ("contact", {"contact_email": ""}, "Enter an email address for enquiries"),
        ("contact", {"contact_email": "nope"}, "right format"),
        ("contact", {"contact_email": "a@b.org", "contact_phone": "12"}, "UK phone number"),
        ("contact", {"contact_email": "a@b.org", "website": "not a site"}, "web address"),
    ],
)
def test_invalid_answers_show_error_summary_and_change_nothing(make, login, step, data, message):
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(
        qa_status="draft",
        admin=admin,
        legal_form="cooperative_society",
        fca_number="999R",
        hourly_rate_pence=1999,
        contact_email="before@example.org",
    )
    db.session.expire_all()  # compare values as the database returns them
    before = {c.key: getattr(provider, c.key) for c in sa.inspect(Provider).columns}
    response = login(admin).post(f"/provider/onboarding/{step}", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in body and message in body
    assert body.count('class="error-summary"') == 1
    assert "<title>Error:" in body
    db.session.expire_all()
    after = {
        c.key: getattr(db.session.get(Provider, provider.id), c.key)
        for c in sa.inspect(Provider).columns
    }
    assert after == before


def test_invalid_first_answer_creates_no_provider(admin_client):
    response = admin_client.post("/provider/onboarding/name", data={"name": " "})
    assert "There is a problem" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Provider)) == 0


@pytest.mark.parametrize(
    "legal_form, data, ok",
    [
        ("cic", {"companies_house_number": "12345678"}, True),
        ("cic", {"fca_number": "1234R"}, False),
        ("charity", {"charity_number": "1234567"}, True),
        ("charity", {"charity_number": "SC012345"}, True),
        ("charity", {"fca_number": "1234R"}, True),  # an exempt charity (a society)
        ("worker_coop", {"companies_house_number": "SC123456"}, True),
        ("employee_owned", {}, False),
        ("self_employed_pa", {}, True),
    ],
)
def test_registration_numbers_needed_depend_on_legal_form(make, login, legal_form, data, ok):
    admin = make.user(roles=["provider_admin"])
    make.provider(qa_status="draft", admin=admin, legal_form=legal_form)
    response = login(admin).post("/provider/onboarding/registration", data=data)
    assert (response.status_code == 302) is ok


def test_answering_not_regulated_clears_the_regulator_details(make, login):
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(
        qa_status="draft",
        admin=admin,
        regulated=True,
        regulator="cqc",
        regulator_number="1-123456789",
        regulator_rating="good",
    )
    login(admin).post(
        "/provider/onboarding/regulator",
        data={"regulated": "no", "regulator_number": "rubbish", "regulator_rating": "good"},
    )
    db.session.refresh(provider)
    assert (provider.regulated, provider.regulator_number, provider.regulator_rating) == (
        False,
        None,
        None,
    )


def test_service_area_with_only_districts_or_an_outcode_base(make, login):
    admin = make.user(roles=["provider_admin"])
    provider = make.provider(qa_status="draft", admin=admin)
    response = login(admin).post(
        "/provider/onboarding/service-area", data={"postcode": "BS5", "districts": "BS5 BS2 bs5"}
    )
    assert response.status_code == 302
    db.session.refresh(provider)
    assert provider.postcode is None and provider.district == "BS5"
    assert provider.service_radius_km is None
    assert provider.service_districts == ["BS5", "BS2"]
    assert provider.care_council_code == "E06000023"  # Bristol


def test_self_employed_pa_uses_the_same_flow_and_skips_members(admin_client, admin_user):
    answers = {
        **ANSWERS,
        "name": {"name": "Sam Patel"},
        "legal-form": {"legal_form": "self_employed_pa"},
        "registration": {},
        "regulator": {"regulated": "no"},
    }
    _walk(admin_client, ["name", "legal-form", "registration"], answers)
    response = admin_client.post("/provider/onboarding/principles", data=ANSWERS["principles"])
    assert response.location.endswith("/provider/onboarding/service-area")  # no members page
    assert admin_client.get("/provider/onboarding/members").status_code == 404
    _walk(
        admin_client,
        ["service-area", "regulator", "services", "languages", "rate", "contact"],
        answers,
    )
    provider = _provider_of(admin_user)
    assert provider.legal_form == "self_employed_pa"
    missing = qa.missing_items(provider)
    assert all(m.startswith(("Insurance", "Safeguarding", "DBS")) for m in missing), missing
    page = admin_client.get("/provider/onboarding/regulator").get_data(as_text=True)
    assert "self-employed personal assistant employed directly" in page


def test_answers_are_locked_while_under_review(make, login):
    admin = make.user(roles=["provider_admin"])
    provider = ready_provider(make, status="submitted", admin=admin)
    client = login(admin)
    response = client.post("/provider/onboarding/name", data={"name": "Changed"})
    assert response.status_code == 302 and response.location.endswith("/provider")
    db.session.refresh(provider)
    assert provider.name != "Changed"
    page = client.get("/provider").get_data(as_text=True)
    assert "cannot change your answers" in page


def test_editing_an_approved_provider_bumps_the_catalog(make, login):
    from marketplace.catalog_version import current_catalog_version

    admin = make.user(roles=["provider_admin"])
    ready_provider(make, status="approved", admin=admin)
    before = current_catalog_version()
    login(admin).post("/provider/onboarding/rate", data={"hourly_rate": "25"})
    assert current_catalog_version() == before + 1


def test_dashboard_without_provider_links_to_onboarding(admin_client):
    page = admin_client.get("/provider").get_data(as_text=True)
    assert "You have not added an organisation yet" in page
    assert "/provider/onboarding" in page


def test_dashboard_shows_status_checklist_and_change_links(make, login):
    admin = make.user(roles=["provider_admin"])
    provider = ready_provider(make, admin=admin, evidence=False)
    mark_unanswered(provider, "contact")
    page = login(admin).get("/provider").get_data(as_text=True)
    assert provider.name in page and "Draft" in page
    assert "You have not sent your organisation for quality review yet" in page
    assert "What quality review needs" in page
    assert "Not uploaded yet" in page and "Not answered yet" in page
    assert "/provider/onboarding/contact?return_to=dashboard" in page
    assert "Send for quality review" in page


def test_admin_of_two_providers_can_switch(make, login):
    admin = make.user(roles=["provider_admin"])
    first = make.provider(qa_status="draft", admin=admin, name="First Co-op")
    second = make.provider(qa_status="draft", admin=admin, name="Second Co-op")
    client = login(admin)
    # Nothing chosen yet: the same chooser as the carers and teams pages.
    page = client.get("/provider").get_data(as_text=True)
    assert "Choose which organisation to work on" in page
    assert f"/provider?provider={first.id}" in page and f"/provider?provider={second.id}" in page
    page = client.get(f"/provider?provider={first.id}").get_data(as_text=True)
    assert '<h1 class="heading-l">First Co-op</h1>' in page
    client.post("/provider/switch", data={"provider_id": second.id})
    page = client.get("/provider").get_data(as_text=True)
    assert '<h1 class="heading-l">Second Co-op</h1>' in page
    # One choice for every provider-admin page: the carers list follows it too.
    assert "Choose whose carers to manage" not in client.get("/provider/carers/").get_data(
        as_text=True
    )
    other = make.provider(qa_status="draft")
    assert client.post("/provider/switch", data={"provider_id": other.id}).status_code == 403
    assert client.post("/provider/switch", data={"provider_id": 999999}).status_code == 404


def test_onboarding_progress_row_is_removed_with_the_provider(make, admin_client, admin_user):
    _walk(admin_client, ["name"])
    provider = _provider_of(admin_user)
    db.session.delete(provider)
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OnboardingProgress)) == 0
