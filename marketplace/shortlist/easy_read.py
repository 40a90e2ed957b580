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
from marketplace.choices import Day, DayPart, Pet, TeamRole
from marketplace.models import Carer, Person, Team, TeamMember
from marketplace.money import format_pence
from marketplace.people.services import stored_wishes
from marketplace.shortlist import services
from marketplace.vocabulary import label as vocabulary_label
from matching.preferences import phrase
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
    "team": "Three people: a team",
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


def _proper(label: str) -> bool:
    """A label that starts with a name: "BSL", "British Sign Language", "Parkinson's care"."""
    first = label.split(" ")[0]
    capitals = sum(1 for word in label.split(" ") if word[:1].isupper())
    return label[:2].isupper() or capitals > 1 or first.endswith(("'s", "’s"))


def _skills(labels: list[str]) -> list[str]:
    """Skill labels as they read inside a sentence ("personal care", names kept)."""
    return [label if _proper(label) else label[:1].lower() + label[1:] for label in labels]


def _member_names(members: list[TeamMember]) -> dict[int, str]:
    """First names, or the shown name ("Marek K.") where two members share one."""
    firsts = [_first_name(m.carer) for m in members]
    return {
        m.carer.id: first if firsts.count(first) == 1 else m.carer.display_name
        for m, first in zip(members, firsts, strict=True)
    }


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

    home = _home_lines(carer, person, name)
    if home:
        lines.append(Line("person", home))

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


def _home_lines(carer: Carer, person: Person | None, name: str) -> list[str]:
    """What the carer is happy with and enjoys, answering what the person said."""
    wishes = stored_wishes(person) if person is not None else None
    said: list[str] = []
    pets = [phrase(p) for p in Pet.values() if p in set(carer.pets_ok or ())]
    theirs = [phrase(p) for p in wishes["pets"]] if wishes else []
    if carer.pets_ok is not None and pets:
        said.append(f"{name} is happy with {join_and(pets)}.")
    elif carer.pets_ok is not None:
        said.append(f"{name} would like to work in homes without pets.")
    elif theirs:
        said.append(f"Ask {name} about your {join_and(theirs)}.")
    if carer.smoking_ok is False:
        said.append(f"{name} would like to work where nobody smokes.")
    elif carer.smoking_ok and wishes and wishes["smoking_home"]:
        said.append(f"{name} does not mind if someone smokes at home.")
    enjoys = list(carer.enjoys_support or ())
    if wishes and wishes["support_wanted"]:
        enjoys = [k for k in enjoys if k in wishes["support_wanted"]] or enjoys
    for kind in enjoys[:2]:
        said.append(f"{name} enjoys {phrase(kind)}.")
    return said


# What each team role does, in Easy Read (a hard word and what it means).
ROLE_WORDS = {
    TeamRole.COACH.value: ("Coach", "A coach helps the team work well together."),
    TeamRole.CIRCLES_CONNECTOR.value: (
        "Community circles connector",
        "This person helps you meet people and do things near you.",
    ),
}


def _shortlist_line(name: str, on_shortlist: bool, what: str) -> Line:
    """``name`` as it starts a sentence ("The team"); lower-cased inside one."""
    inside = name[:1].lower() + name[1:] if name.startswith("The ") else name
    said = (
        [f"{name} is on your shortlist.", "You can look again later."]
        if on_shortlist
        else [f"You can add {inside} to your shortlist.", "Then you can look again later."]
    )
    return Line("list", said, hard_word=("Shortlist", f"A shortlist is a list of {what} you like."))


