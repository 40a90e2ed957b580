"""Provider onboarding: the draft provider and saving each question's answer.

The questions themselves (what each asks, reads, saves, shows and checks) are the
records in ``marketplace.providers.onboarding``.
"""

from __future__ import annotations

from marketplace import audit
from marketplace.choices import QAStatus
from marketplace.extensions import db
from marketplace.models import OnboardingProgress, Provider, ProviderAdmin, User
from marketplace.providers import onboarding
from marketplace.providers.forms import StepForm

# The legal form column cannot be empty, so a new draft holds this until the admin
# answers the legal form question (which stays "not answered" until then).
PLACEHOLDER_LEGAL_FORM = "cooperative_society"


class AnswersLocked(Exception):
    """Answers cannot change while a reviewer is checking them."""


def start_provider(user: User, name: str) -> Provider:
    """Create a draft provider with its first answer (the name); the user becomes its admin."""
    provider = Provider(
        name=name.strip(), legal_form=PLACEHOLDER_LEGAL_FORM, qa_status=QAStatus.DRAFT
    )
    db.session.add(provider)
    db.session.flush()
    db.session.add(ProviderAdmin(provider_id=provider.id, user_id=user.id))
    db.session.add(
        OnboardingProgress(
            provider_id=provider.id,
            unanswered=[step for step in onboarding.slugs() if step != "name"],
            started_by_user_id=user.id,
        )
    )
    if not user.has_role("provider_admin"):
        user.add_role("provider_admin")
    audit.record("provider.onboarding_started", actor_id=user.id, target=provider)
    db.session.flush()
    return provider


def can_change_answers(provider: Provider) -> bool:
    return provider.qa_status != QAStatus.SUBMITTED


def _mark_answered(provider: Provider, steps: set[str]) -> None:
    progress = db.session.get(OnboardingProgress, provider.id)
    if progress is not None and steps & set(progress.unanswered or []):
        progress.unanswered = [s for s in progress.unanswered if s not in steps]


def save_answer(provider: Provider, step: str, form: StepForm, actor: User) -> None:
    """Store a validated answer. Raises AnswersLocked while the provider is under review."""
    if not can_change_answers(provider):
        raise AnswersLocked()
    question = onboarding.get(step)
    if question is None:
        raise KeyError(step)
    question.save(provider, form)
    # This answer, and any question it makes irrelevant (a PA has no members to list).
    answered = {step}
    unanswered = onboarding.unanswered_steps(provider) - answered
    answered |= unanswered - set(onboarding.applicable_steps(provider, unanswered))
    _mark_answered(provider, answered)
    audit.record("provider.answer_saved", actor_id=actor.id, target=provider, step=step)
    db.session.flush()
