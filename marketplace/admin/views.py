"""Reviewer pages: the queue (/review) and one page per provider with the decision form."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace import authz, clock, regulators
from marketplace.admin import bp, services
from marketplace.admin.forms import DecisionForm
from marketplace.choices import QAStatus
from marketplace.extensions import db
from marketplace.models import Provider
from marketplace.models.quality import EVIDENCE_KINDS
from marketplace.providers import evidence as evidence_service
from marketplace.providers import onboarding, qa

ACTION_BUTTONS = {
    "approve": "Approve",
    "request_changes": "Ask for changes",
    "suspend": "Suspend",
    "reinstate": "Reinstate",
}
DONE_MESSAGES = {
    "approve": "{name} is approved and listed.",
    "request_changes": "We have asked {name} for changes.",
    "suspend": "{name} is suspended and no longer listed.",
    "reinstate": "{name} is reinstated and listed again.",
}


@bp.route("")
@authz.requires("review_area.use")
def queue():
    today = clock.today()
    return render_template(
        "admin/queue.html",
        waiting=services.review_queue(),
        changes_requested=services.providers_by_status(QAStatus.CHANGES_REQUESTED),
        suspended=services.providers_by_status(QAStatus.SUSPENDED),
        approved=services.providers_by_status(QAStatus.APPROVED),
        expiring=services.providers_with_expiring_evidence(today),
        counts=services.status_counts(),
    )


def _page(provider: Provider, form: DecisionForm, status: int = 200, **extra: Any):
    today = clock.today()
    items = qa.checklist(provider, today)
    documents = evidence_service.evidence_for(provider)
    actions = [a for a in qa.allowed_actions(provider.qa_status) if a in qa.REVIEWER_ACTIONS]
    return (
        render_template(
            "admin/provider.html",
            provider=provider,
            form=form,
            checklist=items,
            ready=all(item.ok for item in items),
            answers=onboarding.answer_rows(provider),
            current=[d for d in documents if d.is_current],
            archived=[d for d in documents if not d.is_current],
            kinds=EVIDENCE_KINDS,
            history=qa.history(provider),
            register_links=regulators.register_links(provider),
            actions=[(a, ACTION_BUTTONS[a]) for a in actions],
            own_provider=authz.runs_provider(current_user._get_current_object(), provider),
            today=today,
            **extra,
        ),
        status,
    )


@bp.route("/providers/<int:provider_id>", methods=["GET", "POST"])
@authz.requires("review_area.use")
def provider(provider_id: int):
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        abort(404)
    form = DecisionForm()
    if request.method == "GET":
        return _page(provider, form)

    action = request.form.get("action", "")
    if action not in ACTION_BUTTONS:
        abort(400)
    if not form.validate_on_submit():
        return _page(provider, form)
    try:
        qa.transition(provider, action, current_user._get_current_object(), form.comment.data)
    except qa.ReasonRequired as error:
        form.comment.errors = [str(error)]
        return _page(provider, form)
    except qa.NotReady as error:
        return _page(provider, form, missing=error.missing)
    except qa.QAError as error:
        return (
            render_template(
                "providers/conflict.html",
                message=str(error),
                provider=provider,
                back_url=url_for("admin.provider", provider_id=provider.id),
            ),
            error.status_code,
        )
    db.session.commit()
    flash(DONE_MESSAGES[action].format(name=provider.name), "success")
    return redirect(url_for("admin.provider", provider_id=provider.id))
