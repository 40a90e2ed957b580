"""Adding to a shortlist (SHORTLIST_RATE_LIMIT, per account or, for a visitor, per
address) and reporting a review (REVIEW_REPORT_RATE_LIMIT, per account, POST only) are
rate-limited: a script cannot fill tables or flood the moderators' queue."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import Review, ReviewReport, ShortlistEntry


def _limited_app(tmp_path, **limits):
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.config import TestConfig

    class Limited(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
        RATELIMIT_ENABLED = True  # tests switch limits on explicitly

    for name, value in limits.items():
        setattr(Limited, name, value)
    app = create_app(Limited)
    with app.app_context():
        upgrade()
    return app


def _client_for(app, user_id):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
    return client


def test_adding_to_a_shortlist_is_rate_limited(tmp_path):
    import factories

    app = _limited_app(tmp_path, SHORTLIST_RATE_LIMIT="3 per minute")
    try:
        with app.app_context():
            make = factories.Factories()
            provider = make.provider()
            carers = [make.carer(provider).id for _ in range(5)]
            first, second = make.user(roles=["person"]), make.user(roles=["person"])
            db.session.commit()
            ids = {"first": first.id, "second": second.id, "person": first.person.id}

        def add(client, carer_id):
            return client.post("/shortlist/add", data={"item": f"carer-{carer_id}"}).status_code

        person = _client_for(app, ids["first"])
        assert [add(person, c) for c in carers[:4]] == [302, 302, 302, 429]
        # Per account: someone else can still add; a visitor is counted by address.
        assert add(_client_for(app, ids["second"]), carers[4]) == 302
        visitor = app.test_client()
        assert [add(visitor, c) for c in carers[:4]] == [302, 302, 302, 429]
        assert person.get("/shortlist").status_code == 200  # looking is not limited
        with app.app_context():
            count = sa.select(sa.func.count()).where(ShortlistEntry.person_id == ids["person"])
            assert db.session.scalar(count) == 3
    finally:
        with app.app_context():
            db.engine.dispose()


def test_reporting_a_review_is_rate_limited_per_account(tmp_path):
    import arrangements_helpers as ah
    import factories

    app = _limited_app(tmp_path, REVIEW_REPORT_RATE_LIMIT="2 per minute")
    try:
        with app.app_context():
            make = factories.Factories()
            s = ah.setup(make)
            arrangement = ah.agreed(s)
            review = Review(
                arrangement_id=arrangement.id,
                provider_id=s.provider.id,
                author_user_id=s.person_user.id,
                author_name="Amira K.",
                text="Lovely.",
            )
            db.session.add(review)
            reporters = [make.user(roles=["person"]).id for _ in range(2)]
            db.session.commit()
            review_id = review.id

        def report(client):
            return client.post(
                f"/reviews/{review_id}/report", data={"reason": "It names someone"}
            ).status_code

        reporter = _client_for(app, reporters[0])
        for _ in range(3):  # looking at the form is not reporting
            assert reporter.get(f"/reviews/{review_id}/report").status_code == 200
        assert [report(reporter) for _ in range(3)] == [302, 302, 429]
        assert report(_client_for(app, reporters[1])) == 302  # per account
        with app.app_context():
            count = sa.select(sa.func.count()).select_from(ReviewReport)
            assert db.session.scalar(count) == 2
    finally:
        with app.app_context():
            db.engine.dispose()
