"""Team forms: details and patch, adding a member, roles."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from marketplace.teams import services


class TeamForm(FlaskForm):
    name = StringField(
        "Team name",
        description="A name your carers and the people you support will recognise, like "
        "Headingley North.",
        validators=[
            DataRequired("Enter a team name"),
            Length(max=120, message="The team name must be 120 characters or fewer"),
        ],
    )
    description = TextAreaField(
        "About the team (optional)",
        description="Who the team is and how it works. People see this on the team's page.",
        validators=[Length(max=2000, message="About the team must be 2,000 characters or fewer")],
    )
    patch = StringField(
        "Patch: the postcode districts the team covers",
        description="The first half of each postcode, separated by commas, like LS6, LS7, LS16.",
    )

    def __init__(
        self, *args: Any, provider_id: int, team_id: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.provider_id = provider_id
        self.team_id = team_id
        self.districts: list[str] = []

    def validate_name(self, field: StringField) -> None:
        if services.name_taken(self.provider_id, field.data, self.team_id):
            raise ValidationError(f"You already have a team called {field.data.strip()}")

    def validate_patch(self, field: StringField) -> None:
        try:
            self.districts = services.parse_patch(field.data)
        except services.PatchError as error:
            raise ValidationError(str(error)) from error


class AddMemberForm(FlaskForm):
    carer = SelectField(
        "Carer to add",
        description="A team has at most 12 members. Only your own carers can join.",
        validators=[DataRequired("Choose a carer to add")],
    )

    def __init__(
        self, *args: Any, choices: list[tuple[str, str]], team_size: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.carer.choices = [("", "Choose a carer"), *choices]
        self.team_size = team_size

    def validate_carer(self, field: SelectField) -> None:
        # Checked here, before the database, so the person gets a clear message.
        if self.team_size >= services.TEAM_MAX_MEMBERS:
            raise ValidationError(services.FULL_TEAM_MESSAGE)


class RolesForm(FlaskForm):
    coach = SelectField(
        "Coach",
        default="",
        description="The coach helps the team organise itself and solve problems. "
        "A team has one coach at most.",
    )
    circles_connector = SelectField(
        "Community circles connector",
        default="",
        description="The connector links people with friends, neighbours and local groups. "
        "A team has one connector at most, and it must be a different person "
        "from the coach.",
    )

    def __init__(self, *args: Any, members: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.coach.choices = [("", "No coach"), *members]
        self.circles_connector.choices = [("", "No connector"), *members]

    def validate_circles_connector(self, field: SelectField) -> None:
        if field.data and field.data == self.coach.data:
            raise ValidationError(
                "Choose different people for coach and connector: one person cannot hold both roles"
            )
