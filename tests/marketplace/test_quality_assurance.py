"""The QA status machine, the reviewers' pages, notifications and the expiry job."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from qa_helpers import TODAY, add_evidence, mark_unanswered, outbox, ready_provider

from marketplace import clock
from marketplace.catalog_version import current_catalog_version
from marketplace.extensions import db
from marketplace.models import AuditLog, Evidence, Notification, QAEvent
from marketplace.models.providers import QA_STATUSES
from marketplace.providers import qa

ACTIONS = ["submit", "approve", "request_changes", "suspend", "reinstate"]
LEGAL = {
    ("draft", "submit"): "submitted",
    ("changes_requested", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "request_changes"): "changes_requested",
    ("approved", "suspend"): "suspended",
    ("suspended", "reinstate"): "approved",
}


@pytest.fixture
def admin(make):
    return make.user(roles=["provider_admin"])


@pytest.fixture
def reviewer(make):
    return make.user(roles=["reviewer"])


def _actor(action, admin, reviewer):
    return admin if action == "submit" else reviewer


def _events(provider):
    return db.session.scalars(
        sa.select(QAEvent).where(QAEvent.provider_id == provider.id).order_by(QAEvent.id)
    ).all()


def test_the_transition_table_is_exactly_the_documented_workflow():
    table = {(s, a): t for s, moves in qa.TRANSITIONS.items() for a, t in moves.items()}
    assert table == LEGAL
    assert set(qa.TRANSITIONS) <= set(QA_STATUSES)


@pytest.mark.parametrize("status", QA_STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_status_and_action(make, app, admin, reviewer, status, action):
    provider = ready_provider(make, status=status, admin=admin)
    actor = _actor(action, admin, reviewer)
    version = current_catalog_version()
    if (status, action) not in LEGAL:
        with pytest.raises(qa.IllegalTransition) as caught:
            qa.transition(provider, action, actor, reason="Because")
        assert "cannot be" in str(caught.value) and "its status is" in str(caught.value)
        assert provider.qa_status == status and _events(provider) == []
        return
    event = qa.transition(provider, action, actor, reason="Because")
    db.session.commit()
    expected = LEGAL[(status, action)]
    assert provider.qa_status == expected
    assert (event.from_status, event.to_status, event.actor_user_id, event.reason) == (
        status,
        expected,
        actor.id,
        "Because",
    )
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == f"provider.qa.{action}"))
    assert audit.target_id == provider.id and audit.detail["to_status"] == expected
    # The provider's admins hear about it, in the service and by email.
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == admin.id))
    assert note is not None and note.link == "/provider" and note.read_at is None
    assert any(admin.email in message.to for message in outbox(app))
    bumped = expected in {"approved", "suspended"}
    assert current_catalog_version() == version + (1 if bumped else 0)
    if expected == "approved":
        assert provider.approved_at is not None


def test_approving_sets_approved_at_and_bumps_the_catalog(make, admin, reviewer):
    provider = ready_provider(make, status="submitted", admin=admin)
    version = current_catalog_version()
    qa.transition(provider, "approve", reviewer)
    db.session.flush()
    db.session.expire_all()
    assert provider.qa_status == "approved" and provider.approved_at is not None
    assert current_catalog_version() == version + 1


@pytest.mark.parametrize("action", ["request_changes", "suspend"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_reason_is_required(make, admin, reviewer, action, reason):
    status = "submitted" if action == "request_changes" else "approved"
    provider = ready_provider(make, status=status, admin=admin)
    with pytest.raises(qa.ReasonRequired):
        qa.transition(provider, action, reviewer, reason=reason)
    assert provider.qa_status == status


def test_submit_is_blocked_and_lists_what_is_missing(make, admin):
    provider = ready_provider(
        make,
        admin=admin,
        evidence=False,
        hourly_rate_pence=None,
        regulated=True,
        regulator="cqc",
    )
    mark_unanswered(provider, "members")
    add_evidence(provider, "insurance", clock.today() - timedelta(days=1))
    with pytest.raises(qa.NotReady) as caught:
        qa.transition(provider, "submit", admin)
    missing = "\n".join(caught.value.missing)
    assert "Typical hourly rate" in missing
    assert "Members: Not answered yet" in missing
    assert "Care regulator: Enter your CQC location ID and CQC rating" in missing
    assert "Insurance (employer's and public liability): Expired on" in missing
    assert "Safeguarding policy: Not uploaded yet" in missing
    assert (
        "Care regulator registration certificate (CQC, Care Inspectorate, CIW or RQIA): "
        + ("Not uploaded yet")
        in missing
    )
    assert provider.qa_status == "draft"


def test_submit_from_the_dashboard_shows_missing_items(make, login, admin):
    ready_provider(make, admin=admin, evidence=False)
    response = login(admin).post("/provider/submit")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "You cannot send your organisation for review yet" in body
    assert "Safeguarding policy: Not uploaded yet" in body


def test_submit_from_the_dashboard(make, login, admin, app):
    provider = ready_provider(make, admin=admin)
    client = login(admin)
    response = client.post("/provider/submit")
    assert response.status_code == 302
    db.session.refresh(provider)
    assert provider.qa_status == "submitted"
    page = client.get("/provider").get_data(as_text=True)
    assert "Waiting for quality review" in page and "We have received" in page
    assert "Send for quality review" not in page
    assert outbox(app)[-1].subject == "CoopCare: We have received your application"


def test_submitting_twice_is_a_clear_conflict_not_an_error(make, login, admin):
    ready_provider(make, status="submitted", admin=admin)
    response = login(admin).post("/provider/submit")
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "This provider cannot be sent for review now" in body
    assert "“waiting for quality review”" in body


def test_approve_and_reinstate_need_a_complete_checklist(make, admin, reviewer):
    provider = ready_provider(make, status="submitted", admin=admin, evidence=False)
    with pytest.raises(qa.NotReady):
        qa.transition(provider, "approve", reviewer)
    suspended = ready_provider(
        make, status="suspended", admin=admin, expires_on=clock.today() - timedelta(days=3)
    )
    with pytest.raises(qa.NotReady):
        qa.transition(suspended, "reinstate", reviewer)


def test_who_may_act(make, admin, reviewer):
    provider = ready_provider(make, status="submitted", admin=admin)
    with pytest.raises(qa.NotAllowed):
        qa.transition(provider, "approve", admin)  # a provider admin cannot approve
    draft = ready_provider(make, admin=admin)
    with pytest.raises(qa.NotAllowed):
        qa.transition(draft, "submit", reviewer)  # a reviewer cannot submit for them
    with pytest.raises(qa.NotAllowed):
        qa.transition(provider, "approve", None)  # the system only suspends
    both = make.user(roles=["reviewer", "provider_admin"])
    own = ready_provider(make, status="submitted", admin=both)
    with pytest.raises(qa.NotAllowed, match="cannot review an organisation you run"):
        qa.transition(own, "approve", both)


def test_a_stale_decision_loses(make, admin, reviewer):
    provider = ready_provider(make, status="submitted", admin=admin)
    # Another reviewer approved it a moment ago, behind this session's back.
    db.session.execute(
        sa.text(
            "UPDATE providers SET qa_status = 'approved', "
            "approved_at = CURRENT_TIMESTAMP WHERE id = :id"
        ),
        {"id": provider.id},
    )
    with pytest.raises(qa.IllegalTransition):
        qa.transition(provider, "request_changes", reviewer, reason="Fix it")
    assert provider.qa_status == "approved"


# -- reviewer pages -------------------------------------------------------------------


def test_queue_lists_submitted_oldest_first_then_the_rest(make, login, reviewer, admin):
    newer = ready_provider(make, status="draft", admin=admin, name="Newer Co-op")
    older = ready_provider(make, status="draft", admin=admin, name="Older Co-op")
    first = qa.transition(older, "submit", admin)
    first.at = first.at - timedelta(days=2)
    qa.transition(newer, "submit", admin)
    approved = ready_provider(
        make,
        status="approved",
        name="Approved Co-op",
        expires_on=clock.today() + timedelta(days=5),
    )
    ready_provider(make, status="suspended", name="Suspended Co-op")
    ready_provider(make, status="changes_requested", name="Changing Co-op")
    ready_provider(make, status="draft", name="Drafty Co-op")
    page = login(reviewer).get("/review").get_data(as_text=True)
    assert page.index("Older Co-op") < page.index("Newer Co-op") < page.index("Changing Co-op")
    assert "Suspended Co-op" in page and "Approved Co-op" in page
    assert "Drafty Co-op" not in page
    assert "Expiring or expired" in page
    assert approved.id


def test_review_page_shows_checklist_answers_evidence_and_actions(
    make, login, reviewer, admin, tmp_path
):
    provider = ready_provider(make, status="submitted", admin=admin, fca_number="4321R")
    page = login(reviewer).get(f"/review/providers/{provider.id}").get_data(as_text=True)
    assert "Checklist" in page and "Every item is complete" in page
    assert "4321R" in page
    assert "/provider/evidence/" in page and "/download" in page
    assert 'value="approve"' in page and 'value="request_changes"' in page
    assert 'value="suspend"' not in page


@pytest.mark.parametrize(
    "status, action, comment, expected",
    [
        ("submitted", "approve", "", "approved"),
        ("submitted", "request_changes", "Please upload the signed policy.", "changes_requested"),
        ("approved", "suspend", "Complaint under investigation.", "suspended"),
        ("suspended", "reinstate", "", "approved"),
    ],
)
def test_reviewer_decisions(make, login, reviewer, admin, status, action, comment, expected):
    provider = ready_provider(make, status=status, admin=admin)
    response = login(reviewer).post(
        f"/review/providers/{provider.id}", data={"action": action, "comment": comment}
    )
    assert response.status_code == 302
    db.session.refresh(provider)
    assert provider.qa_status == expected
    (event,) = _events(provider)
    assert event.actor_user_id == reviewer.id and event.reason == comment


def test_request_changes_without_comment_shows_an_error(make, login, reviewer, admin):
    provider = ready_provider(make, status="submitted", admin=admin)
    response = login(reviewer).post(
        f"/review/providers/{provider.id}", data={"action": "request_changes", "comment": ""}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in body and "Enter what needs to change" in body
    db.session.refresh(provider)
    assert provider.qa_status == "submitted" and _events(provider) == []


def test_suspend_without_reason_shows_an_error(make, login, reviewer):
    provider = ready_provider(make, status="approved")
    body = (
        login(reviewer)
        .post(f"/review/providers/{provider.id}", data={"action": "suspend"})
        .get_data(as_text=True)
    )
    assert "Enter why" in body


def test_illegal_decision_in_html_is_409_with_a_message(make, login, reviewer):
    provider = ready_provider(make, status="draft")
    response = login(reviewer).post(f"/review/providers/{provider.id}", data={"action": "approve"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "This provider cannot be approved now: its status is “draft”." in body
    assert "It can only be sent for review." in body


def test_unknown_action_is_400(make, login, reviewer):
    provider = ready_provider(make, status="submitted")
    response = login(reviewer).post(
        f"/review/providers/{provider.id}", data={"action": "delete_everything"}
    )
    assert response.status_code == 400


def test_approve_with_missing_items_lists_them(make, login, reviewer):
    provider = ready_provider(make, status="submitted", evidence=False)
    response = login(reviewer).post(f"/review/providers/{provider.id}", data={"action": "approve"})
    body = response.get_data(as_text=True)
    assert "This provider cannot be approved yet" in body and "Not uploaded yet" in body


def test_reviewer_cannot_decide_on_their_own_organisation(make, login):
    both = make.user(roles=["reviewer", "provider_admin"])
    provider = ready_provider(make, status="submitted", admin=both)
    client = login(both)
    assert "another reviewer must decide" in client.get(
        f"/review/providers/{provider.id}"
    ).get_data(as_text=True)
    response = client.post(f"/review/providers/{provider.id}", data={"action": "approve"})
    assert response.status_code == 403


def test_dashboard_shows_the_reviewers_comment(make, login, reviewer, admin):
    provider = ready_provider(make, status="submitted", admin=admin)
    qa.transition(provider, "request_changes", reviewer, reason="Your DBS policy is unsigned.")
    db.session.commit()
    page = login(admin).get("/provider").get_data(as_text=True)
    assert "What the reviewer asked you to change" in page
    assert "Your DBS policy is unsigned." in page
    assert "Send for quality review" in page  # they can send it again


def test_notifications_can_be_marked_read(make, login, reviewer, admin):
    provider = ready_provider(make, status="submitted", admin=admin)
    qa.transition(provider, "approve", reviewer)
    db.session.commit()
    client = login(admin)
    assert "Mark all as read" in client.get("/provider").get_data(as_text=True)
    client.post("/provider/notifications/read")
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == admin.id))
    db.session.refresh(note)
    assert note.read_at is not None


def test_email_is_sent_only_after_commit(make, app, admin, reviewer):
    provider = ready_provider(make, status="submitted", admin=admin)
    before = len(outbox(app))
    with db.session.begin_nested():
        qa.transition(provider, "approve", reviewer)
    assert len(outbox(app)) == before  # not committed yet
    db.session.rollback()
    db.session.commit()
    assert len(outbox(app)) == before  # rolled back: nothing sent


def test_email_from_a_rolled_back_savepoint_is_not_sent(make, app, admin, reviewer):
    provider = ready_provider(make, status="submitted", admin=admin, name="Undone Co-op")
    other = ready_provider(make, status="submitted", admin=admin, name="Kept Co-op")
    before = len(outbox(app))
    savepoint = db.session.begin_nested()
    qa.transition(provider, "approve", reviewer)
    savepoint.rollback()
    qa.transition(other, "approve", reviewer)
    db.session.commit()
    sent = outbox(app)[before:]
    assert len(sent) == 1
    assert "Kept Co-op" in sent[0].body and "Undone Co-op" not in sent[0].body
    assert provider.qa_status == "submitted" and other.qa_status == "approved"


# -- the expiry job -------------------------------------------------------------------


def _approved_with_insurance(make, admin, expires_on):
    provider = ready_provider(
        make, status="approved", admin=admin, expires_on=TODAY + timedelta(days=300)
    )
    current = qa.current_evidence(provider.id)["insurance"]
    current.expires_on = expires_on
    db.session.flush()
    return provider


def test_expiry_warns_thirty_days_ahead_once(make, admin):
    provider = _approved_with_insurance(make, admin, TODAY + timedelta(days=30))
    report = qa.run_expiry_check(TODAY - timedelta(days=1))  # 31 days ahead: too early
    assert report.warned == []
    report = qa.run_expiry_check(TODAY)
    assert report.warned == [(provider.name, "insurance", TODAY + timedelta(days=30))]
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == admin.id))
    assert [n.message for n in notes] == [
        f"Insurance for {provider.name} expires on 1 July 2026. "
        "Upload the new document before then to stay listed."
    ]
    again = qa.run_expiry_check(TODAY + timedelta(days=1))
    assert again.warned == [] and again.suspended == []
    assert provider.qa_status == "approved"


def test_expiry_suspends_approved_provider_with_expired_evidence(make, admin):
    provider = _approved_with_insurance(make, admin, date_ := TODAY - timedelta(days=1))
    version = current_catalog_version()
    report = qa.run_expiry_check(TODAY)
    assert report.suspended == [(provider.name, "Insurance expired on 31 May 2026")]
    assert provider.qa_status == "suspended"
    (event,) = _events(provider)
    assert event.actor_user_id is None and event.reason == "Insurance expired on 31 May 2026"
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "provider.qa.suspend"))
    assert current_catalog_version() == version + 1
    messages = [
        n.message
        for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == admin.id))
    ]
    assert messages == [
        f"{provider.name} has been suspended and is not listed on CoopCare. "
        "Reason: Insurance expired on 31 May 2026"
    ]
    # Running again changes nothing.
    again = qa.run_expiry_check(TODAY)
    assert again.suspended == [] and again.warned == []
    assert len(_events(provider)) == 1
    assert date_.year == 2026


def test_expiry_ignores_replaced_documents_and_drafts(make, admin):
    provider = _approved_with_insurance(make, admin, TODAY - timedelta(days=10))
    qa.current_evidence(provider.id)["insurance"].archived_at = TODAY  # replaced...
    add_evidence(provider, "insurance", TODAY + timedelta(days=365))  # ...by a good one
    draft = ready_provider(make, status="draft", expires_on=TODAY + timedelta(days=3))
    report = qa.run_expiry_check(TODAY)
    assert report.suspended == [] and report.warned == []
    assert provider.qa_status == "approved" and draft.qa_status == "draft"


def test_expired_evidence_on_a_provider_under_review_is_flagged_not_suspended(make, admin):
    provider = ready_provider(
        make, status="submitted", admin=admin, expires_on=TODAY - timedelta(days=2)
    )
    report = qa.run_expiry_check(TODAY)
    assert report.suspended == []
    assert len(report.warned) == 3
    assert "Warned 1 provider about 3 documents expiring soon:" in report.summary()
    assert "Insurance expired on 30 May 2026" in report.summary()
    assert provider.qa_status == "submitted"


def test_flask_qa_expire_command(app, make, admin):
    provider = _approved_with_insurance(make, admin, TODAY - timedelta(days=1))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["qa", "expire", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Evidence expiry check for 1 June 2026." in result.output
    assert "Suspended 1 provider:" in result.output
    assert f"{provider.name}: Insurance expired on 31 May 2026" in result.output
    # Cron has no request: the email links to the configured public address.
    email = [m for m in outbox(app) if admin.email in m.to][-1]
    assert "https://coopcare.example/provider" in email.body
    again = runner.invoke(args=["qa", "expire", "--today", TODAY.isoformat()])
    assert "Suspended 0 providers." in again.output
    assert "Warned 0 providers about 0 documents" in again.output
    bad = runner.invoke(args=["qa", "expire", "--today", "yesterday"])
    assert bad.exit_code != 0


def test_checklist_items_come_from_the_data(make):
    provider = ready_provider(
        make,
        evidence=False,
        regulated=True,
        regulator="cqc",
        regulator_number="1-123456789",
        regulator_rating="good",
    )
    items = {item.key: item for item in qa.checklist(provider)}
    assert items["regulator"].ok and "1-123456789" in items["regulator"].detail
    assert items["registration"].ok and "12345R" in items["registration"].detail
    assert not items["evidence:cqc_registration"].ok
    assert {
        "evidence:insurance",
        "evidence:safeguarding_policy",
        "evidence:dbs_policy",
        "evidence:cqc_registration",
    } <= set(items)
    provider.regulated = False
    items = {item.key for item in qa.checklist(provider)}
    assert "evidence:cqc_registration" not in items


@pytest.mark.own_database
def test_demo_data_has_green_checklists_and_real_pdfs(tmp_path):
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.config import TestConfig
    from marketplace.demo import seed_demo
    from marketplace.models import Provider
    from marketplace.providers.evidence import detect_content_type, evidence_path

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    app = create_app(Config)
    with app.app_context():
        upgrade()
        seed_demo(carers=60, seed=1)
        db.session.commit()
        providers = db.session.scalars(sa.select(Provider).order_by(Provider.id)).all()
        by_status: dict[str, list] = {}
        for provider in providers:
            by_status.setdefault(provider.qa_status, []).append(provider)
        for provider in by_status["approved"] + by_status["submitted"]:
            assert qa.missing_items(provider) == [], provider.name
        (suspended,) = by_status["suspended"]
        assert qa.missing_items(suspended) == [
            "Insurance (employer's and public liability): Expired on 31 December 2025. "
            "Upload a new one."
        ]
        (changes,) = by_status["changes_requested"]
        assert qa.latest_event(changes, "changes_requested").reason
        for document in db.session.scalars(sa.select(Evidence)):
            data = evidence_path(app.config["UPLOAD_FOLDER"], document).read_bytes()
            assert detect_content_type(data) == "application/pdf"
            assert len(data) == document.size_bytes
        report = qa.run_expiry_check()  # today: nothing in the demo expires soon
        assert report.suspended == [] and report.warned == []
        db.session.remove()
        db.engine.dispose()
