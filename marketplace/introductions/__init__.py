"""Introductions: asking to meet a carer, a team or a provider, the answer, the meeting,
and the message thread. The workflow is declared in ``marketplace.introductions.workflow``.
"""

from flask import Blueprint

from marketplace import authz

bp = Blueprint("introductions", __name__)

authz.nav_link("introductions.mine", "Your introductions", "person_area.use", "supporting.use")
authz.nav_link("introductions.provider_inbox", "Introductions", "provider_area.use")
authz.nav_link("introductions.carer_inbox", "Introductions to you", "carer_profile.use")
authz.nav_link("introductions.reported_messages", "Reported messages", "review_area.use")

from marketplace.introductions import views  # noqa: E402,F401
