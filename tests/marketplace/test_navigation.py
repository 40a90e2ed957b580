"""Who sees which navigation link, and where a new account starts: marketplace.authz
decides both (by the same actions the pages themselves require)."""

from __future__ import annotations

import re

import pytest

from marketplace import authz

LINKS = {
    "person": {
        "Your profile",
        "Your shortlist",
        "Saved searches",
        "Memberships",
        "Your introductions",
        "Arrangements",
    },
    "carer": {"Your carer profile", "Introductions to you", "Arrangements"},
    "provider_admin": {
        "Your organisation",
        "Carers",
        "Teams",
        "Membership plans",
        "Introductions",
        "Reviews",
        "Arrangements",
    },
    "reviewer": {"Quality reviews", "Reported messages", "Review moderation"},
}


def test_the_page_shows_the_links(make, login):
    page = login(make.user(roles=["reviewer"])).get("/account").get_data(as_text=True)
    nav = re.search(r'<nav aria-label="Main".*?</nav>', page, re.S).group(0)
    assert 'href="/review">Quality reviews</a>' in nav
    assert "Your organisation" not in nav


@pytest.mark.parametrize("role", sorted(LINKS))
def test_each_role_sees_the_links_to_the_pages_it_may_use(app, make, role):
    user = make.user(roles=[role])
    labels = {label for _, label in authz.nav_entries(user, app.view_functions)}
    assert LINKS[role] <= labels
    others = set().union(*LINKS.values()) - LINKS[role]
    assert not labels & others
    assert "Council links" not in labels


def test_an_administrator_sees_every_link(app, make):
    admin = make.user(roles=["admin"])
    labels = {label for _, label in authz.nav_entries(admin, app.view_functions)}
    assert set().union(*LINKS.values()) | {"Council links"} <= labels


def test_nobody_signed_in_sees_no_links(app):
    from flask_login import AnonymousUserMixin

    assert authz.nav_entries(AnonymousUserMixin(), app.view_functions) == []
    assert authz.nav_entries(None, app.view_functions) == []


def test_a_link_to_a_missing_page_is_skipped(app, make):
    reviewer = make.user(roles=["reviewer"])
    endpoints = set(app.view_functions) - {"admin.queue"}
    assert "Quality reviews" not in {label for _, label in authz.nav_entries(reviewer, endpoints)}


def test_a_link_must_name_an_action_not_a_role(app, make, monkeypatch):
    monkeypatch.setattr(authz, "NAV_LINKS", [("admin.queue", "Quality reviews", ("reviewer",))])
    with pytest.raises(KeyError, match="not actions"):
        authz.nav_entries(make.user(roles=["reviewer"]), app.view_functions)
    with pytest.raises(ValueError):
        authz.nav_link("admin.queue", "Quality reviews")


def test_new_accounts_start_where_their_first_job_is(app, make):
    endpoints = app.view_functions
    assert authz.home_endpoint(make.user(roles=["provider_admin"]), endpoints) == (
        "providers.onboarding_start"
    )
    assert authz.home_endpoint(make.user(roles=["person"]), endpoints) == "auth.account"
    assert authz.home_endpoint(make.user(roles=["carer"]), endpoints) == "auth.account"
    without = set(endpoints) - {"providers.onboarding_start"}
    assert authz.home_endpoint(make.user(roles=["provider_admin"]), without) == "auth.account"
