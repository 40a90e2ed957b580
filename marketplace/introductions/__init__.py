"""Introductions: asking to meet a carer, a team or a provider, the answer, the meeting,
and the message thread. The workflow is declared in ``marketplace.introductions.workflow``.
"""
