"""marketplace.authz: object-level rules that the route matrix cannot reach yet."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace import authz, clock
from marketplace.models import utcnow


@pytest.fixture
def family(make):
    person_user = make.user(roles=["person"])
    return person_user, person_user.person


@pytest.mark.parametrize("scope", ["view", "message", "pay"])
def test_a_supporter_acts_only_inside_the_scope_they_were_given(make, family, scope):
    person_user, person = family
    supporter = make.user(roles=["supporter"])
    make.consent(person, supporter, [scope])
    for action in ("person.view", "person.message", "person.pay"):
        assert authz.can(supporter, action, person) is (action == f"person.{scope}")
        assert authz.can(person_user, action, person)  # the person themselves
    other = make.user(roles=["person"]).person
    assert not authz.can(supporter, f"person.{scope}", other)  # another person's data


def test_a_grant_counts_only_inside_its_time_window_and_until_revoked(make, family):
    _, person = family
    supporter = make.user(roles=["supporter"])
    starts = utcnow() + timedelta(days=1)
    grant = make.consent(person, supporter, ["view"], starts_at=starts,
                         ends_at=starts + timedelta(days=7))  # fmt: skip
    assert not authz.can(supporter, "person.view", person)  # not started
    with clock.frozen(starts + timedelta(days=2)):
        assert authz.can(supporter, "person.view", person)
    with clock.frozen(starts + timedelta(days=8)):
        assert not authz.can(supporter, "person.view", person)  # ended
    with clock.frozen(starts + timedelta(days=2)):
        grant.revoked_at = utcnow()
        assert not authz.can(supporter, "person.view", person)


def test_supporter_actions_are_recorded_for_the_person(make, family):
    person_user, person = family
    supporter = make.user(roles=["supporter"])
    assert authz.on_behalf_of(supporter, person) == person.id
    assert authz.on_behalf_of(person_user, person) is None


def test_admins_manage_every_provider_but_review_only_what_they_do_not_run(make):
    admin, platform = make.user(roles=["provider_admin", "reviewer"]), make.user(roles=["admin"])
    mine, theirs = make.provider(admin=admin), make.provider()
    assert authz.can(admin, "provider.manage", mine) and not authz.can(
        admin, "provider.manage", theirs
    )
    assert authz.can(platform, "provider.manage", theirs)
    assert authz.refusal(admin, "qa.review", mine) == (
        "You cannot review an organisation you run. Ask another reviewer."
    )
    assert authz.can(admin, "qa.review", theirs)
    assert authz.managed_providers(admin) == [mine]
    assert set(authz.managed_providers(platform)) >= {mine, theirs}


def test_carers_edit_only_their_own_profile_and_pas_are_managed_by_admins(make):
    carer_user, other_user = make.user(roles=["carer"]), make.user(roles=["carer"])
    carer = make.carer(user_id=carer_user.id)
    pa = make.carer()
    pa.provider_id = None  # a self-employed PA has no provider
    assert authz.can(carer_user, "carer.edit_own", carer)
    assert not authz.can(other_user, "carer.edit_own", carer)
    assert authz.can(make.user(roles=["admin"]), "carer.manage", pa)
    assert not authz.can(make.user(roles=["provider_admin"]), "carer.manage", pa)


def test_anonymous_may_nothing_and_an_unknown_action_is_an_error(make):
    from flask_login import AnonymousUserMixin

    provider = make.provider()
    for nobody in (None, AnonymousUserMixin()):
        assert authz.refusal(nobody, "provider.manage", provider) == "Sign in first."
        assert not authz.can(nobody, "account.use")
    with pytest.raises(KeyError):
        authz.can(make.user(roles=["admin"]), "provider.demolish", provider)
