from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from marketplace.security import PASSWORD_MIN_LENGTH, password_problem

PASSWORD_HINT = (
    f"At least {PASSWORD_MIN_LENGTH} characters. 3 or 4 words that have nothing to do with "
    "each other are easy to remember and hard to guess."
)


class StrongPassword:
    """The password policy (``marketplace.security.password_problem``) as a form check.

    ``personal_fields`` name the form's fields holding the person's own details; a view
    can add more (the account's email and name) as ``form.personal_details``.
    """

    def __init__(self, *personal_fields: str) -> None:
        self.personal_fields = personal_fields

    def __call__(self, form: FlaskForm, field: Field) -> None:
        details = [str(getattr(form, name).data or "") for name in self.personal_fields]
        details += list(getattr(form, "personal_details", []))
        problem = password_problem(field.data or "", details)
        if problem:
            raise ValidationError(problem)


SELF_SERVICE_ROLES = [
    ("person", "I have a personal budget, or I pay for my own care"),
    ("supporter", "I help a family member or friend"),
    (
        "provider_admin",
        "I run a care co-operative, or I work as a self-employed personal assistant",
    ),
]


class RegisterForm(FlaskForm):
    display_name = StringField(
        "Your name",
        validators=[DataRequired("Enter your name"), Length(max=120, message="Name is too long")],
    )
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Email("Enter an email address in the right format, like name@example.com"),
            Length(max=254),
        ],
    )
    password = PasswordField(
        "Create a password",
        description=PASSWORD_HINT,
        validators=[DataRequired("Create a password"), StrongPassword("email", "display_name")],
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[
            DataRequired("Type the password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )
    account_type = RadioField(
        "What brings you to CoopCare?",
        choices=SELF_SERVICE_ROLES,
        validators=[DataRequired("Choose what brings you to CoopCare")],
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password",
        description="To make sure it is you, type the password you log in with.",
        validators=[DataRequired("Enter your password to delete your account")],
    )


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])
    remember = BooleanField("Keep me logged in on this device")


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Email("Enter an email address in the right format, like name@example.com"),
        ],
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        description=PASSWORD_HINT,
        validators=[DataRequired("Enter a new password"), StrongPassword()],
    )
    confirm = PasswordField(
        "Type the new password again",
        validators=[
            DataRequired("Type the new password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )


class InvitationRegisterForm(FlaskForm):
    """Creating the account an invitation (a supporter's or a carer's) was sent to: the
    invited email address is the account's, so only a name and a password are asked."""

    display_name = StringField(
        "Your name",
        validators=[DataRequired("Enter your name"), Length(max=120, message="Name is too long")],
    )
    # The invited email address is added by the view as form.personal_details.
    password = PasswordField(
        "Create a password",
        description=PASSWORD_HINT,
        validators=[DataRequired("Create a password"), StrongPassword("display_name")],
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[
            DataRequired("Type the password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )
