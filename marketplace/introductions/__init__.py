"""Introductions: asking to meet a carer, a team or a provider, the answer, the meeting,
and the message thread. The workflow is declared in ``marketplace.introductions.workflow``.
"""

from flask import Blueprint

from marketplace.web import add_nav_link

bp = Blueprint("introductions", __name__)

add_nav_link("introductions.mine", "Your introductions", "person", "supporter")
add_nav_link("introductions.provider_inbox", "Introductions", "provider_admin")
add_nav_link("introductions.carer_inbox", "Introductions to you", "carer")
add_nav_link("introductions.reported_messages", "Reported messages", "reviewer")

from marketplace.introductions import views  # noqa: E402,F401
