"""Easy Read for a carer match: one idea per line, short sentences, a picture for each.

Easy Read (as the Department of Health's guide and Mencap describe it): a picture on
the left, words on the right; one idea on each line; sentences of 15 words or fewer;
hard words explained where they first come. :func:`easy_read` builds the lines from the
carer's public facts and, for a signed-in person, from their saved needs and interests
(no postcode: distance is a band from the carer's public point). ``MAX_WORDS`` is checked
by the tests on every sentence. No ``request`` in here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from marketplace.carers.checks import long_date, public_checks
from marketplace.choices import Day, DayPart
from marketplace.models import Carer, Person
from marketplace.money import format_pence
from marketplace.shortlist import services
from marketplace.vocabulary import label as vocabulary_label
from matching.wording import join_and

MAX_WORDS = 15

# Picture file (in static/easy-read/) -> its text alternative.
PICTURES = {
    "person": "A person",
    "coop": "A house: the co-op",
    "place": "A map pin: where",
    "help": "A plus sign: help",
    "interests": "A heart: things they like",
    "speaks": "A speech bubble: languages",
    "time": "A clock: when",
    "money": "A pound sign: money",
    "checks": "A shield with a tick: checks",
    "list": "A list with ticks: your shortlist",
}

CHECK_WORDS = {
    "dbs": ("DBS check", "A DBS check looks at police records."),
    "pvg": ("PVG check", "A PVG check looks at police records in Scotland."),
    "accessni": (
        "AccessNI check",
        "An AccessNI check looks at police records in Northern Ireland.",
    ),
}


@dataclass
class Line:
    picture: str
    sentences: list[str]
    hard_word: tuple[str, str] | None = None  # (word, what it means)
    extra: list[str] = field(default_factory=list)

    @property
    def alt(self) -> str:
        return PICTURES[self.picture]


def words(sentence: str) -> int:
    return len(re.findall(r"[\w£'’.,-]+", sentence))


def _first_name(carer: Carer) -> str:
    return carer.display_name.split()[0] if carer.display_name else "This carer"


def _skills(labels: list[str]) -> list[str]:
    return [label[:1].lower() + label[1:] if not label[:2].isupper() else label for label in labels]


def easy_read(carer: Carer, person: Person | None, on_shortlist: bool | None = False) -> list[Line]:
    """The Easy Read lines for this carer, for this person (or for anyone).

    ``on_shortlist``: True or False for someone who keeps a shortlist, None for an
    account that does not (then the shortlist is not mentioned)."""
    name = _first_name(carer)
    provider = carer.provider
    lines = [
        Line("person", [f"This is {name}.", f"{name} is a carer."]),
        Line(
            "coop",
            [f"{name} works for {provider.name}."],
            hard_word=("Co-op", "A co-op is a business owned by its members.")
            if "co-op" in provider.name.lower() or "operative" in provider.legal_form_label.lower()
            else None,
        ),
    ]
    place = [f"{name} lives in the {carer.district} area."] if carer.district else []
    if person is not None and person.lat is not None and person.lon is not None:
        band = services.distance_band(services._distance(person, [carer]))
        place.append(f"That is {band[:1].lower() + band[1:]} from you.")
    if place:
        lines.append(Line("place", place))

    skills = list(carer.skills or ())
    needs = list(person.must_have or ()) if person else []
    help_lines = []
    for need in needs:
        label = _skills([vocabulary_label("skill", need)])[0]
        if need in skills:
            help_lines.append(f"{name} can help with {label}. You said you need this.")
        else:
            help_lines.append(f"{name} does not help with {label}.")
    others = [s for s in skills if s not in needs]
    for skill in others[:6]:
        help_lines.append(f"{name} can help with {_skills([vocabulary_label('skill', skill)])[0]}.")
    if help_lines:
        lines.append(Line("help", help_lines))

    interests = list(carer.interests or ())
    if interests:
        liked = [f"{name} likes {interest}." for interest in interests[:5]]
        mine = {i.casefold() for i in (person.interests or ())} if person else set()
        shared = [i for i in interests if i.casefold() in mine]
        if shared:
            liked.append(f"You both like {join_and(shared[:3])}.")
        lines.append(Line("interests", liked))

    languages = [vocabulary_label("language", lang) for lang in carer.languages or ()]
    if languages:
        lines.append(Line("speaks", [f"{name} speaks {join_and(languages[:4])}."]))

    slots = set(carer.availability or ())
    free = []
    for day in Day:
        parts = [part.label.lower() for part in DayPart if f"{day}-{part}" in slots]
        if parts:
            free.append(f"{name} is usually free on {day.label} {join_and(parts)}.")
    lines.append(Line("time", free or [f"Ask {provider.name} when {name} is free."]))

    if carer.hourly_rate_pence is not None:
        price = format_pence(carer.hourly_rate_pence)
        lines.append(Line("money", [f"{name} costs {price} for one hour of care."]))

    checks = public_checks(carer)
    if checks is not None:
        record = carer.check("criminal_record")
        word, meaning = CHECK_WORDS.get(record.scheme if record else "", CHECK_WORDS["dbs"])
        check_lines = [
            f"{name} has had a {word}.",
            f"{checks.confirmed_by} checked this on {long_date(checks.confirmed_on)}.",
        ]
        lines.append(
            Line("checks", check_lines, hard_word=(word, meaning + " It helps keep you safe."))
        )
    if on_shortlist is not None:  # only for those who keep a shortlist
        said = (
            [f"{name} is on your shortlist.", "You can look again later."]
            if on_shortlist
            else [f"You can add {name} to your shortlist.", "Then you can look again later."]
        )
        lines.append(
            Line("list", said, hard_word=("Shortlist", "A shortlist is a list of carers you like."))
        )
    return lines


def all_sentences(lines: list[Line]) -> list[str]:
    found = []
    for line in lines:
        found += line.sentences
        if line.hard_word:
            found += re.split(r"(?<=\.)\s+", line.hard_word[1])
    return found
