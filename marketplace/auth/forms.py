from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

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
        description="At least 10 characters. A few words together are easy to remember.",
        validators=[
            DataRequired("Create a password"),
            Length(min=10, max=200, message="Your password must be at least 10 characters"),
        ],
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

    def validate_password(self, field: PasswordField) -> None:
        if field.data and field.data.strip().lower() == (self.email.data or "").strip().lower():
            raise ValidationError("Your password must not be your email address")


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
        description="At least 10 characters.",
        validators=[
            DataRequired("Enter a new password"),
            Length(min=10, max=200, message="Your password must be at least 10 characters"),
        ],
    )
    confirm = PasswordField(
        "Type the new password again",
        validators=[
            DataRequired("Type the new password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )
