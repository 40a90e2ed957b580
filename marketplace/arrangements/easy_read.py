"""The Easy Read version of an arrangement: one idea per line, short sentences, a
picture beside each line, and hard words explained.

Every sentence we write here has 15 words or fewer (tests check this over every funding
route and status). Outcomes are shown in the person's own words, as they agreed them.
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace import authz
from marketplace.arrangements import services
from marketplace.choices import ArrangementStatus
from marketplace.models import Arrangement, User
from marketplace.money import format_pence

MAX_WORDS = 15


@dataclass(frozen=True)
class Line:
    """One line for templates/macros/easy_read.html (shared with carers' and teams' pages)."""

    picture: str  # the name of an inline picture in templates/arrangements/_pictures.html
    alt: str  # what the picture shows, for people who cannot see it
    text: str
    own_words: bool = False  # the person's own words: quoted, not rewritten
    hard_word: tuple[str, str] | None = None  # (word, what it means)

    @property
    def sentences(self) -> list[str]:
        return [self.text] if self.text else []


# Hard words, each explained once in plain words.
HARD_WORDS = {
    "arrangement": "An arrangement is an agreement about your care and support.",
    "outcome": "An outcome is something good you want to happen.",
    "direct payment": "A direct payment is money from the council. You use it to pay for care.",
    "personal budget": "A personal budget is money for your care. The council looks after it.",
    "individual service fund": "An individual service fund is money a provider looks after "
    "for you.",
    "personal health budget": "A personal health budget is money from the NHS for your care.",
    "membership": "A membership means you pay the same amount every month.",
    "provider": "A provider is the group of carers who support you.",
}

FUNDING_LINES = {
    "direct_payment": ("Your council pays with a direct payment.", "direct payment"),
    "managed_personal_budget": (
        "Your council pays from your personal budget.",
        "personal budget",
    ),
    "individual_service_fund": (
        "The provider pays from your individual service fund.",
        "individual service fund",
    ),
    "phb_notional": ("The NHS pays from your personal health budget.", "personal health budget"),
    "phb_third_party": (
        "Someone else holds your personal health budget and pays.",
        "personal health budget",
    ),
    "phb_direct_payment": (
        "You pay from your personal health budget.",
        "personal health budget",
    ),
    "self_funded": ("You pay for your care yourself.", None),
}

STATUS_LINES = {
    ArrangementStatus.PROPOSED: "It is not agreed yet. Both sides must say yes.",
    ArrangementStatus.ACTIVE: "Both sides have said yes to it.",
    ArrangementStatus.PAUSED: "It is stopped for now.",
    ArrangementStatus.ENDED: "It has ended.",
    ArrangementStatus.NOT_AGREED: "It was not agreed.",
}


def _date(value) -> str:
    return f"{value.day} {value:%B %Y}"


def _names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def lines_for(arrangement: Arrangement, viewer: User | None) -> dict[str, list]:
    """The lines of the Easy Read page, and the hard words it uses."""
    person = arrangement.person
    own = viewer is not None and person.user_id == viewer.id
    first_name = person.display_name.split()[0] if person.display_name else "the person"
    you = "you" if own else first_name
    your = "your" if own else f"{first_name}'s"
    provider = arrangement.provider.name
    current = arrangement.current
    lines = [
        Line("handshake", "Two hands shaking", f"This is {your} arrangement with {provider}."),
        Line("tick", "A tick", STATUS_LINES[ArrangementStatus(arrangement.status)]),
        Line("calendar", "A calendar", f"It starts on {_date(arrangement.starts_on)}."),
        Line(
            "calendar",
            "A calendar",
            f"It ends on {_date(arrangement.ends_on)}."
            if arrangement.ends_on
            else "It has no end date.",
        ),
    ]
    words = {"arrangement", "provider"}
    if current is not None and current.members:
        for member in current.members:
            lines.append(
                Line("carer", "A carer", f"{member.carer.display_name} will support {you}.")
            )
    if current is not None and current.outcomes:
        lines.append(Line("star", "A star", f"What good looks like for {you}:"))
        words.add("outcome")
        for outcome in current.outcomes:
            lines.append(Line("star", "A star", outcome.text, own_words=True))
    plan = services.plan_of(arrangement)
    if arrangement.hourly_rate_pence is not None:
        price = format_pence(arrangement.hourly_rate_pence, short=True)
        lines.append(Line("money", "Coins", f"It costs {price} for each hour of support."))
    elif plan is not None:
        price = format_pence(plan.monthly_price_pence, short=True)
        lines.append(Line("money", "Coins", f"It costs {price} each month."))
        lines.append(Line("money", "Coins", "This is called a membership."))
        words.add("membership")
    sentence, word = FUNDING_LINES[arrangement.funding_route]
    if not own:
        sentence = sentence.replace("Your ", f"{first_name}'s ").replace("your ", f"{your} ")
        sentence = sentence.replace("You pay", f"{first_name} pays")
        sentence = sentence.replace("yourself", "themselves")
    lines.append(Line("pound", "A pound sign", sentence))
    if word:
        words.add(word)
    lines.append(Line("people", "Two people", "To change anything, both sides must say yes."))
    if arrangement.status in (ArrangementStatus.ACTIVE, ArrangementStatus.PAUSED):
        lines.append(
            Line("stop", "A stop sign", f"{you[0].upper()}{you[1:]} can end it if it is not right.")
        )
    if authz.can(viewer, "arrangement.act_for_person", arrangement) and arrangement.pending:
        lines.append(Line("question", "A question mark", "There is a change waiting for a yes."))
    hard_words = [(w, HARD_WORDS[w]) for w in HARD_WORDS if w in words]
    return {
        "title": "Your care arrangement" if own else f"The care arrangement for {first_name}",
        "lines": lines,
        "hard_words": hard_words,
        "hard_word_lines": [
            Line("book", "A book", "", hard_word=(word[:1].upper() + word[1:], meaning))
            for word, meaning in hard_words
        ],
    }


def sentences(text: str) -> list[str]:
    """Split text into sentences (for the 15-word rule)."""
    import re

    return [s for s in re.split(r"(?<=[.:!?])\s+", text.strip()) if s]
