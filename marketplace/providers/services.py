"""Provider onboarding: the draft provider, each question's answer, and who may see what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketplace import audit, qa, regulators, vocabulary
from marketplace.extensions import db
from marketplace.models import OnboardingProgress, Provider, ProviderAdmin, User
from marketplace.models.providers import LEGAL_FORMS, MEMBER_KINDS
from marketplace.money import format_pence
from marketplace.providers.forms import StepForm

# The legal form column cannot be empty, so a new draft holds this until the admin
# answers the legal form question (which stays "not answered" until then).
PLACEHOLDER_LEGAL_FORM = "cooperative_society"


class AnswersLocked(Exception):
    """Answers cannot change while a reviewer is checking them."""


def start_provider(user: User, name: str) -> Provider:
    """Create a draft provider with its first answer (the name); the user becomes its admin."""
    provider = Provider(name=name.strip(), legal_form=PLACEHOLDER_LEGAL_FORM, qa_status="draft")
    db.session.add(provider)
    db.session.flush()
    db.session.add(ProviderAdmin(provider_id=provider.id, user_id=user.id))
    db.session.add(
        OnboardingProgress(
            provider_id=provider.id,
            unanswered=[step for step in qa.STEPS if step != "name"],
            started_by_user_id=user.id,
        )
    )
    if not user.has_role("provider_admin"):
        user.add_role("provider_admin")
    audit.record("provider.onboarding_started", actor_id=user.id, target=provider)
    db.session.flush()
    return provider


def can_change_answers(provider: Provider) -> bool:
    return provider.qa_status != "submitted"


def _mark_answered(provider: Provider, step: str) -> None:
    progress = db.session.get(OnboardingProgress, provider.id)
    if progress is not None and step in (progress.unanswered or []):
        progress.unanswered = [s for s in progress.unanswered if s != step]


# -- reading answers into forms ------------------------------------------------------


def form_data(provider: Provider, step: str) -> dict[str, Any]:
    """The saved answer, to fill the question page (nothing if not answered yet)."""
    if step in qa.unanswered_steps(provider):
        return {}
    p = provider
    loaders: dict[str, Callable[[], dict[str, Any]]] = {
        "name": lambda: {"name": p.name},
        "legal-form": lambda: {"legal_form": p.legal_form},
        "registration": lambda: {
            "fca_number": p.fca_number,
            "companies_house_number": p.companies_house_number,
            "charity_number": p.charity_number,
        },
        "regulator": lambda: {
            "regulated": "yes" if p.regulated else "no",
            "regulator_number": p.regulator_number,
            "regulator_rating": p.regulator_rating,
        },
        "principles": lambda: {"principles": p.principles},
        "members": lambda: {"members": list(p.members or [])},
        "service-area": lambda: {
            "postcode": p.postcode or p.district,
            "radius_km": f"{p.service_radius_km:g}" if p.service_radius_km else "",
            "districts": ", ".join(p.service_districts or []),
        },
        "services": lambda: {"skills": list(p.skills or [])},
        "languages": lambda: {"languages": list(p.languages or [])},
        "rate": lambda: {"hourly_rate": format_pence(p.hourly_rate_pence, for_input=True)},
        "contact": lambda: {
            "contact_email": p.contact_email,
            "contact_phone": p.contact_phone,
            "website": p.website,
        },
    }
    return loaders[step]()


# -- saving answers ---------------------------------------------------------------------


def _save_registration(p: Provider, form: Any) -> None:
    for attribute in qa.REGISTRATION_FIELDS:
        setattr(p, attribute, qa.normalise_registration(attribute, getattr(form, attribute).data))


def _save_regulator(p: Provider, form: Any) -> None:
    # The regulator is the one for the nation of the service address, never typed in.
    p.regulator = form.regulator.code
    p.regulated = form.regulated.data == "yes"
    if p.regulated:
        p.regulator_number = form.regulator_number.data
        p.regulator_rating = form.regulator_rating.data
    else:
        p.regulator_number = None
        p.regulator_rating = None


def _save_service_area(p: Provider, form: Any) -> None:
    place = form.location
    p.postcode = None if place.is_outcode else place.postcode
    p.district = place.outcode
    p.lat, p.lon = place.lat, place.lon
    p.care_council_code = place.care_council_code
    p.service_radius_km = form.radius
    p.service_districts = list(form.district_list)


def _save_contact(p: Provider, form: Any) -> None:
    p.contact_email = form.contact_email.data.strip().lower()
    p.contact_phone = (form.contact_phone.data or "").strip() or None
    p.website = (form.website.data or "").strip() or None


SAVERS: dict[str, Callable[[Provider, Any], None]] = {
    "name": lambda p, f: setattr(p, "name", f.name.data.strip()),
    "legal-form": lambda p, f: setattr(p, "legal_form", f.legal_form.data),
    "registration": _save_registration,
    "regulator": _save_regulator,
    "principles": lambda p, f: setattr(p, "principles", f.principles.data.strip()),
    "members": lambda p, f: setattr(p, "members", list(f.members.data)),
    "service-area": _save_service_area,
    "services": lambda p, f: setattr(p, "skills", sorted(f.skills.data)),
    "languages": lambda p, f: setattr(p, "languages", sorted(f.languages.data)),
    "rate": lambda p, f: setattr(p, "hourly_rate_pence", f.rate_pence),
    "contact": _save_contact,
}


def save_answer(provider: Provider, step: str, form: StepForm, actor: User) -> None:
    """Store a validated answer. Raises AnswersLocked while the provider is under review."""
    if not can_change_answers(provider):
        raise AnswersLocked()
    SAVERS[step](provider, form)
    if step == "legal-form" and provider.legal_form == "self_employed_pa":
        _mark_answered(provider, "members")  # a PA has no members to list
    _mark_answered(provider, step)
    audit.record("provider.answer_saved", actor_id=actor.id, target=provider, step=step)
    db.session.flush()


# -- moving between questions ---------------------------------------------------------


def next_step(provider: Provider, step: str) -> str | None:
    """The question after this one, or None when all have been asked."""
    steps = qa.applicable_steps(provider)
    index = steps.index(step) if step in steps else -1
    return steps[index + 1] if index + 1 < len(steps) else None


def previous_step(provider: Provider | None, step: str) -> str | None:
    steps = qa.applicable_steps(provider) if provider is not None else list(qa.STEPS)
    if step not in steps:
        return None
    index = steps.index(step)
    return steps[index - 1] if index > 0 else None


def first_unanswered(provider: Provider) -> str | None:
    unanswered = qa.unanswered_steps(provider)
    for step in qa.applicable_steps(provider, unanswered):
        if step in unanswered:
            return step
    return None


# -- showing answers ------------------------------------------------------------------


def answer_rows(provider: Provider) -> list[dict[str, Any]]:
    """Each question and its answer, for "Check your answers" and the reviewer's page."""
    unanswered = qa.unanswered_steps(provider)
    p = provider
    rows = []
    for step in qa.applicable_steps(provider, unanswered):
        if step in unanswered:
            rows.append(
                {"step": step, "label": qa.STEP_TITLES[step], "lines": [], "answered": False}
            )
            continue
        rows.append(
            {
                "step": step,
                "label": qa.STEP_TITLES[step],
                "lines": _lines(p, step),
                "answered": True,
            }
        )
    return rows


