"""The onboarding questions a provider answers before quality review.

Each question is one :class:`Question` record in :data:`QUESTIONS`: its title, its form,
how its answer is read from and written to the provider, the lines "Check your answers"
and the reviewer's page show, and the check the QA checklist makes. The question pages,
"Check your answers", the dashboard, the reviewer's page and the checklist all read this
list, so a new question is one record here (and its form class, and a page template if
the generic one is not enough).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marketplace import regulators, vocabulary
from marketplace.choices import upper_first
from marketplace.extensions import db
from marketplace.models import OnboardingProgress, Provider
from marketplace.models.providers import LEGAL_FORMS, MEMBER_KINDS
from marketplace.money import format_pence
from marketplace.providers import forms
from marketplace.providers.registration import (
    REGISTRATION_FIELDS,
    REGISTRATION_RULES,
    normalise_registration,
    registration_errors,
)

Check = tuple[bool, str]  # (answered well enough for review, what we found or what is missing)


def _always(_provider: Provider, _unanswered: set[str]) -> bool:
    return True


@dataclass(frozen=True)
class Question:
    """One onboarding question, everywhere it is used."""

    slug: str  # in the URL: /provider/onboarding/<slug>
    title: str  # the row's label in "Check your answers" and the checklist
    form: type[forms.StepForm]
    load: Callable[[Provider], dict[str, Any]]  # the saved answer, to fill the form
    save: Callable[[Provider, Any], None]  # a validated form onto the provider
    summary: Callable[[Provider], list[str]]  # the answer as lines to read back
    check: Callable[[Provider], Check]  # what quality review needs of the answer
    # Whether it is asked at all (a self-employed PA has no members to list).
    applies: Callable[[Provider, set[str]], bool] = _always
    # The question to answer first, and why, or None when this one can be asked now.
    waits_for: Callable[[Provider, set[str]], tuple[str, str] | None] | None = None
    # Fits the form to the provider before it is shown or checked; returns what the page
    # template needs besides the form.
    prepare: Callable[[Any, Provider], dict[str, Any]] | None = None
    template: str | None = None  # default "providers/steps/<slug>.html"

    @property
    def page_template(self) -> list[str]:
        """The question's own page, else the generic one that lists the form's fields."""
        return [self.template or f"providers/steps/{self.slug}.html", "providers/question.html"]


def _set(attribute: str, read: Callable[[Any], Any]) -> Callable[[Provider, Any], None]:
    """A saver that stores one form value on one provider column."""
    return lambda provider, form: setattr(provider, attribute, read(form))


def _given(value: str | None, missing: str) -> Check:
    return bool((value or "").strip()), value or missing


# -- registration numbers ---------------------------------------------------------------


def _save_registration(p: Provider, form: Any) -> None:
    for attribute in REGISTRATION_FIELDS:
        setattr(p, attribute, normalise_registration(attribute, getattr(form, attribute).data))


def _registration_lines(p: Provider) -> list[str]:
    lines = [
        f"{upper_first(label)}: {getattr(p, attr)}"
        for attr, label in REGISTRATION_FIELDS.items()
        if getattr(p, attr)
    ]
    return lines or ["None given"]


def _registration_check(p: Provider) -> Check:
    values = {a: getattr(p, a) for a in REGISTRATION_FIELDS}
    errors = registration_errors(p.legal_form, values)
    if errors:
        return False, "; ".join(errors.values())
    given = [f"{upper_first(REGISTRATION_FIELDS[a])} {v}" for a, v in values.items() if v]
    return True, ", ".join(given) or "None needed for your legal form"


def _registration_waits(_p: Provider, unanswered: set[str]) -> tuple[str, str] | None:
    if "legal-form" in unanswered:
        return "legal-form", "Tell us your legal form first: the numbers we need depend on it."
    return None


def _prepare_registration(form: Any, p: Provider) -> dict[str, Any]:
    form.legal_form = p.legal_form  # which numbers are needed depends on it
    needed = REGISTRATION_RULES.get(p.legal_form, ())
    return {"registration_needed": [REGISTRATION_FIELDS[a] for a in needed]}


# -- the care regulator -----------------------------------------------------------------


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


def _regulator_lines(p: Provider) -> list[str]:
    regulator = regulators.get(p.regulator) or regulators.regulator_for(p)
    if regulator is None:
        return ["Not answered yet"]
    if not p.regulated:
        return [f"Not registered with the {regulator.name}"]
    return [
        f"Registered with the {regulator.name}",
        f"{regulator.number_label}: {p.regulator_number or 'not given'}",
        f"{upper_first(regulator.rating_name)}: "
        f"{regulator.rating_label(p.regulator_rating) or 'not given'}",
    ]


def regulator_check(provider: Provider) -> Check:
    """Whether the care regulator answer fits the nation of the service address, and why."""
    expected = regulators.regulator_for(provider)
    if expected is None:
        return False, "Say where you work first: the regulator depends on the nation"
    if not provider.regulated:
        return True, f"Not registered with the {expected.name} ({expected.short_name})"
    given = regulators.get(provider.regulator)
    if given is None or given.code != expected.code:
        where = expected.nation.label
        return False, (
            f"You work in {where}, so your regulator is the {expected.name}: "
            "answer the care regulator question again"
        )
    problem = expected.number_problem(provider.regulator_number)
    rating = expected.rating_label(provider.regulator_rating)
    if problem or rating is None:
        return False, f"Enter your {expected.number_label} and {expected.rating_name}"
    number = provider.regulator_number
    return True, f"{expected.number_label} {number}, {expected.rating_name}: {rating}"


def _regulator_waits(p: Provider, unanswered: set[str]) -> tuple[str, str] | None:
    if "service-area" in unanswered or regulators.regulator_for(p) is None:
        why = "Tell us where you work first: the care regulator depends on the nation."
        return "service-area", why
    return None


def _prepare_regulator(form: Any, p: Provider) -> dict[str, Any]:
    regulator = regulators.regulator_for(p)
    if regulator is not None:
        form.for_regulator(regulator)
    return {"regulator": regulator}


# -- members ----------------------------------------------------------------------------


def _has_members(p: Provider, unanswered: set[str]) -> bool:
    """A self-employed PA (once they have said so) has no members to list."""
    return not (p.legal_form == "self_employed_pa" and "legal-form" not in unanswered)


def _members_check(p: Provider) -> Check:
    members = [MEMBER_KINDS[m] for m in p.members or [] if m in MEMBER_KINDS]
    return bool(members), ", ".join(members) or "Say who your members are"


# -- where they work --------------------------------------------------------------------


def _save_service_area(p: Provider, form: Any) -> None:
    place = form.location
    p.postcode = None if place.is_outcode else place.postcode
    p.district = place.outcode
    p.lat, p.lon = place.lat, place.lon
    p.care_council_code = place.care_council_code
    p.service_radius_km = form.radius
    p.service_districts = list(form.district_list)


def _service_area_lines(p: Provider) -> list[str]:
    lines = []
    if p.postcode or p.district:
        lines.append(f"Base: {p.postcode or p.district}")
    if p.service_radius_km:
        lines.append(f"Up to {p.service_radius_km:g} km from the base")
    if p.service_districts:
        lines.append("Districts: " + ", ".join(p.service_districts))
    return lines or ["Not given"]


def _service_area_check(p: Provider) -> Check:
    placed = p.district and p.lat is not None and p.lon is not None
    if not (placed and (p.service_radius_km or p.service_districts)):
        return False, "Say where you work"
    parts = [f"Based in {p.district}"]
    if p.service_radius_km:
        parts.append(f"up to {p.service_radius_km:g} km away")
    if p.service_districts:
        parts.append("covering " + ", ".join(p.service_districts))
    return True, ", ".join(parts)


# -- contact details --------------------------------------------------------------------


def _save_contact(p: Provider, form: Any) -> None:
    p.contact_email = form.contact_email.data.strip().lower()
    p.contact_phone = (form.contact_phone.data or "").strip() or None
    p.website = (form.website.data or "").strip() or None


def _labels(kind: str, values: list[str] | None, none: str = "None chosen") -> list[str]:
    return [vocabulary.label(kind, v) for v in values or []] or [none]


def _count_check(values: list[str] | None, noun: str, missing: str) -> Check:
    return bool(values), f"{len(values)} {noun}" if values else missing


# The questions, in the order they are asked.
QUESTIONS: tuple[Question, ...] = (
    Question(
        "name",
        "Organisation name",
        forms.NameForm,
        load=lambda p: {"name": p.name},
        save=_set("name", lambda f: f.name.data.strip()),
        summary=lambda p: [p.name],
        check=lambda p: _given(p.name, "Enter a name"),
    ),
    Question(
        "legal-form",
        "Legal form",
        forms.LegalFormForm,
        load=lambda p: {"legal_form": p.legal_form},
        save=_set("legal_form", lambda f: f.legal_form.data),
        summary=lambda p: [LEGAL_FORMS.get(p.legal_form, p.legal_form)],
        check=lambda p: (p.legal_form in LEGAL_FORMS, p.legal_form_label),
    ),
    Question(
        "registration",
        "Registration numbers",
        forms.RegistrationForm,
        load=lambda p: {a: getattr(p, a) for a in REGISTRATION_FIELDS},
        save=_save_registration,
        summary=_registration_lines,
        check=_registration_check,
        waits_for=_registration_waits,
        prepare=_prepare_registration,
    ),
    Question(
        "principles",
        "Co-operative principles",
        forms.PrinciplesForm,
        load=lambda p: {"principles": p.principles},
        save=_set("principles", lambda f: f.principles.data.strip()),
        summary=lambda p: [p.principles or "Not given"],
        check=lambda p: (
            bool((p.principles or "").strip()),
            "Given" if (p.principles or "").strip() else "Describe your principles",
        ),
    ),
    Question(
        "members",
        "Members",
        forms.MembersForm,
        load=lambda p: {"members": list(p.members or [])},
        save=_set("members", lambda f: list(f.members.data)),
        summary=lambda p: [MEMBER_KINDS.get(m, m) for m in p.members or []] or ["None chosen"],
        check=_members_check,
        applies=_has_members,
    ),
    Question(
        "service-area",
        "Where you work",
        forms.ServiceAreaForm,
        load=lambda p: {
            "postcode": p.postcode or p.district,
            "radius_km": f"{p.service_radius_km:g}" if p.service_radius_km else "",
            "districts": ", ".join(p.service_districts or []),
        },
        save=_save_service_area,
        summary=_service_area_lines,
        check=_service_area_check,
    ),
    # After the service area: the regulator follows the nation the service is in.
    Question(
        "regulator",
        "Care regulator",
        forms.RegulatorForm,
        load=lambda p: {
            "regulated": "yes" if p.regulated else "no",
            "regulator_number": p.regulator_number,
            "regulator_rating": p.regulator_rating,
        },
        save=_save_regulator,
        summary=_regulator_lines,
        check=regulator_check,
        waits_for=_regulator_waits,
        prepare=_prepare_regulator,
    ),
    Question(
        "services",
        "Services you offer",
        forms.ServicesForm,
        load=lambda p: {"skills": list(p.skills or [])},
        save=_set("skills", lambda f: sorted(f.skills.data)),
        summary=lambda p: _labels("skill", p.skills),
        check=lambda p: _count_check(p.skills, "services", "Choose your services"),
    ),
    Question(
        "languages",
        "Languages",
        forms.LanguagesForm,
        load=lambda p: {"languages": list(p.languages or [])},
        save=_set("languages", lambda f: sorted(f.languages.data)),
        summary=lambda p: _labels("language", p.languages),
        check=lambda p: _count_check(p.languages, "languages", "Choose your languages"),
    ),
    Question(
        "rate",
        "Typical hourly rate",
        forms.RateForm,
        load=lambda p: {"hourly_rate": format_pence(p.hourly_rate_pence, for_input=True)},
        save=_set("hourly_rate_pence", lambda f: f.rate_pence),
        summary=lambda p: (
            [f"{format_pence(p.hourly_rate_pence)} an hour"]
            if p.hourly_rate_pence
            else ["Not given"]
        ),
        check=lambda p: (
            p.hourly_rate_pence is not None and p.hourly_rate_pence > 0,
            f"{format_pence(p.hourly_rate_pence)} an hour"
            if p.hourly_rate_pence
            else "Enter your typical hourly rate",
        ),
    ),
    Question(
        "contact",
        "Contact details",
        forms.ContactForm,
        load=lambda p: {
            "contact_email": p.contact_email,
            "contact_phone": p.contact_phone,
            "website": p.website,
        },
        save=_save_contact,
        summary=lambda p: (
            [x for x in (p.contact_email, p.contact_phone, p.website) if x] or ["Not given"]
        ),
        check=lambda p: (
            bool(p.contact_email),
            p.contact_email or "Enter an email address people can contact",
        ),
    ),
)


# -- the list of questions --------------------------------------------------------------


def slugs() -> list[str]:
    """Every question's slug, in order (before anything is known about the provider)."""
    return [question.slug for question in QUESTIONS]


