from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length


class DecisionForm(FlaskForm):
    comment = TextAreaField(
        "Comment for the provider",
        description="Needed when you ask for changes or suspend: say what must change, or why. "
        "The provider's admins will see it.",
        validators=[Length(max=5000, message="Keep the comment to 5,000 characters or fewer")],
    )
