"""Platform staff reading a person's budget (its ledger), arrangement or membership as
none of its parties is on the record, as staff readings of an introduction's thread are
(authz.staff_reading decides; audit.record_staff_reading writes): '<kind>.staff_read'."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace import authz
from marketplace.choices import ConsentScope
from marketplace.extensions import db
from marketplace.models import AuditLog, Membership, MembershipPlan
from tests.arrangements_helpers import agreed, setup


def _reads(action: str, target) -> list[AuditLog]:
    return list(
        db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == action, AuditLog.target_id == target.id)
        )
    )


def _membership(provider, person) -> Membership:
    plan = MembershipPlan(provider_id=provider.id, name="Living well", monthly_price_pence=45_000,
                          included="Weekly visits", outcomes=["Sleeps well"])  # fmt: skip
    db.session.add(plan)
    db.session.flush()
    membership = Membership(plan_id=plan.id, person_id=person.id, stripe_subscription_id="sub_x",
                            status="active", status_observed_at=1, outcomes=["Sleeps well"],
                            current_period_end=2_000_000_000, demo=True)  # fmt: skip
    db.session.add(membership)
    db.session.flush()
    return membership


def test_an_admin_opening_a_persons_budget_is_audited_and_its_parties_are_not(make, login):
    person_user = make.user(roles=["person"])
    budget = make.budget(person_user.person)
    supporter = make.user(roles=["supporter"])
    make.consent(person_user.person, supporter, scopes=[ConsentScope.VIEW.value])
    admin = make.user(roles=["admin"])
    db.session.commit()

    assert login(person_user).get(f"/budgets/{budget.id}").status_code == 200
    assert login(supporter).get(f"/budgets/{budget.id}").status_code == 200
    assert _reads("budget.staff_read", budget) == []

    assert login(admin).get(f"/budgets/{budget.id}").status_code == 200
    (row,) = _reads("budget.staff_read", budget)
    assert row.actor_user_id == admin.id and row.target_type == "Budget"
    assert row.detail == {"person_id": person_user.person.id}
    # An admin who is also the person reads their own budget: not a staff reading.
    admin_and_person = make.user(roles=["admin", "person"])
    own = make.budget(admin_and_person.person)
    assert authz.can(admin_and_person, "budget.view", own)
    assert not authz.staff_reading(admin_and_person, own)


def test_a_former_members_budget_read_by_an_admin_is_audited(make, login):
    budget = make.budget(None)  # the person deleted their account; the budget outlives them
    admin = make.user(roles=["admin"])
    db.session.commit()
    assert login(admin).get(f"/budgets/{budget.id}").status_code == 200
    (row,) = _reads("budget.staff_read", budget)
    assert row.detail == {"person_id": None}


def test_an_admin_opening_an_arrangement_or_its_easy_read_is_audited(make, login):
    s = setup(make)
    arrangement = agreed(s)
    admin = make.user(roles=["admin"])
    db.session.commit()
    for user in (s.person_user, s.admin):  # the two sides
        assert login(user).get(f"/arrangements/{arrangement.id}").status_code == 200
    assert _reads("arrangement.staff_read", arrangement) == []
    client = login(admin)
    assert client.get(f"/arrangements/{arrangement.id}").status_code == 200
    assert client.get(f"/arrangements/{arrangement.id}/easy-read").status_code == 200
    rows = _reads("arrangement.staff_read", arrangement)
    assert [r.actor_user_id for r in rows] == [admin.id, admin.id]


def test_an_admin_opening_a_membership_is_audited(make, login):
    provider_admin = make.user(roles=["provider_admin"])
    provider = make.provider(admin=provider_admin)
    person_user = make.user(roles=["person"])
    membership = _membership(provider, person_user.person)
    admin = make.user(roles=["admin"])
    db.session.commit()
    for user in (person_user, provider_admin):
        assert login(user).get(f"/memberships/{membership.id}").status_code == 200
    assert _reads("membership.staff_read", membership) == []
    assert login(admin).get(f"/memberships/{membership.id}").status_code == 200
    (row,) = _reads("membership.staff_read", membership)
    assert row.actor_user_id == admin.id


def test_nobody_who_may_not_see_it_leaves_a_staff_reading(make, login):
    budget = make.budget(make.user(roles=["person"]).person)
    for role in ("reviewer", "provider_admin", "supporter", "carer"):
        user = make.user(roles=[role])
        assert not authz.staff_reading(user, budget)
        assert login(user).get(f"/budgets/{budget.id}").status_code == 404
    assert _reads("budget.staff_read", budget) == []
