"""The provider dashboard (GET /provider) costs the same few statements however many
carers, teams, QA events and reviewers the provider has."""

from __future__ import annotations

from qa_helpers import ready_provider
from query_helpers import statements

from marketplace.extensions import db
from marketplace.models import Provider, User
from marketplace.providers import qa


def _dashboard_selects(client) -> list[str]:
    db.session.expunge_all()  # nothing kept in the session: every read is a statement
    with statements() as seen:
        page = client.get("/provider")
    assert page.status_code == 200
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


def test_dashboard_queries_do_not_grow_with_the_provider(make, login):
    admin = make.user(roles=["provider_admin"])
    provider = ready_provider(make, status="submitted", admin=admin)
    client = login(admin)
    provider_id, admin_id = provider.id, admin.id
    small = _dashboard_selects(client)
    provider, admin = db.session.get(Provider, provider_id), db.session.get(User, admin_id)

    for n in range(4):
        make.carer(provider, display_name=f"Carer {n}")
        make.team(provider, name=f"Team {n}")
    # A history written by three different reviewers and the admin.
    for n in range(3):
        reviewer = make.user(roles=["reviewer"], display_name=f"Reviewer {n}")
        qa.transition(provider, "request_changes", reviewer, reason=f"Change number {n}")
        qa.transition(provider, "submit", admin)
    db.session.commit()
    big = _dashboard_selects(client)
    page = client.get("/provider").get_data(as_text=True)
    assert all(f"Reviewer {n}" in page for n in range(3))
    assert "Change number 2" in page

    assert len(big) == len(small), big
    # The user and their roles, the provider (as chosen, and the list to switch between),
    # its onboarding progress, its current documents, its QA history with each event's
    # actor, the notifications and the unread count: each once.
    assert len(big) <= 9, big
