"""authz.acting_for and the person.* scope rules other pages use for supporters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import session

from marketplace import authz, clock
from marketplace.models import utcnow

SCOPES = ["view", "message", "manage_introductions", "pay"]


@pytest.mark.parametrize("scope", SCOPES)
def test_each_scope_is_a_named_rule_that_allows_only_itself(make, scope):
    person = make.user(roles=["person"]).person
    supporter = make.user(roles=["supporter"])
    make.consent(person, supporter, [scope])
    for other in SCOPES:
        assert authz.can(supporter, f"person.{other}", person) is (other == scope)
        assert authz.can(person.user, f"person.{other}", person)
    assert not authz.can(supporter, f"person.{scope}", None)  # nobody chosen: refused


def test_acting_for_picks_the_only_person_and_forgets_a_revoked_grant(app, make):
    person = make.user(roles=["person"]).person
    supporter = make.user(roles=["supporter"])
    grant = make.consent(person, supporter, ["view"])
    with app.test_request_context():
        assert authz.acting_for(supporter) == person
        grant.revoked_at = utcnow()
        assert authz.acting_for(supporter) is None


def test_a_supporter_of_several_people_chooses_and_the_choice_is_checked_again(app, make):
    ann = make.user(roles=["person"], display_name="Ann").person
    bob = make.user(roles=["person"], display_name="Bob").person
    stranger = make.user(roles=["person"]).person
    supporter = make.user(roles=["supporter"])
    make.consent(ann, supporter, ["view"])
    make.consent(bob, supporter, ["pay"], ends_at=utcnow() + timedelta(days=2))
    with app.test_request_context():
        assert authz.acting_for(supporter) is None  # two people: they must choose
        assert [g.person for g in authz.grants_in_force(supporter)] == [ann, bob]
        assert authz.choose_person(supporter, bob.id) == bob
        assert authz.acting_for(supporter) == bob
        assert authz.can(supporter, "person.pay", authz.acting_for(supporter))
        assert not authz.can(supporter, "person.view", authz.acting_for(supporter))
        with clock.frozen(utcnow() + timedelta(days=3)):  # Bob's grant has ended
            assert authz.acting_for(supporter) == ann  # the only one left
            assert authz.ACTING_FOR_KEY not in session
        from werkzeug.exceptions import Forbidden

        for person_id in (stranger.id, 999_999):  # no grant / nobody: the same answer
            with pytest.raises(Forbidden):
                authz.choose_person(supporter, person_id)


def test_only_the_person_manages_their_supporters(make):
    person = make.user(roles=["person"]).person
    supporter = make.user(roles=["supporter"])
    grant = make.consent(person, supporter, SCOPES)
    assert authz.can(person.user, "supporters.manage", person)
    assert not authz.can(supporter, "supporters.manage", person)  # even with every scope
    assert authz.can(person.user, "consent_grant.change", grant)
    assert not authz.can(supporter, "consent_grant.change", grant)
    assert not authz.can(make.user(roles=["admin"]), "supporters.manage", person)
