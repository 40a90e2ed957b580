"""Asking for an introduction e-mails the provider's admins and the carer, so one account
cannot ask (or ask, withdraw and ask again) without limit: INTRODUCTION_RATE_LIMIT, per
account, on the POST only."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import Introduction


def test_asking_is_rate_limited_per_account(tmp_path):
    import factories
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.config import TestConfig
    from marketplace.extensions import limiter

    class Limited(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
        RATELIMIT_ENABLED = True  # tests switch limits on explicitly
        INTRODUCTION_RATE_LIMIT = "2 per minute"

    app = create_app(Limited)
    try:
        with app.app_context():
            upgrade()
            make = factories.Factories()
            provider = make.provider(admin=make.user(roles=["provider_admin"]))
            carers = [make.carer(provider).id for _ in range(4)]
            first = make.user(roles=["person"])
            second = make.user(roles=["person"])
            db.session.commit()
            people = {first.id: first.person.id, second.id: second.person.id}

        def client_for(user_id):
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = str(user_id)
            return client

        def ask(client, user_id, carer_id):
            data = {"person": str(people[user_id]), "message": "Hello, I would like to meet."}
            return client.post(f"/introductions/ask/carer/{carer_id}", data=data).status_code

        user_id = next(iter(people))
        person = client_for(user_id)
        for carer_id in carers:  # looking at the form is not asking
            assert person.get(f"/introductions/ask/carer/{carer_id}").status_code == 200
        statuses = [ask(person, user_id, carer_id) for carer_id in carers[:3]]
        assert statuses == [302, 302, 429]
        # Counted per account: someone else can still ask.
        other_id = list(people)[1]
        assert ask(client_for(other_id), other_id, carers[3]) == 302
        with app.app_context():
            count = db.session.scalar(sa.select(sa.func.count()).select_from(Introduction))
            assert count == 3
            db.engine.dispose()
    finally:
        # Flask-Limiter keeps one `enabled` flag for every app in the process.
        limiter.enabled = False
