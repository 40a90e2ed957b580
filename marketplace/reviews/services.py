"""Reviews: written by the person's side of an agreed arrangement (once), answered once
by the provider, reported by anyone signed in, hidden or restored by reviewers (audited,
on ``REVIEW_WORKFLOW``). Averages count only published reviews and say how many."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace import audit, authz, notifications
from marketplace.arrangements.lifecycle import person_side_users, provider_side_users
from marketplace.choices import ReviewAspect, ReviewStatus
from marketplace.extensions import db
from marketplace.models import (
    Arrangement,
    ArrangementMember,
    ArrangementVersion,
    Review,
    ReviewRating,
    ReviewReport,
    User,
    utcnow,
)
from marketplace.workflow import Move as M
from marketplace.workflow import Moved, MoveError, Notice, Workflow

TEXT_MAX_LENGTH = 2000


class AlreadyDone(MoveError):
    """Once only: a second review of one arrangement, or a second reply (409)."""

    status_code = 409


def _moderator(actor: User | None, review: Review) -> str | None:
    return authz.refusal(actor, "review.moderate", review)


def _told_about_moderation(moved: Moved) -> Iterable[Notice]:
    review: Review = moved.subject
    shown = "hidden" if moved.to_state == ReviewStatus.HIDDEN else "shown again"
    message = f"A review of {review.provider.name} was {shown} by a moderator."
    if moved.reason:
        message += f" The reason: {moved.reason}"
    users = person_side_users(review.arrangement) + provider_side_users(review.arrangement)
    yield Notice(users, f"review {shown}", message, None)


REVIEW_WORKFLOW = Workflow(
    name="review",
    column=Review.status,
    states=ReviewStatus,
    noun="This review",
    moves=[
        M("hide", ("published",), "hidden", "hidden", may=_moderator,
          reason_prompt="Say why the review is hidden", after=lambda m: _resolve(m),
          notices=_told_about_moderation),
        M("restore", ("hidden",), "published", "shown again", may=_moderator,
          reason_prompt="Say why the review is shown again", after=lambda m: _resolve(m),
          notices=_told_about_moderation),
    ],
)  # fmt: skip


def _resolve(moved: Moved) -> None:
    """A moderator's decision settles the open reports on the review."""
    db.session.execute(
        sa.update(ReviewReport)
        .where(ReviewReport.review_id == moved.subject.id, ReviewReport.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_user_id=moved.actor.id if moved.actor else None)
    )


# -- reading ----------------------------------------------------------------------------


def review_of(arrangement: Arrangement) -> Review | None:
    return db.session.scalar(sa.select(Review).where(Review.arrangement_id == arrangement.id))


def may_write(user: User | None, arrangement: Arrangement) -> bool:
    return authz.can(user, "review.write", arrangement) and review_of(arrangement) is None


def public_name(display_name: str | None) -> str:
    """What the public sees of a reviewer: a first name and an initial ("Amira K.")."""
    parts = (display_name or "").split()
    if not parts:
        return "A person supported"
    first = parts[0][:30]
    return f"{first} {parts[-1][0].upper()}." if len(parts) > 1 else first


@dataclass(frozen=True)
class Summary:
    """Published reviews of one carer, team or provider: how many and their averages."""

    count: int
    average: float | None  # over every aspect of every review; None: no reviews
    aspects: list[tuple[str, float, int]]  # (label, average, how many rated it)
    reviews: list[Review]


def _published(query: sa.Select) -> list[Review]:
    return list(
        db.session.scalars(
            query.where(Review.status == ReviewStatus.PUBLISHED).order_by(
                Review.created_at.desc(), Review.id.desc()
            )
        )
    )


def reviews_for(kind: str, subject_id: int) -> list[Review]:
    query = sa.select(Review)
    if kind == "provider":
        query = query.where(Review.provider_id == subject_id)
    elif kind == "team":
        query = query.where(Review.team_id == subject_id)
    elif kind == "carer":
        # The carers in the version in effect when the review was read: the arrangement's.
        query = (
            query.join(Arrangement, Arrangement.id == Review.arrangement_id)
            .join(
                ArrangementVersion,
                sa.and_(
                    ArrangementVersion.arrangement_id == Arrangement.id,
                    ArrangementVersion.number == Arrangement.agreed_version,
                ),
            )
            .join(ArrangementMember, ArrangementMember.version_id == ArrangementVersion.id)
            .where(ArrangementMember.carer_id == subject_id)
        )
    else:
        raise ValueError(f"unknown review subject {kind!r}")
    return _published(query)


