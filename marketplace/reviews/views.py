"""Review pages: write (the person's side), reply (the provider), report (anyone signed
in), and the moderators' queue under /review/reviews."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace import authz
from marketplace.choices import ReviewAspect, ReviewStatus
from marketplace.extensions import db, limiter
from marketplace.models import Arrangement, Review
from marketplace.reviews import bp, services
from marketplace.reviews.forms import ModerateForm, ReplyForm, ReportForm, ReviewForm
from marketplace.web import choose_provider_page
from marketplace.workflow import ReasonRequired

PRIVATE = {"Cache-Control": "private, no-store"}


def _review_or_404(review_id: int, *, published_only: bool = True) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        abort(404)
    if published_only and review.status != ReviewStatus.PUBLISHED:
        abort(404)
    return review


@bp.route("/arrangements/<int:arrangement_id>/review", methods=["GET", "POST"])
@authz.requires("account.use")
def write(arrangement_id: int):
    arrangement = authz.get_or_abort(current_user, Arrangement, arrangement_id)
    refused = authz.refusal(current_user, "review.write", arrangement)
    if refused is not None:  # say why (not started yet), not only "you cannot"
        return render_template("errors/403.html", reason=refused), 403, PRIVATE
    if services.review_of(arrangement) is not None:
        flash("This arrangement already has a review. Each arrangement gets one.")
        return redirect(url_for("arrangements.show", arrangement_id=arrangement.id))
    form = ReviewForm()
    if form.validate_on_submit():
        services.write(arrangement, form.ratings(), form.text.data, authz._user(current_user))
        db.session.commit()
        flash("Thank you. Your review is published.", "success")
        return redirect(url_for("arrangements.show", arrangement_id=arrangement.id))
    return (
        render_template("reviews/write.html", form=form, arrangement=arrangement),
        400 if request.method == "POST" else 200,
        PRIVATE,
    )


@bp.route("/reviews/<int:review_id>/reply", methods=["GET", "POST"])
@authz.requires("account.use")
def reply(review_id: int):
    review = _review_or_404(review_id, published_only=False)
    authz.require(current_user, "review.reply", review)
    if review.reply_text is not None:
        flash("This review already has a reply. You can reply once.")
        return redirect(url_for("reviews.provider_reviews", provider=review.provider_id))
    form = ReplyForm()
    if form.validate_on_submit():
        services.reply(review, form.text.data, authz._user(current_user))
        db.session.commit()
        flash("Your reply is published under the review.", "success")
        return redirect(url_for("reviews.provider_reviews", provider=review.provider_id))
    return (
        render_template("reviews/reply.html", form=form, review=review),
        400 if request.method == "POST" else 200,
        PRIVATE,
    )


def _report_limit() -> str:
    return current_app.config["REVIEW_REPORT_RATE_LIMIT"]


def _per_account() -> str:
    return f"account:{current_user.get_id()}"


@bp.route("/reviews/<int:review_id>/report", methods=["GET", "POST"])
@authz.requires("account.use")
@limiter.limit(_report_limit, key_func=_per_account, methods=["POST"])
def report(review_id: int):
    review = _review_or_404(review_id)
    form = ReportForm()
    if form.validate_on_submit():
        added = services.report(review, form.reason.data.strip(), authz._user(current_user))
        db.session.commit()
        flash(
            "Thank you. A moderator will read your report."
            if added
            else "You have already reported this review. A moderator will read it.",
            "success",
        )
        return redirect(url_for("search.provider", provider_id=review.provider_id))
    return (
        render_template("reviews/report.html", form=form, review=review),
        400 if request.method == "POST" else 200,
        PRIVATE,
    )


@bp.get("/provider/reviews")
@authz.requires("provider_area.use")
def provider_reviews():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page("reviews.provider_reviews", "Choose whose reviews to see")
    return (
        render_template(
            "reviews/provider.html",
            provider=provider,
            reviews=services.for_provider(provider.id),
            summary=services.summary("provider", provider.id),
            aspects=ReviewAspect,
            statuses=ReviewStatus,
        ),
        200,
        PRIVATE,
    )


@bp.get("/review/reviews")
@authz.requires("review.moderate")
def moderation():
    return render_template(
        "reviews/moderation.html", queue=services.moderation_queue(), statuses=ReviewStatus
    )


@bp.route("/review/reviews/<int:review_id>", methods=["GET", "POST"])
@authz.requires("review.moderate")
def moderate(review_id: int):
    review = _review_or_404(review_id, published_only=False)
    form = ModerateForm()
    move = "hide" if review.status == ReviewStatus.PUBLISHED else "restore"
    if form.validate_on_submit():
        try:
            services.REVIEW_WORKFLOW.move(
                review, move, authz._user(current_user), reason=form.reason.data
            )
        except ReasonRequired as error:
            form.reason.errors = [str(error)]
        else:
            db.session.commit()
            flash(f"The review is {services.REVIEW_WORKFLOW.passive(move)}.", "success")
            return redirect(url_for("reviews.moderation"))
    return (
        render_template(
            "reviews/moderate.html", form=form, review=review, move=move, statuses=ReviewStatus
        ),
        400 if request.method == "POST" else 200,
        PRIVATE,
    )


@bp.app_context_processor
def review_helpers() -> dict[str, object]:
    """Public pages show a carer's, team's or provider's reviews with one include."""
    return {"review_aspects": ReviewAspect, "review_summary_for": services.summary}
