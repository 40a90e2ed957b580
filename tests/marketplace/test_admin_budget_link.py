"""Admins see a link to set up a budget for the person whose arrangement or membership
they are looking at; nobody else does (authz rule budget.create_for_someone_else)."""

from __future__ import annotations

import pytest

from marketplace import authz
from marketplace.extensions import db
from tests.arrangements_helpers import agreed, setup


def _link(person) -> str:
    return f'href="/budgets/new?person={person.id}">Set up a budget for {person.display_name}</a>'


def test_an_admin_viewing_an_arrangement_gets_the_link_and_it_opens_the_form(make, login):
    s = setup(make)
    arrangement = agreed(s)
    admin = make.user(roles=["admin"])
    db.session.commit()
    client = login(admin)
    page = client.get(f"/arrangements/{arrangement.id}").get_data(as_text=True)
    assert _link(s.person) in page
    form = client.get(f"/budgets/new?person={s.person.id}")
    assert form.status_code == 200 and "Set up a budget" in form.get_data(as_text=True)


@pytest.mark.parametrize("who", ["person", "provider_admin"])
def test_the_person_and_the_provider_do_not_get_the_link(make, login, who):
    s = setup(make)
    arrangement = agreed(s)
    db.session.commit()
    user = s.person_user if who == "person" else s.admin
    page = login(user).get(f"/arrangements/{arrangement.id}").get_data(as_text=True)
    assert "/budgets/new?person=" not in page


def test_the_rule_is_for_admins_about_someone_else(make):
    person_user = make.user(roles=["person"])
    admin = make.user(roles=["admin"])
    provider_admin = make.user(roles=["provider_admin"])
    rule = "budget.create_for_someone_else"
    assert authz.can(admin, rule, person_user.person)
    assert not authz.can(person_user, rule, person_user.person)
    assert not authz.can(provider_admin, rule, person_user.person)
    assert not authz.can(None, rule, person_user.person)
    admin_and_person = make.user(roles=["admin", "person"])
    assert not authz.can(admin_and_person, rule, admin_and_person.person)