def summary(kind: str, subject_id: int, limit: int = 10) -> Summary:
    reviews = reviews_for(kind, subject_id)
    if not reviews:
        return Summary(0, None, [], [])
    stars: dict[str, list[int]] = {}
    for review in reviews:
        for rating in review.ratings:
            stars.setdefault(rating.aspect, []).append(rating.stars)
    every = [s for values in stars.values() for s in values]
    aspects = [
        (aspect.label, round(sum(stars[aspect]) / len(stars[aspect]), 1), len(stars[aspect]))
        for aspect in ReviewAspect
        if stars.get(aspect)
    ]
    average = round(sum(every) / len(every), 1) if every else None
    return Summary(len(reviews), average, aspects, reviews[:limit])


def all_ratings(kind: str, subject_id: int) -> list[int]:
    """Each published review's own average, rounded (for schema.org's aggregateRating)."""
    out = []
    for review in reviews_for(kind, subject_id):
        if review.ratings:
            out.append(round(sum(r.stars for r in review.ratings) / len(review.ratings)))
    return out


# -- writing ------------------------------------------------------------------------------


def write(arrangement: Arrangement, ratings: dict[str, int], text: str, actor: User) -> Review:
    """The person's side reviews an agreed arrangement, once. The caller commits."""
    authz.require(actor, "review.write", arrangement)
    if set(ratings) - set(ReviewAspect.values()) or not all(1 <= s <= 5 for s in ratings.values()):
        raise ValueError("ratings are 1 to 5 stars on the listed aspects")
    if review_of(arrangement) is not None:
        raise AlreadyDone("This arrangement already has a review. Each gets one.")
    person = arrangement.person
    review = Review(
        arrangement_id=arrangement.id,
        provider_id=arrangement.provider_id,
        team_id=arrangement.team_id,
        author_user_id=actor.id,
        on_behalf_of_person_id=authz.on_behalf_of(actor, person),
        author_name=public_name(person.display_name),
        text=text.strip(),
        status=ReviewStatus.PUBLISHED,
    )
    review.ratings = [ReviewRating(aspect=a, stars=s) for a, s in ratings.items()]
    try:
        with db.session.begin_nested():
            db.session.add(review)
            db.session.flush()
    except IntegrityError as error:  # two tabs sent it at once: the unique key decides
        raise AlreadyDone("This arrangement already has a review. Each gets one.") from error
    audit.record(
        "review.posted",
        actor_id=actor.id,
        target=review,
        on_behalf_of_person_id=review.on_behalf_of_person_id,
        arrangement_id=arrangement.id,
    )
    link = notifications.path("reviews.provider_reviews")
    notifications.notify(
        provider_side_users(arrangement),
        f"{review.author_name} reviewed their arrangement with {arrangement.provider.name}. "
        "You can reply once.",
        link,
        "new review",
    )
    return review


def reply(review: Review, text: str, actor: User) -> None:
    """The provider answers a review, once. The caller commits."""
    authz.require(actor, "review.reply", review)
    result = db.session.execute(
        sa.update(Review)
        .where(Review.id == review.id, Review.reply_text.is_(None))
        .values(reply_text=text.strip(), replied_at=utcnow(), replied_by_user_id=actor.id)
        .execution_options(synchronize_session="evaluate")
    )
    if result.rowcount != 1:
        raise AlreadyDone("This review already has a reply. The provider can reply once.")
    audit.record("review.replied", actor_id=actor.id, target=review)
    link = notifications.path("arrangements.show", arrangement_id=review.arrangement_id)
    notifications.notify(
        person_side_users(review.arrangement),
        f"{review.provider.name} replied to your review.",
        link,
        "reply to your review",
    )


def report(review: Review, reason: str, actor: User) -> bool:
    """Anyone signed in reports a review to the moderators; False if they already had."""
    authz.require(actor, "review.report", review)
    exists = db.session.scalar(
        sa.select(ReviewReport.id).where(
            ReviewReport.review_id == review.id, ReviewReport.reported_by_user_id == actor.id
        )
    )
    if exists is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                ReviewReport(review_id=review.id, reported_by_user_id=actor.id, reason=reason)
            )
            db.session.flush()
    except IntegrityError:
        return False
    audit.record("review.reported", actor_id=actor.id, target=review)
    return True


def moderation_queue() -> list[tuple[Review, int]]:
    """Reviews with open reports, most reported first, and hidden ones after."""
    open_reports = (
        sa.select(ReviewReport.review_id, sa.func.count().label("n"))
        .where(ReviewReport.resolved_at.is_(None))
        .group_by(ReviewReport.review_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Review, sa.func.coalesce(open_reports.c.n, 0))
        .outerjoin(open_reports, open_reports.c.review_id == Review.id)
        .where(sa.or_(open_reports.c.n > 0, Review.status == ReviewStatus.HIDDEN))
        .order_by(sa.func.coalesce(open_reports.c.n, 0).desc(), Review.id)
    ).all()
    return [(review, count) for review, count in rows]


def for_provider(provider_id: int) -> list[Review]:
    return list(
        db.session.scalars(
            sa.select(Review)
            .where(Review.provider_id == provider_id)
            .order_by(Review.created_at.desc(), Review.id.desc())
        )
    )
