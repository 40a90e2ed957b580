"""The demo: Amira has a shortlist with private notes, and a saved search."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.demo import seed_demo
from marketplace.extensions import db
from marketplace.models import SavedSearch, SavedSearchCarer, ShortlistEntry, User


def _amira():
    return db.session.scalar(sa.select(User).where(User.email == "person@coopcare.example"))


def test_demo_person_has_a_shortlist_and_a_saved_search(app, login):
    seed_demo(carers=60)
    db.session.commit()
    amira = _amira()
    entries = list(
        db.session.scalars(
            sa.select(ShortlistEntry)
            .where(ShortlistEntry.person_id == amira.person.id)
            .order_by(ShortlistEntry.id)
        )
    )
    assert [e.kind for e in entries] == ["carer", "carer", "carer", "team"]
    assert all(e.carer.is_listed for e in entries if e.carer)
    assert "gardening" in entries[0].note
    [saved] = db.session.scalars(
        sa.select(SavedSearch).where(SavedSearch.person_id == amira.person.id)
    ).all()
    assert saved.outcode == "LS6" and saved.criteria["language"] == ["ur"]
    seen = db.session.scalars(
        sa.select(SavedSearchCarer).where(SavedSearchCarer.saved_search_id == saved.id)
    ).all()
    assert all(row.notified_at is None for row in seen)  # a baseline, nobody told yet

    client = login(amira)
    page = client.get("/shortlist").get_data(as_text=True)
    assert entries[0].carer.display_name in page and "Compare chosen" in page
    items = "&".join(f"item={e.kind}-{e.target_id}" for e in entries[:3])
    compare = client.get(f"/shortlist/compare?{items}")
    assert compare.status_code == 200
    assert "LS6 1AA" not in compare.get_data(as_text=True)
    saved_page = client.get("/saved-searches").get_data(as_text=True)
    assert "Carers within 10 km of LS6 who offer Personal care, who speak Urdu" in saved_page
    # Joe, Amira's brother, may see her shortlist (his grant covers "view").
    joe = db.session.scalar(sa.select(User).where(User.email == "supporter@coopcare.example"))
    joe_page = login(joe).get(f"/shortlist?person={amira.person.id}")
    assert joe_page.status_code == 200 and "Amira Khan’s shortlist" in joe_page.get_data(True)
