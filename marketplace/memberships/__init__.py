"""Memberships for outcomes: plans (provider area), starting and following a membership,
and the monthly outcome review with its guarantee refund."""

from flask import Blueprint

from marketplace import authz

bp = Blueprint("memberships", __name__, url_prefix="/memberships")
provider_bp = Blueprint("provider_memberships", __name__, url_prefix="/provider")
authz.nav_link("memberships.index", "Memberships", "person_area.use", "supporting.use")
authz.nav_link("provider_memberships.plans", "Membership plans", "provider_area.use")


@bp.app_template_global("public_membership_plans")
def public_membership_plans(provider_id: int):
    """The active plans shown on a listed provider's public page."""
    from marketplace.memberships.services import public_plans

    return public_plans(provider_id)


@bp.app_template_global("membership_guarantee_sentence")
def membership_guarantee_sentence(plan):
    from marketplace.memberships.services import guarantee_sentence

    return guarantee_sentence(plan)


from marketplace.memberships import views  # noqa: E402,F401
