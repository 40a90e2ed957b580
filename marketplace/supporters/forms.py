"""Forms: inviting a supporter, changing what they may do, accepting an invitation."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length

from marketplace.choices import ConsentScope, SupporterRelationship
from marketplace.date_input import DateInputField

END_HINT = (
    "Leave this empty if they should support you until you stop it. "
    "You can change it or stop it at any time."
)


class _ScopesForm(FlaskForm):
    scopes = SelectMultipleField(
        "What can they do for you?",
        description="Choose only what they need. They can never change your profile or "
        "invite anyone else.",
        choices=ConsentScope.choices(),
        validators=[DataRequired("Choose at least one thing they can do for you")],
    )
    ends_on = DateInputField(
        "Last day they can support you (optional)",
        END_HINT,
        what="The last day",
        example="31 3 2027",
        optional=True,
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.scopes.errors:
            self.scopes.errors = ["Choose at least one thing they can do for you"]
        return ok


class InviteForm(_ScopesForm):
    display_name = StringField(
        "Their name",
        description="What you call them. Only you see this.",
        validators=[DataRequired("Enter their name"), Length(max=120, message="Name is too long")],
    )
    email = EmailField(
        "Their email address",
        description="We will email them a link to accept. It works once, for 7 days.",
        validators=[
            DataRequired("Enter their email address"),
            Email("Enter an email address in the right format, like name@example.com"),
            Length(max=254, message="Email address is too long"),
        ],
    )
    relationship = RadioField(
        "Who are they to you?",
        choices=SupporterRelationship.choices(),
        validators=[DataRequired("Choose who they are to you")],
    )


class ChangeGrantForm(_ScopesForm):
    pass


class ChooseForm(FlaskForm):
    person_id = HiddenField(validators=[DataRequired()])
