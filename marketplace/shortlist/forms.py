"""Shortlist and saved-search forms (POST, CSRF-protected; they work without JavaScript)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from marketplace.models.shortlists import NOTE_MAX


class ShortlistItemForm(FlaskForm):
    """Add or remove one carer or team; ``next`` is where the button was."""

    item = HiddenField()
    next = HiddenField()


class NoteForm(FlaskForm):
    note = TextAreaField(
        "Your private note",
        description="Only you, and supporters you let see your profile, can read it.",
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=f"Your note must be {NOTE_MAX:,} characters or fewer"),
        ],
    )


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token (save or delete a search)."""
