"""Introduction pages: ask, the person's list, the provider's and carer's inboxes, one
introduction with its answer, meeting, thread and actions, and the reviewers' list of
reported messages. Every decision is authz's; every status change the workflow's.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from marketplace import authz
from marketplace.extensions import db, limiter
from marketplace.introductions import bp, services
from marketplace.introductions.forms import (
    AcceptForm,
    AskForm,
    BlockForm,
    ConfirmForm,
    DeclineForm,
    MeetingForm,
    MessageForm,
    ReasonForm,
    ReportForm,
)
from marketplace.models import Introduction, IntroductionMessage
from marketplace.web import choose_provider_page

NO_STORE = {"Cache-Control": "private, no-store"}


def _introduction(introduction_id: int, action: str = "introduction.view") -> Introduction:
    """The introduction, or 404 for one that does not exist *or* is not the user's (so
    ids cannot be probed); 403 when they can see it but not do ``action``."""
    return authz.get_or_abort(current_user, Introduction, introduction_id, action)


def _try_move(introduction: Introduction, name: str, **context):
    """Make the move; when it is refused, the introduction's page saying why (nothing
    was written: the workflow refuses before its compare-and-set, or that matched no row)."""
    try:
        services.move(introduction, name, current_user._get_current_object(), **context)
    except services.MoveError as refused:
        flash(str(refused))
        return _render_detail(introduction, refused.status_code)
    return None


def _back(introduction: Introduction):
    return redirect(url_for("introductions.detail", introduction_id=introduction.id))


# -- asking -------------------------------------------------------------------------------


def _ask_limit() -> str:
    return current_app.config["INTRODUCTION_RATE_LIMIT"]


def _per_account() -> str:
    return f"user:{current_user.get_id()}"


@bp.route("/introductions/ask/<kind>/<int:target_id>", methods=["GET", "POST"])
@login_required
@limiter.limit(_ask_limit, key_func=_per_account, methods=["POST"])
def ask(kind: str, target_id: int):
    target = services.find_target(kind, target_id)
    if target is None:
        abort(404)
    people = authz.introduction_people(current_user)
    if not people:
        return render_template("introductions/cannot_ask.html", target=target), 403
    form = AskForm()
    form.person.choices = [(person.id, person.display_name) for person in people]
    if form.person.data is None and len(people) == 1:
        form.person.data = people[0].id
    extra_errors = []
    if form.validate_on_submit():
        person = next(p for p in people if p.id == form.person.data)
        authz.require(current_user, "person.manage_introductions", person)
        try:
            introduction = services.request_introduction(
                current_user._get_current_object(),
                person,
                target,
                form.message.data,
                form.preferred_times.data or [],
            )
        except services.IntroductionError as problem:
            extra_errors.append(("message", str(problem)))
        else:
            db.session.commit()
            # "Ana S." ends with a full stop already: never "to Ana S.. We will".
            to = target.name if target.name.endswith(".") else f"{target.name}."
            flash(f"We have sent your request to {to} We will tell you their answer.")
            return _back(introduction)
    return (
        render_template(
            "introductions/ask.html",
            form=form,
            target=target,
            kind=kind,
            people=people,
            extra_errors=extra_errors,
            answer_by=services.long_date(services.deadlines(people[0], _today())[1]),
        ),
        400 if extra_errors or form.errors else 200,
        NO_STORE,
    )


def _today():
    from marketplace import clock

    return clock.today()


# -- lists --------------------------------------------------------------------------------


@bp.route("/introductions")
@login_required
def mine():
    people = authz.introduction_list_people(current_user)
    introductions = services.introductions_for_people(people)
    return (
        render_template("introductions/mine.html", introductions=introductions, people=people),
        200,
        NO_STORE,
    )


@bp.route("/provider/introductions")
@authz.requires("provider_area.use")
def provider_inbox():
    provider = authz.current_provider(current_user)
    if provider is None:
        return choose_provider_page(
            "introductions.provider_inbox", "Choose whose introductions to see"
        )
    authz.require(current_user, "provider.manage", provider)
    return (
        render_template(
            "introductions/inbox.html",
            heading=f"Introductions to {provider.name}",
            groups=services.inbox_groups(services.provider_introductions(provider)),
        ),
        200,
        NO_STORE,
    )


@bp.route("/carer/introductions")
@authz.requires("carer_profile.use")
def carer_inbox():
    carer = authz.own_carer(current_user)
    if carer is None:
        return render_template("carers/no_profile.html"), 404
    return (
        render_template(
            "introductions/inbox.html",
            heading="Introductions to you",
            groups=services.inbox_groups(services.carer_introductions(carer)),
        ),
        200,
        NO_STORE,
    )


# -- one introduction ---------------------------------------------------------------------


@bp.route("/introductions/<int:introduction_id>")
@login_required
def detail(introduction_id: int):
    introduction = _introduction(introduction_id)
    if authz.moderator_reading(current_user, introduction):
        # Platform staff read a private thread only for a reported message: on the record.
        services.record_staff_reading(introduction, current_user._get_current_object())
        db.session.commit()
    return _render_detail(introduction)


def _render_detail(introduction: Introduction, status: int = 200, **forms):
    page = services.detail_page(introduction, current_user._get_current_object())
    meeting_form = forms.get("meeting_form") or MeetingForm()
    meeting_form.meeting_time.choices = page.meeting_choices
    return (
        render_template(
            "introductions/detail.html",
            introduction=introduction,
            page=page,
            meeting_form=meeting_form,
            message_form=forms.get("message_form") or MessageForm(),
            reason_form=forms.get("reason_form") or ReasonForm(),
            report_form=ReportForm(),
            block_form=BlockForm(prefix="block"),
            confirm_form=ConfirmForm(),
        ),
        status,
        NO_STORE,
    )


@bp.route("/introductions/<int:introduction_id>/accept", methods=["GET", "POST"])
@login_required
def accept(introduction_id: int):
    introduction = _introduction(introduction_id, "introduction.answer")
    form = AcceptForm()
    extra_errors = []
    if form.validate_on_submit():
        try:
            services.move(
                introduction,
                "accept",
                current_user._get_current_object(),
                meeting_options=form.meeting_options(),
                meeting_place=form.place.data or "",
            )
        except services.NotReady as problem:  # refused before anything was written
            extra_errors = [("time_1", text) for text in problem.missing]
        except services.MoveError as refused:  # answered by someone else a moment ago
            flash(str(refused))
            return _render_detail(introduction, refused.status_code)
        else:
            db.session.commit()
            flash("You accepted. We have told them the times you offered.")
            return _back(introduction)
    return _answer_page("introductions/accept.html", introduction, form, extra_errors)


@bp.route("/introductions/<int:introduction_id>/decline", methods=["GET", "POST"])
@login_required
def decline(introduction_id: int):
    introduction = _introduction(introduction_id, "introduction.answer")
    form = DeclineForm()
    extra_errors = []
    if form.validate_on_submit():
        try:
            services.move(
                introduction,
                "decline",
                current_user._get_current_object(),
                decline_reason=form.reason.data,
                decline_text=form.text.data or "",
            )
        except services.NotReady as problem:  # refused before anything was written
            extra_errors = [("text", text) for text in problem.missing]
        except services.MoveError as refused:  # answered by someone else a moment ago
            flash(str(refused))
            return _render_detail(introduction, refused.status_code)
        else:
            db.session.commit()
            flash("You said no. We have told them, and shown them other matches.")
            return _back(introduction)
    return _answer_page("introductions/decline.html", introduction, form, extra_errors)


def _answer_page(template: str, introduction: Introduction, form, extra_errors):
    if introduction.status != "requested":
        # Answered already (perhaps by a colleague a moment ago): say so, change nothing.
        return _render_detail(introduction, 409)
    failed = bool(form.errors or extra_errors)
    return (
        render_template(
            template,
            introduction=introduction,
            form=form,
            extra_errors=extra_errors,
            page=services.detail_page(introduction, current_user._get_current_object()),
        ),
        400 if failed else 200,
        NO_STORE,
    )


@bp.post("/introductions/<int:introduction_id>/meeting")
@login_required
def choose_meeting(introduction_id: int):
    introduction = _introduction(introduction_id, "introduction.manage")
    form = MeetingForm()
    form.meeting_time.choices = [(o, o) for o in introduction.meeting_options or []]
    if not form.validate_on_submit():
        return _render_detail(introduction, 400, meeting_form=form)
    refused = _try_move(introduction, "arrange_meeting", meeting_time=form.meeting_time.data)
    if refused is not None:
        return refused
    db.session.commit()
    flash("Your meeting is arranged. We have told them.")
    return _back(introduction)


@bp.post("/introductions/<int:introduction_id>/yes")
@login_required
def say_yes(introduction_id: int):
    introduction = _introduction(introduction_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        agreed = services.say_yes(introduction, current_user._get_current_object())
    except PermissionError:
        abort(403)
    except services.IntroductionError as problem:  # refused before anything was written
        flash(str(problem))
        return _render_detail(introduction, 409)
    db.session.commit()
    flash(
        "You both agreed to go ahead. You can now see each other's contact details."
        if agreed
        else "You said yes. We have asked the other side to say whether they agree."
    )
    return _back(introduction)


@bp.post("/introductions/<int:introduction_id>/withdraw")
@login_required
def withdraw(introduction_id: int):
    return _close(introduction_id, "withdraw", "introduction.manage", "You withdrew your request.")


@bp.post("/introductions/<int:introduction_id>/not-going-ahead")
@login_required
def not_going_ahead(introduction_id: int):
    return _close(
        introduction_id, "not_go_ahead", "introduction.take_part", "You said you will not go ahead."
    )


def _close(introduction_id: int, move: str, action: str, done: str):
    introduction = _introduction(introduction_id, action)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_detail(introduction, 400, reason_form=form)
    refused = _try_move(introduction, move, reason=form.reason.data or "")
    if refused is not None:
        return refused
    db.session.commit()
    flash(done + " We have told the other side.")
    return _back(introduction)


# -- the thread -----------------------------------------------------------------------------


def _message_limit() -> str:
    return current_app.config["MESSAGE_RATE_LIMIT"]


@bp.post("/introductions/<int:introduction_id>/messages")
@login_required
@limiter.limit(_message_limit, key_func=_per_account)
def post_message(introduction_id: int):
    introduction = _introduction(introduction_id)
    form = MessageForm()
    refused = authz.refusal(current_user, "introduction.message", introduction)
    if refused is not None:  # a closed introduction, or staff reading: say so, post nothing
        form.validate_on_submit()
        form.body.errors = [refused]
        return _render_detail(introduction, 403, message_form=form)
    if not form.validate_on_submit():
        return _render_detail(introduction, 400, message_form=form)
    try:
        services.post_message(introduction, current_user._get_current_object(), form.body.data)
    except services.IntroductionError as problem:  # refused before anything was written
        form.body.errors = [str(problem)]
        status = 403 if isinstance(problem, services.Blocked) else 400
        return _render_detail(introduction, status, message_form=form)
    db.session.commit()
    flash("Your message is sent.")
    return redirect(
        url_for("introductions.detail", introduction_id=introduction.id, _anchor="thread")
    )


@bp.post("/introductions/<int:introduction_id>/messages/<int:message_id>/report")
@login_required
def report_message(introduction_id: int, message_id: int):
    introduction = _introduction(introduction_id, "introduction.report")
    message = db.session.get(IntroductionMessage, message_id)
    if message is None or message.introduction_id != introduction.id:
        abort(404)
    form = ReportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.report_message(message, current_user._get_current_object(), form.reason.data)
    except services.IntroductionError as problem:
        flash(str(problem))
        return _render_detail(introduction, 400)
    db.session.commit()
    flash("Thank you. A CoopCare reviewer will look at this message.")
    return _back(introduction)


@bp.post("/introductions/<int:introduction_id>/block")
@login_required
def block(introduction_id: int):
    introduction = _introduction(introduction_id, "introduction.block")
    form = BlockForm(prefix="block")
    if not form.validate_on_submit():
        abort(400)
    services.block(introduction, current_user._get_current_object(), form.reason.data)
    db.session.commit()
    flash("The other side can no longer send messages on this introduction.")
    return _back(introduction)


@bp.post("/introductions/<int:introduction_id>/unblock")
@login_required
def unblock(introduction_id: int):
    introduction = _introduction(introduction_id, "introduction.block")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.unblock(introduction, current_user._get_current_object())
    db.session.commit()
    flash("The other side can send messages again.")
    return _back(introduction)


# -- moderation -----------------------------------------------------------------------------


@bp.route("/review/reported-messages")
@authz.requires("moderation.use")
def reported_messages():
    rows = db.session.scalars(
        sa.select(IntroductionMessage)
        .where(IntroductionMessage.reported_at.is_not(None))
        .order_by(IntroductionMessage.moderated_at.is_not(None), IntroductionMessage.reported_at)
    ).all()
    return (
        render_template("introductions/moderation.html", messages=rows, form=ConfirmForm()),
        200,
        NO_STORE,
    )


@bp.post("/review/reported-messages/<int:message_id>/<decision>")
@authz.requires("moderation.use")
def moderate(message_id: int, decision: str):
    message = db.session.get(IntroductionMessage, message_id)
    if message is None or message.reported_at is None or decision not in ("hide", "keep"):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.moderate(message, current_user._get_current_object(), hide=decision == "hide")
    db.session.commit()
    flash("Message hidden." if decision == "hide" else "Message kept.")
    return redirect(url_for("introductions.reported_messages"))