def easy_read_team(
    team: Team, members: list[TeamMember], person: Person | None, on_shortlist: bool | None
) -> list[Line]:
    """The Easy Read lines for a team (a small self-managed team, as Wellbeing Teams
    work), for this person (or for anyone): who is in it, what they do, and that the
    person chooses who supports them. ``members``: the listed ones only."""
    provider = team.provider
    carers = [member.carer for member in members]
    lines = [
        Line(
            "team",
            [f"This is {team.name}.", "It is a self-managed team of carers."],
            hard_word=(
                "Self-managed team",
                "The carers plan the work together. They do not have a manager.",
            ),
        ),
        Line(
            "coop",
            [f"The team works for {provider.name}."],
            hard_word=("Co-op", "A co-op is a business owned by its members.")
            if "co-op" in provider.name.lower() or "operative" in provider.legal_form_label.lower()
            else None,
        ),
    ]
    place = []
    if team.patch:
        place.append(f"The team works in {join_and(list(team.patch)[:4])}.")
    if person is not None and person.lat is not None and person.lon is not None:
        distance = services._distance(person, carers)
        if distance is not None:
            band = services.distance_band(distance)
            place.append(f"The nearest carer is {band[:1].lower() + band[1:]} from you.")
    if place:
        lines.append(Line("place", place))

    if not members:
        lines.append(Line("person", ["No carers are listed in this team yet."]))
    else:
        count = len(members)
        who = [f"There {'is 1 carer' if count == 1 else f'are {count} carers'} in the team."]
        names = _member_names(members)
        who += [f"{names[m.carer.id]} is in the team." for m in members]
        lines.append(Line("person", who))
        # One line for each special role, with what the role means.
        for member in members:
            if member.role in ROLE_WORDS:
                word, meaning = ROLE_WORDS[member.role]
                said = f"{names[member.carer.id]} is the team's {word.lower()}."
                lines.append(Line("person", [said], hard_word=(word, meaning)))

    skills: dict[str, None] = {}
    for carer in carers:
        skills.update(dict.fromkeys(carer.skills or ()))
    needs = list(person.must_have or ()) if person else []
    help_lines = []
    for need in needs:
        label = _skills([vocabulary_label("skill", need)])[0]
        if need in skills:
            help_lines.append(f"Someone in the team can help with {label}. You said you need this.")
        else:
            help_lines.append(f"Nobody in the team helps with {label}.")
    for skill in [s for s in skills if s not in needs][:6]:
        help_lines.append(
            f"The team can help with {_skills([vocabulary_label('skill', skill)])[0]}."
        )
    if help_lines:
        lines.append(Line("help", help_lines))

    mine = {i.casefold() for i in (person.interests or ())} if person else set()
    liked = []
    names = _member_names(members)
    for carer in carers:
        shared = [i for i in carer.interests or () if i.casefold() in mine]
        if shared:
            liked.append(f"{names[carer.id]} likes {join_and(shared[:2])}, like you.")
    if not liked:
        everyone: dict[str, None] = {}
        for carer in carers:
            everyone.update(dict.fromkeys(carer.interests or ()))
        liked = [f"People in the team like {interest}." for interest in list(everyone)[:5]]
    if liked:
        lines.append(Line("interests", liked[:6]))

    spoken: dict[str, None] = {}
    for carer in carers:
        spoken.update(dict.fromkeys(carer.languages or ()))
    if spoken:
        labels = [vocabulary_label("language", lang) for lang in spoken]
        lines.append(Line("speaks", [f"People in the team speak {join_and(labels[:4])}."]))

    rates = sorted(c.hourly_rate_pence for c in carers if c.hourly_rate_pence is not None)
    if rates:
        low, high = format_pence(rates[0]), format_pence(rates[-1])
        said = (
            f"One hour of care costs {low}."
            if low == high
            else f"One hour of care costs from {low} to {high}."
        )
        lines.append(Line("money", [said, f"Ask {provider.name} about the price."]))

    checked = [carer.check("criminal_record") for carer in carers if public_checks(carer)]
    if carers and len(checked) == len(carers):
        schemes = {record.scheme if record else "dbs" for record in checked}
        word, meaning = CHECK_WORDS.get(schemes.pop(), CHECK_WORDS["dbs"])
        if schemes:  # more than one kind of check
            word, meaning = "police check", "A police check looks at police records."
        lines.append(
            Line(
                "checks",
                [f"Every carer in the team has had a {word}.", f"{provider.name} checked this."],
                hard_word=(word[:1].upper() + word[1:], meaning + " It helps keep you safe."),
            )
        )
    if members:
        lines.append(
            Line(
                "person",
                ["You can meet the team.", "Then you choose who you would like to support you."],
            )
        )
    if on_shortlist is not None:  # only for those who keep a shortlist
        lines.append(_shortlist_line("The team", on_shortlist, "carers and teams"))
    return lines


def all_sentences(lines: list[Line]) -> list[str]:
    found = []
    for line in lines:
        found += line.sentences
        if line.hard_word:
            found += re.split(r"(?<=\.)\s+", line.hard_word[1])
    return found
