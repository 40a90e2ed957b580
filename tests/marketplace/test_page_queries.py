"""Pages that must stay cheap: how many SQL statements a visit costs."""

from __future__ import annotations

import re

from query_helpers import statements

from marketplace.extensions import db


def _selects_from(table: str, seen: list[str]) -> int:
    return sum(
        1 for s in seen if re.search(rf"\bFROM {table}\b", s) and s.lstrip().startswith("SELECT")
    )


def test_search_reads_the_vocabulary_once(client, make):
    make.carer()
    with statements() as seen:
        page = client.get("/search?postcode=LS6+1AA&skill=personal_care&interest=gardening")
    assert page.status_code == 200
    # The form's three lists (skills, interests, languages) come from one read.
    assert _selects_from("vocabulary_terms", seen) == 1


def test_carer_page_loads_provider_and_teams_with_the_carer(client, make):
    provider = make.provider()
    carer = make.carer(provider)
    make.team(provider)
    db.session.expunge_all()  # nothing cached in the session: every read is a statement
    with statements() as seen:
        page = client.get(f"/carers/{carer.id}")
    assert page.status_code == 200
    selects = [s.lstrip() for s in seen if s.lstrip().startswith("SELECT")]
    # The carer with its provider (one join), its teams, its checks, and one read for its
    # review summary (average and count): no lazy provider read.
    assert not any(s.startswith("SELECT providers.") for s in selects)
    assert len(selects) <= 4, selects
    assert _selects_from("reviews", selects) <= 1