def get(slug: str) -> Question | None:
    return next((question for question in QUESTIONS if question.slug == slug), None)


def unanswered_steps(provider: Provider | None) -> set[str]:
    """The questions this provider has not answered yet (all of them before it exists)."""
    if provider is None or provider.id is None:
        return set(slugs())
    progress = db.session.get(OnboardingProgress, provider.id)
    return set(progress.unanswered or []) if progress else set()


def applicable(provider: Provider | None, unanswered: set[str] | None = None) -> list[Question]:
    """The questions that apply to this provider, in order."""
    if provider is None:
        return list(QUESTIONS)
    unanswered = unanswered_steps(provider) if unanswered is None else unanswered
    return [q for q in QUESTIONS if q.applies(provider, unanswered)]


def applicable_steps(provider: Provider | None, unanswered: set[str] | None = None) -> list[str]:
    return [question.slug for question in applicable(provider, unanswered)]


def next_step(provider: Provider, step: str) -> str | None:
    """The question after this one, or None when all have been asked."""
    steps = applicable_steps(provider)
    index = steps.index(step) if step in steps else -1
    return steps[index + 1] if index + 1 < len(steps) else None


def previous_step(provider: Provider | None, step: str) -> str | None:
    steps = applicable_steps(provider)
    if step not in steps:
        return None
    index = steps.index(step)
    return steps[index - 1] if index > 0 else None


