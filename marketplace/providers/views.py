"""Provider admin pages: dashboard, onboarding questions, evidence, sending for review."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace import authz, clock, database_id, notifications
from marketplace.choices import QAStatus
from marketplace.extensions import db
from marketplace.models import Evidence, Provider
from marketplace.models.quality import EVIDENCE_KINDS
from marketplace.providers import bp, onboarding, qa, services
from marketplace.providers import evidence as evidence_service
from marketplace.providers.forms import EvidenceForm
from marketplace.web import choose_provider_page

RETURN_TO = {"check": "providers.check_answers", "dashboard": "providers.dashboard"}


@bp.app_template_filter("qa_date")
def qa_date(value: date | None) -> str:
    return clock.long_date(value)


def _user() -> Any:
    return current_user._get_current_object()


def _current_provider() -> Provider | None:
    return authz.current_provider(current_user)


def _conflict(error: qa.QAError, provider: Provider | None = None):
    return (
        render_template("providers/conflict.html", message=str(error), provider=provider),
        error.status_code,
    )


@bp.route("")
@authz.requires("provider_area.use")
def dashboard():
    provider = _current_provider()
    if provider is None and len(authz.own_providers(_user())) > 1:
        return choose_provider_page("providers.dashboard", "Choose which organisation to work on")
    if provider is None:
        return render_template("providers/dashboard_empty.html")
    return render_template("providers/dashboard.html", **_dashboard_context(provider))


def _dashboard_context(provider: Provider, **extra: Any) -> dict[str, Any]:
    # Each read once for the page: the onboarding progress and current documents feed
    # the checklist, the answers and the expiry warning; the history gives the latest
    # "changes requested" and "suspended" events.
    today = clock.today()
    unanswered = onboarding.unanswered_steps(provider)
    documents = qa.current_evidence(provider.id)
    items = qa.checklist(provider, today, unanswered=unanswered, documents=documents)
    history = qa.history(provider)
    changes = qa.latest_in(history, QAStatus.CHANGES_REQUESTED)
    suspended = qa.latest_in(history, QAStatus.SUSPENDED)
    return {
        "provider": provider,
        "providers": authz.managed_providers(current_user),
        "explanation": qa.STATUS_EXPLANATIONS[provider.qa_status],
        "checklist": items,
        "ready": all(item.ok for item in items),
        "can_submit": "submit" in qa.allowed_actions(provider.qa_status),
        "can_change": services.can_change_answers(provider),
        "expiring": qa.expiring_evidence(provider, today, documents),
        "today": today,
        "notifications": notifications.for_user(_user()),
        "changes_comment": changes if provider.qa_status == QAStatus.CHANGES_REQUESTED else None,
        "suspension": suspended if provider.qa_status == QAStatus.SUSPENDED else None,
        "answers": onboarding.answer_rows(provider, unanswered),
        "history": history,
        **extra,
    }


@bp.post("/switch")
@authz.requires("provider_area.use")
def switch_provider():
    chosen = request.form.get("provider_id", type=database_id)
    if chosen is None:
        abort(404)
    authz.choose_provider(current_user, chosen)
    return redirect(url_for("providers.dashboard"))


@bp.post("/submit")
@authz.requires("provider_area.use")
def submit():
    provider = _current_provider()
    if provider is None:
        return redirect(url_for("providers.onboarding_start"))
    try:
        qa.transition(provider, "submit", _user())
    except qa.NotReady as error:
        context = _dashboard_context(provider, missing=error.missing)
        return render_template("providers/dashboard.html", **context), 400
    except qa.QAError as error:
        return _conflict(error, provider)
    db.session.commit()
    flash("Thank you. We have sent your organisation to our quality reviewers.", "success")
    return redirect(url_for("providers.dashboard"))


@bp.post("/notifications/read")
@authz.requires("provider_area.use")
def notifications_read():
    notifications.mark_read(_user())
    db.session.commit()
    return redirect(url_for("providers.dashboard"))


# -- onboarding -----------------------------------------------------------------------


@bp.route("/onboarding")
@authz.requires("provider_area.use")
def onboarding_start():
    provider = _current_provider()
    resume = onboarding.first_unanswered(provider) if provider else None
    return render_template("providers/onboarding_start.html", provider=provider, resume=resume)


@bp.route("/onboarding/check")
@authz.requires("provider_area.use")
def check_answers():
    provider = _current_provider()
    if provider is None:
        return redirect(url_for("providers.onboarding_start"))
    items = qa.checklist(provider)
    return render_template(
        "providers/check_answers.html",
        provider=provider,
        answers=onboarding.answer_rows(provider),
        checklist=items,
        ready=all(item.ok for item in items),
        can_submit="submit" in qa.allowed_actions(provider.qa_status),
        can_change=services.can_change_answers(provider),
        missing_documents=[i for i in items if i.evidence_kind and not i.ok],
        missing_answers=[i for i in items if i.step and not i.ok],
    )


def _step_redirect(provider: Provider | None, question: onboarding.Question) -> Any:
    """Where to send the user instead of this question, or None to ask it."""
    if provider is None:
        if question.slug == "name":
            return None
        return redirect(url_for(".onboarding_step", step="name"))
    if question.slug not in onboarding.applicable_steps(provider):
        abort(404)
    if not services.can_change_answers(provider):
        flash("You cannot change your answers while a reviewer checks them.", "info")
        return redirect(url_for("providers.dashboard"))
    waiting = (
        question.waits_for(provider, onboarding.unanswered_steps(provider))
        if question.waits_for
        else None
    )
    if waiting is not None:
        first, why = waiting
        flash(why, "info")
        return redirect(url_for(".onboarding_step", step=first))
    return None


def _after_answer(provider: Provider, step: str, return_to: str | None) -> str:
    if return_to:
        return url_for(RETURN_TO[return_to])
    following = onboarding.next_step(provider, step)
    if following is None:
        return url_for("providers.check_answers")
    return url_for("providers.onboarding_step", step=following)


def _back_url(provider: Provider | None, step: str, return_to: str | None) -> str:
    if return_to:
        return url_for(RETURN_TO[return_to])
    previous = onboarding.previous_step(provider, step)
    if previous:
        return url_for("providers.onboarding_step", step=previous)
    return url_for("providers.onboarding_start")


@bp.route("/onboarding/<step>", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def onboarding_step(step: str):
    question = onboarding.get(step)
    if question is None:
        abort(404)
    provider = _current_provider()
    elsewhere = _step_redirect(provider, question)
    if elsewhere is not None:
        return elsewhere
    return_to = request.args.get("return_to")
    return_to = return_to if return_to in RETURN_TO else None

    saved = onboarding.saved_answer(provider, step) if provider else {}
    form = question.form(data=None if request.method == "POST" else saved)
    page: dict[str, Any] = {}
    if provider is not None and question.prepare is not None:
        page = question.prepare(form, provider)
    if form.validate_on_submit():
        if provider is None:
            provider = services.start_provider(_user(), form.name.data)  # type: ignore[attr-defined]
            authz.choose_provider(current_user, provider.id)
        else:
            services.save_answer(provider, step, form, _user())
        db.session.commit()
        return redirect(_after_answer(provider, step, return_to))

    steps = onboarding.applicable_steps(provider)
    return render_template(
        question.page_template,
        form=form,
        provider=provider,
        question=question,
        step=step,
        step_number=steps.index(step) + 1,
        step_count=len(steps),
        back_url=_back_url(provider, step, return_to),
        return_to=return_to,
        **page,
    )


# -- evidence -------------------------------------------------------------------------


def _evidence_page(provider: Provider, form: EvidenceForm, status: int = 200):
    today = clock.today()
    max_size = evidence_service.size_text(current_app.config["MAX_UPLOAD_BYTES"])
    form.document.description = f"A PDF, JPEG or PNG file, smaller than {max_size}."
    documents = evidence_service.evidence_for(provider)
    current = {d.kind: d for d in documents if d.is_current}
    return (
        render_template(
            "providers/evidence.html",
            provider=provider,
            form=form,
            current=current,
            archived=[d for d in documents if not d.is_current],
            kinds=EVIDENCE_KINDS,
            required=qa.required_evidence_kinds(provider),
            today=today,
            warning_days=qa.EXPIRY_WARNING_DAYS,
        ),
        status,
    )


@bp.route("/evidence", methods=["GET", "POST"])
@authz.requires("provider_area.use")
def evidence():
    provider = _current_provider()
    if provider is None:
        return redirect(url_for("providers.onboarding_start"))
    form = EvidenceForm()
    form.today = clock.today()
    if not form.validate_on_submit():
        return _evidence_page(provider, form)
    upload = form.document.data
    try:
        document = evidence_service.store_evidence(
            provider,
            form.kind.data,
            upload.stream,
            upload.filename,
            form.expires.data,
            _user(),
            upload_folder=current_app.config["UPLOAD_FOLDER"],
            max_bytes=current_app.config["MAX_UPLOAD_BYTES"],
            today=form.today,
        )
    except evidence_service.UploadRejected as error:
        form.document.errors = [str(error)]
        return _evidence_page(provider, form)
    db.session.commit()
    flash(
        f"{document.kind_label} uploaded. It expires on {clock.long_date(document.expires_on)}.",
        "success",
    )
    return redirect(url_for("providers.evidence"))


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(_error: RequestEntityTooLarge):
    limit = evidence_service.size_text(current_app.config["MAX_UPLOAD_BYTES"])
    message = f"The file must be smaller than {limit}"
    allowed = authz.can(current_user, "provider_area.use")
    provider = _current_provider() if allowed else None
    if provider is None or request.endpoint != "providers.evidence":
        return render_template("errors/400.html", reason=message + "."), 413
    form = EvidenceForm(formdata=None)
    form.document.errors = [message]
    return _evidence_page(provider, form, 413)


@bp.route("/evidence/<int:evidence_id>/download")
@login_required
def evidence_download(evidence_id: int):
    """Only the provider's own admins, reviewers and admins get the file."""
    authz.require(current_user, "evidence_area.use")
    document = authz.get_or_abort(current_user, Evidence, evidence_id, "evidence.download")
    provider = document.provider
    try:
        path = evidence_service.evidence_path(current_app.config["UPLOAD_FOLDER"], document)
        handle = open(path, "rb")  # noqa: SIM115 - send_file closes it
    except OSError:
        current_app.logger.warning("evidence file %s is missing", document.id)
        abort(404)
    response = send_file(
        handle,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=evidence_service.download_name(document, provider),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
