"""Forms for writing, replying to, reporting and moderating reviews."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from marketplace.choices import ReviewAspect
from marketplace.reviews.services import TEXT_MAX_LENGTH

STARS = [(str(n), f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)]


class ReviewForm(FlaskForm):
    text = TextAreaField(
        "Your review",
        description="What went well and what could be better. Do not include anyone's "
        "address or other private details: reviews are public.",
        validators=[
            DataRequired("Write your review"),
            Length(max=TEXT_MAX_LENGTH, message=f"Keep your review to {TEXT_MAX_LENGTH} "
                   "characters or fewer"),
        ],
    )  # fmt: skip

    def ratings(self) -> dict[str, int]:
        return {a.value: int(getattr(self, f"stars_{a.value}").data) for a in ReviewAspect}

    def star_fields(self):
        return [getattr(self, f"stars_{a.value}") for a in ReviewAspect]


for _aspect in ReviewAspect:
    setattr(
        ReviewForm,
        f"stars_{_aspect.value}",
        RadioField(
            _aspect.label,
            choices=STARS,
            validators=[InputRequired(f"Choose how many stars for “{_aspect.label.lower()}”")],
        ),
    )


class ReplyForm(FlaskForm):
    text = TextAreaField(
        "Your reply",
        description="You can reply once. The reply is public, under the review.",
        validators=[
            DataRequired("Write your reply"),
            Length(max=TEXT_MAX_LENGTH, message=f"Keep your reply to {TEXT_MAX_LENGTH} "
                   "characters or fewer"),
        ],
    )  # fmt: skip


class ReportForm(FlaskForm):
    reason = TextAreaField(
        "What is wrong with this review?",
        description="For example: it names someone, it is rude, or it is not about this "
        "provider. A moderator reads every report.",
        validators=[
            DataRequired("Say what is wrong with the review"),
            Length(max=1000, message="Keep this to 1000 characters or fewer"),
        ],
    )


class ModerateForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        description="Recorded with your decision, and told to the person and the provider",
        validators=[
            DataRequired("Give a reason for your decision"),
            Length(max=1000, message="Keep the reason to 1000 characters or fewer"),
        ],
    )
