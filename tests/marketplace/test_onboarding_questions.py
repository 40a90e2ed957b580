"""Each onboarding question is one record: declaring one more (here, in the test) adds it
to the question pages, "Check your answers", the dashboard, the reviewer's page and the
QA checklist, with nothing else to change."""

from __future__ import annotations

import pytest
from qa_helpers import ready_provider
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from marketplace.extensions import db
from marketplace.providers import onboarding, qa
from marketplace.providers.forms import StepForm


class AboutForm(StepForm):
    about = TextAreaField(
        "What should people know about your organisation?",
        description="A few sentences for your public page.",
        validators=[
            DataRequired("Say something about your organisation"),
            Length(max=2000, message="Keep it to 2,000 characters or fewer"),
        ],
    )


ABOUT = onboarding.Question(
    "about",
    "About your organisation",
    AboutForm,
    load=lambda p: {"about": p.description},
    save=lambda p, form: setattr(p, "description", form.about.data.strip()),
    summary=lambda p: [p.description or "Not given"],
    check=lambda p: (bool(p.description), "Given" if p.description else "Say who you are"),
)


@pytest.fixture
def with_about(monkeypatch):
    monkeypatch.setattr(onboarding, "QUESTIONS", (*onboarding.QUESTIONS, ABOUT))


def test_the_questions_are_records_in_order():
    assert onboarding.slugs() == [
        "name",
        "legal-form",
        "registration",
        "principles",
        "members",
        "service-area",
        "regulator",
        "services",
        "languages",
        "rate",
        "contact",
    ]
    assert len({q.slug for q in onboarding.QUESTIONS}) == len(onboarding.QUESTIONS)
    assert all(onboarding.get(slug).slug == slug for slug in onboarding.slugs())
    assert onboarding.get("no-such-question") is None


def test_one_more_record_is_one_more_question_everywhere(with_about, make, login):
    admin = make.user(roles=["provider_admin"])
    provider = ready_provider(make, admin=admin, description="")
    client = login(admin)

    # The question list and its page (the generic page: the record names no template).
    assert onboarding.applicable_steps(provider)[-1] == "about"
    assert onboarding.next_step(provider, "contact") == "about"
    page = client.get("/provider/onboarding/about").get_data(as_text=True)
    assert "question 12 of 12" in page
    assert "About your organisation" in page
    assert "What should people know about your organisation?" in page

    # The checklist and what review still needs: the answer is not there yet.
    items = {item.key: item for item in qa.checklist(provider)}
    assert not items["about"].ok and items["about"].detail == "Say who you are"
    assert items["about"].step == "about"
    assert "About your organisation: Say who you are" in qa.missing_items(provider)
    with pytest.raises(qa.NotReady):
        qa.transition(provider, "submit", admin)
    dashboard = client.get("/provider").get_data(as_text=True)
    assert "/provider/onboarding/about?return_to=dashboard" in dashboard

    # Bad input: the error summary, nothing saved.
    response = client.post("/provider/onboarding/about", data={"about": ""})
    assert response.status_code == 200
    assert "Say something about your organisation" in response.get_data(as_text=True)

    # Answered: saved, read back on the summary pages, and the check passes.
    response = client.post("/provider/onboarding/about", data={"about": "  We are Leeds.  "})
    assert response.status_code == 302
    assert response.location.endswith("/provider/onboarding/check")
    db.session.refresh(provider)
    assert provider.description == "We are Leeds."
    check_page = client.get("/provider/onboarding/check").get_data(as_text=True)
    assert "About your organisation" in check_page and "We are Leeds." in check_page
    assert "/provider/onboarding/about?return_to=check" in check_page
    assert {row["step"]: row for row in onboarding.answer_rows(provider)}["about"]["lines"] == [
        "We are Leeds."
    ]
    assert {item.key: item for item in qa.checklist(provider)}["about"].ok
    refilled = client.get("/provider/onboarding/about").get_data(as_text=True)
    assert "We are Leeds." in refilled

    reviewer = make.user(roles=["reviewer"])
    review_page = login(reviewer).get(f"/review/providers/{provider.id}").get_data(as_text=True)
    assert "About your organisation" in review_page and "We are Leeds." in review_page


def test_without_the_record_there_is_no_such_question(make, login):
    admin = make.user(roles=["provider_admin"])
    ready_provider(make, admin=admin)
    assert login(admin).get("/provider/onboarding/about").status_code == 404
