"""Both sides' preferences: the home a carer would work in, and who and how they like to help.

NICE asks for matching on "both parties' interests and preferences". The person says
what their home is like (pets, someone who smokes), the kinds of support they want and,
if they choose to, which groups they belong to; the carer says which pets they are
happy with, whether they mind a smoking home, the kinds of support they enjoy giving
and who they would like to support. These closed vocabularies are the stored values
(``marketplace.choices`` offers them as form choices); each term carries the words the
engine uses to explain an agreement or a clash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PreferenceTerm:
    """A stored slug, its label on forms, and how it reads in a sentence."""

    slug: str
    label: str
    phrase: str


PETS: tuple[PreferenceTerm, ...] = (
    PreferenceTerm("dogs", "Dogs", "dogs"),
    PreferenceTerm("cats", "Cats", "cats"),
    PreferenceTerm("other_pets", "Other pets (like birds, rabbits or fish)", "other pets"),
)
# Kinds of support: the phrase follows "enjoys" ("Alex enjoys helping people get out and
# about").
SUPPORT_KINDS: tuple[PreferenceTerm, ...] = (
    PreferenceTerm(
        "personal_care",
        "Personal care (washing, dressing, using the toilet)",
        "helping with personal care",
    ),
    PreferenceTerm("out_and_about", "Getting out and about", "helping people get out and about"),
    PreferenceTerm("companionship", "Company and a chat", "keeping people company"),
    PreferenceTerm(
        "household_tasks",
        "Household tasks (cleaning, laundry, tidying)",
        "helping with household tasks",
    ),
    PreferenceTerm("meals", "Cooking and meals", "cooking and sharing meals"),
    PreferenceTerm("shopping_errands", "Shopping and errands", "helping with shopping and errands"),
    PreferenceTerm(
        "work_and_learning",
        "Work, learning and volunteering",
        "helping people with work, learning and volunteering",
    ),
)
# Groups of people: the phrase follows "would like to support".
PERSON_GROUPS: tuple[PreferenceTerm, ...] = (
    PreferenceTerm("older_people", "Older people", "older people"),
    PreferenceTerm(
        "learning_disabilities",
        "People with a learning disability",
        "people with a learning disability",
    ),
    PreferenceTerm("autistic_people", "Autistic people", "autistic people"),
    PreferenceTerm(
        "physical_disabilities",
        "People with a physical disability",
        "people with a physical disability",
    ),
    PreferenceTerm("dementia", "People living with dementia", "people living with dementia"),
    PreferenceTerm(
        "mental_health", "People with mental health needs", "people with mental health needs"
    ),
    PreferenceTerm(
        "sensory_loss", "People with sight or hearing loss", "people with sight or hearing loss"
    ),
    PreferenceTerm("young_adults", "Young adults (18 to 25)", "young adults"),
)

PET_SLUGS = tuple(t.slug for t in PETS)
SUPPORT_KIND_SLUGS = tuple(t.slug for t in SUPPORT_KINDS)
PERSON_GROUP_SLUGS = tuple(t.slug for t in PERSON_GROUPS)

_PHRASES = {t.slug: t.phrase for t in (*PETS, *SUPPORT_KINDS, *PERSON_GROUPS)}


def phrase(slug: str) -> str:
    """How a term reads mid-sentence ("dogs", "keeping people company")."""
    return _PHRASES.get(slug, slug.replace("_", " "))


def check_terms(values: Iterable[str], allowed: tuple[str, ...], name: str) -> None:
    """Raise ``ValueError`` naming the first value of ``name`` that is not in ``allowed``."""
    for value in values:
        if value not in allowed:
            raise ValueError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
