"""The permission matrix's column for a supporter of several people (the demo's Rosa,
family@): every scope from two people, Ann and Bob. One row per route: what they get
before choosing whom they act for, after choosing Ann, and after choosing Bob.

Pages about one person ask them to choose first (302 to /supporting); pages about
everyone they support answer at once; a thing of Ann's or Bob's named by its id answers
under that person's grant, whoever is chosen; a stranger's is not found (404), and a
page about one person shows the chosen person only, never the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from marketplace.extensions import db
from marketplace.models import ShortlistEntry

OK, GO, NO, NF = 200, 302, 403, 404
ASK = "ask"  # 302 to /supporting?next=...: choose whom first
ALL_SCOPES = ["view", "message", "manage_introductions", "pay"]


@dataclass
class Several:
    supporter: Any
    values: dict[str, Any]


@pytest.fixture
def several(make) -> Several:
    ann = make.user(roles=["person"], display_name="Ann Lee").person
    bob = make.user(roles=["person"], display_name="Bob Kay").person
    stranger = make.user(roles=["person"], display_name="Cy Stranger").person
    rosa = make.user(roles=["supporter"], display_name="Rosa")
    make.consent(ann, rosa, ALL_SCOPES)
    make.consent(bob, rosa, ALL_SCOPES)
    carer = make.carer(make.provider(), display_name="Ana S.")
    db.session.add_all(
        [
            ShortlistEntry(person_id=ann.id, carer_id=carer.id, note="Ann's private note"),
            ShortlistEntry(person_id=bob.id, carer_id=carer.id, note="Bob's private note"),
        ]
    )
    values = {
        "ann": ann.id,
        "bob": bob.id,
        "stranger": stranger.id,
        "ann_budget": make.budget(ann).id,
        "bob_budget": make.budget(bob).id,
        "stranger_budget": make.budget(stranger).id,
        "ann_intro": make.introduction(person=ann, carer=carer).id,
        "stranger_intro": make.introduction(person=stranger, carer=carer).id,
    }
    db.session.flush()
    return Several(rosa, values)


# (method, url, data, [before choosing, chose Ann, chose Bob]), by feature.
SUPPORTING = [
    ("GET", "/supporting", None, [OK, OK, OK]),
    ("GET", "/supporting/profile", None, [ASK, OK, OK]),
    ("POST", "/supporting/choose", {"person_id": "{stranger}"}, [NO, NO, NO]),
]
SHORTLISTS = [
    ("GET", "/shortlist", None, [ASK, OK, OK]),
    ("GET", "/shortlist?person={ann}", None, [OK, OK, OK]),
    ("GET", "/shortlist?person={stranger}", None, [NF, NF, NF]),
]
INTRODUCTIONS = [
    ("GET", "/introductions", None, [OK, OK, OK]),
    ("GET", "/introductions/{ann_intro}", None, [OK, OK, OK]),
    ("GET", "/introductions/{stranger_intro}", None, [NF, NF, NF]),
]
BUDGETS = [
    ("GET", "/budgets", None, [OK, OK, OK]),
    ("GET", "/budgets/new", None, [ASK, OK, OK]),
    ("GET", "/budgets/new?person={bob}", None, [OK, OK, OK]),
    ("GET", "/budgets/new?person={stranger}", None, [NF, NF, NF]),
    ("GET", "/budgets/{ann_budget}", None, [OK, OK, OK]),
    ("GET", "/budgets/{bob_budget}", None, [OK, OK, OK]),
    ("GET", "/budgets/{stranger_budget}", None, [NF, NF, NF]),
    ("GET", "/arrangements", None, [OK, OK, OK]),
]
ROWS = SUPPORTING + SHORTLISTS + INTRODUCTIONS + BUDGETS
STATES = ["unchosen", "ann", "bob"]
CASES = [
    pytest.param(method, url, data, state, expected[i], id=f"{method} {url} {state}")
    for method, url, data, expected in ROWS
    for i, state in enumerate(STATES)
]


def _client(login, several: Several, state: str):
    client = login(several.supporter)
    if state != "unchosen":
        chosen = client.post("/supporting/choose", data={"person_id": several.values[state]})
        assert chosen.status_code == 302
    return client


@pytest.mark.parametrize("method, url, data, state, expected", CASES)
def test_supporter_of_several_people(login, several, method, url, data, state, expected):
    client = _client(login, several, state)
    target = url.format(**several.values)
    form = {k: v.format(**several.values) for k, v in (data or {}).items()}
    response = client.get(target) if method == "GET" else client.post(target, data=form)
    if expected == ASK:
        assert response.status_code == 302, response.status_code
        assert response.location.startswith("/supporting?next="), response.location
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("state", STATES)
def test_pages_about_one_person_show_only_the_chosen_one(login, several, state):
    client = _client(login, several, state)
    shortlist = client.get("/shortlist", follow_redirects=True).get_data(as_text=True)
    profile = client.get("/supporting/profile", follow_redirects=True).get_data(as_text=True)
    notes = {"ann": "Ann's private note", "bob": "Bob's private note"}
    names = {"ann": "Ann Lee", "bob": "Bob Kay"}
    for who in ("ann", "bob"):
        shown = who == state  # unchosen: neither person's data
        assert (notes[who].replace("'", "&#39;") in shortlist) is shown, (who, state)
        if state != "unchosen":
            assert (names[who] in profile) is shown, (who, state)


def test_every_row_names_a_route(app):
    adapter = app.url_map.bind("localhost")
    for method, url, _, expected in ROWS:
        adapter.match(url.split("?")[0].format(**dict.fromkeys(
            ("ann", "bob", "stranger", "ann_budget", "bob_budget", "stranger_budget",
             "ann_intro", "stranger_intro"), 1)), method=method)  # fmt: skip
        assert len(expected) == len(STATES)
