"""`flask billing connect-account`: how an administrator sets the Stripe Connect account a
provider's invoice card payments are paid out to (destination charges)."""

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import AuditLog


def test_an_account_is_set_checked_audited_and_cleared(app, make):
    provider = make.provider()
    db.session.commit()
    runner = app.test_cli_runner()

    for bad in (["acct_!!"], ["sk_live_123"], [], ["acct_1AbC", "--clear"]):
        result = runner.invoke(args=["billing", "connect-account", str(provider.id), *bad])
        assert result.exit_code != 0, bad
        db.session.refresh(provider)
        assert provider.stripe_account_id is None
    missing = runner.invoke(args=["billing", "connect-account", "999999", "acct_1AbC"])
    assert missing.exit_code != 0 and "There is no provider with id 999999" in missing.output

    result = runner.invoke(args=["billing", "connect-account", str(provider.id), "acct_1AbC"])
    assert result.exit_code == 0, result.output
    assert "paid out to acct_1AbC" in result.output
    db.session.refresh(provider)
    assert provider.stripe_account_id == "acct_1AbC"

    result = runner.invoke(args=["billing", "connect-account", str(provider.id), "--clear"])
    assert result.exit_code == 0 and "stay with the platform" in result.output
    db.session.refresh(provider)
    assert provider.stripe_account_id is None

    rows = db.session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.action == "provider.stripe_account", AuditLog.target_id == provider.id)
        .order_by(AuditLog.id)
    ).all()
    assert [(r.detail["previous"], r.detail["account"]) for r in rows] == [
        (None, "acct_1AbC"),
        ("acct_1AbC", None),
    ]
