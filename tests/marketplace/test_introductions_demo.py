"""The demo introductions: Amira's open request to Ana S. and her meeting with a team."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.demo import seed_demo
from marketplace.extensions import db
from marketplace.introductions.services import run_expiry
from marketplace.models import Introduction, User


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_demo_has_an_open_introduction_and_one_at_the_meeting_stage(app, login):
    seed_demo(carers=40)
    db.session.commit()
    rows = db.session.scalars(sa.select(Introduction).order_by(Introduction.id)).all()
    assert [(i.status, i.target_name) for i in rows] == [
        ("requested", "Ana S."),
        ("meeting", "Leeds team 1 (Headingley Care Co-op)"),
    ]
    assert len(rows[1].messages) == 2
    # Nothing is due today: the daily job leaves the demo as it is.
    report = run_expiry()
    assert report.expired == [] and report.reminded == []
    grace = login(_user("provider@coopcare.example"))
    inbox = grace.get("/provider/introductions").get_data(as_text=True)
    assert "Amira Khan, LS6" in inbox
    ana = login(_user("carer@coopcare.example"))
    assert "Amira Khan" in ana.get("/carer/introductions").get_data(as_text=True)
    page = login(_user("person@coopcare.example")).get(f"/introductions/{rows[1].id}")
    html = page.get_data(as_text=True)
    assert "Your meeting" in html and "my brother Joe" in html
    # Not agreed yet: Grace's pages show Amira's area, never her postcode.
    assert "LS6 1AA" not in grace.get(f"/introductions/{rows[1].id}").get_data(as_text=True)