def first_unanswered(provider: Provider) -> str | None:
    unanswered = unanswered_steps(provider)
    return next((s for s in applicable_steps(provider, unanswered) if s in unanswered), None)


# -- answers ----------------------------------------------------------------------------


def saved_answer(provider: Provider, step: str) -> dict[str, Any]:
    """The saved answer, to fill the question page (nothing if not answered yet)."""
    question = get(step)
    if question is None or step in unanswered_steps(provider):
        return {}
    return question.load(provider)


def answer_rows(provider: Provider, unanswered: set[str] | None = None) -> list[dict[str, Any]]:
    """Each question and its answer, for "Check your answers" and the reviewer's page
    (``unanswered``: ``unanswered_steps`` when the caller has read it already)."""
    if unanswered is None:
        unanswered = unanswered_steps(provider)
    rows = []
    for question in applicable(provider, unanswered):
        answered = question.slug not in unanswered
        rows.append(
            {
                "step": question.slug,
                "label": question.title,
                "lines": question.summary(provider) if answered else [],
                "answered": answered,
            }
        )
    return rows


def answer_checks(provider: Provider, unanswered: set[str]) -> list[tuple[Question, bool, str]]:
    """Each applicable question with whether its answer is ready for review, and why."""
    checks = []
    for question in applicable(provider, unanswered):
        if question.slug in unanswered:
            ok, detail = False, "Not answered yet"
        else:
            ok, detail = question.check(provider)
        checks.append((question, ok, detail))
    return checks