def _lines(p: Provider, step: str) -> list[str]:
    if step == "name":
        return [p.name]
    if step == "legal-form":
        return [LEGAL_FORMS.get(p.legal_form, p.legal_form)]
    if step == "registration":
        lines = [
            f"{qa.upper_first(label)}: {getattr(p, attr)}"
            for attr, label in qa.REGISTRATION_FIELDS.items()
            if getattr(p, attr)
        ]
        return lines or ["None given"]
    if step == "regulator":
        regulator = regulators.get(p.regulator) or regulators.regulator_for(p)
        if regulator is None:
            return ["Not answered yet"]
        if not p.regulated:
            return [f"Not registered with the {regulator.name}"]
        return [
            f"Registered with the {regulator.name}",
            f"{regulator.number_label}: {p.regulator_number or 'not given'}",
            f"{qa.upper_first(regulator.rating_name)}: "
            f"{regulator.rating_label(p.regulator_rating) or 'not given'}",
        ]
    if step == "principles":
        return [p.principles or "Not given"]
    if step == "members":
        return [MEMBER_KINDS.get(m, m) for m in p.members or []] or ["None chosen"]
    if step == "service-area":
        lines = []
        if p.postcode or p.district:
            lines.append(f"Base: {p.postcode or p.district}")
        if p.service_radius_km:
            lines.append(f"Up to {p.service_radius_km:g} km from the base")
        if p.service_districts:
            lines.append("Districts: " + ", ".join(p.service_districts))
        return lines or ["Not given"]
    if step == "services":
        return [vocabulary.label("skill", s) for s in p.skills or []] or ["None chosen"]
    if step == "languages":
        return [vocabulary.label("language", s) for s in p.languages or []] or ["None chosen"]
    if step == "rate":
        rate = p.hourly_rate_pence
        return [f"{format_pence(rate)} an hour"] if rate else ["Not given"]
    if step == "contact":
        return [x for x in (p.contact_email, p.contact_phone, p.website) if x] or ["Not given"]
    raise KeyError(step)  # pragma: no cover
