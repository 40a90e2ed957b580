"""Skills, interests and languages vocabulary with fuzzy normalisation.

Free text ("Gardenning", "my allotment", "Growing vegetables") is turned into a
vocabulary slug ("gardening") through: cleaning (case, punctuation, spacing), a
light stemmer (plurals, "-ing", doubled letters), synonyms, and finally
rapidfuzz for typos. The marketplace imports ``DEFAULT_VOCABULARY`` for its
form choices, so slugs here are the stored values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

Kind = Literal["skills", "interests", "languages"]

_NON_WORD = re.compile(r"[^0-9a-z]+")
_STOPWORDS = frozenset(
    {"and", "the", "with", "for", "watching", "playing", "going", "doing", "love", "like", "my"}
)
# Typos are only guessed for terms at least this long: short words are too easily
# confused ("art" vs "dart").
_FUZZY_MIN_LENGTH = 5
_FUZZY_CUTOFF = 85.0


@dataclass(frozen=True, slots=True)
class Term:
    """One vocabulary entry: a stored slug, a human label and its synonyms."""

    slug: str
    label: str
    synonyms: tuple[str, ...] = ()
    proper: bool = False

    @property
    def phrase(self) -> str:
        """The label as it reads mid-sentence ("cooking", but "PEG feeding")."""
        if self.proper or self.label[:2].isupper():
            return self.label
        return self.label[:1].lower() + self.label[1:]


def clean(text: str) -> str:
    """Lower-case ``text`` and reduce punctuation and spacing to single spaces."""
    return _NON_WORD.sub(" ", text.lower()).strip()


def stem(word: str) -> str:
    """Strip plurals, "-ing" and a doubled final letter, so variants share a stem."""
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
        if len(word) >= 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
            word = word[:-1]
    elif len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def stem_phrase(text: str) -> str:
    """Clean ``text`` and stem each of its words."""
    return " ".join(stem(word) for word in clean(text).split())


@dataclass(frozen=True)
class Vocabulary:
    """Skills, interests and languages, each a mapping of slug -> Term."""

    skills: Mapping[str, Term]
    interests: Mapping[str, Term]
    languages: Mapping[str, Term]
    _aliases: dict[str, dict[str, str]] = field(init=False, repr=False, compare=False)
    _cache: dict[tuple[str, str], str | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        aliases: dict[str, dict[str, str]] = {}
        for kind in ("skills", "interests", "languages"):
            table: dict[str, str] = {}
            for slug, term in self.terms(kind).items():
                for alias in (slug.replace("_", " "), term.label, *term.synonyms):
                    table.setdefault(stem_phrase(alias), slug)
            aliases[kind] = table
        object.__setattr__(self, "_aliases", aliases)
        object.__setattr__(self, "_cache", {})

    def terms(self, kind: Kind) -> Mapping[str, Term]:
        """The slug -> Term mapping for ``kind``."""
        if kind == "skills":
            return self.skills
        if kind == "interests":
            return self.interests
        if kind == "languages":
            return self.languages
        raise ValueError(f"kind must be 'skills', 'interests' or 'languages', not {kind!r}")

    def normalise(self, text: str, kind: Kind) -> str | None:
        """The vocabulary slug ``text`` means, or None when it matches nothing."""
        key = (kind, text)
        try:
            return self._cache[key]
        except KeyError:
            pass
        slug = self._lookup(text, kind)
        self._cache[key] = slug
        return slug

    def _lookup(self, text: str, kind: Kind) -> str | None:
        if text in self.terms(kind):
            return text
        table = self._aliases[kind]
        stemmed = stem_phrase(text)
        if not stemmed:
            return None
        if stemmed in table:
            return table[stemmed]
        if len(stemmed) >= _FUZZY_MIN_LENGTH:
            best = process.extractOne(
                stemmed, list(table), scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF
            )
            if best is not None:
                return table[best[0]]
        # Free text such as "watching the football": try each meaningful word.
        words = stemmed.split()
        if len(words) > 1:
            for word in words:
                if len(word) >= 4 and word not in _STOPWORDS and word in table:
                    return table[word]
        return None

    def normalise_interest(self, text: str) -> str | None:
        """The interest slug for free text ("Gardenning" -> "gardening"), or None."""
        return self.normalise(text, "interests")

    def normalise_skill(self, text: str) -> str | None:
        """The skill slug for a slug, label or synonym ("PEG" -> "peg_feeding"), or None."""
        return self.normalise(text, "skills")

    def normalise_language(self, text: str) -> str | None:
        """The language code for a code or name ("Welsh" -> "cy"), or None."""
        return self.normalise(text, "languages")

    def suggest(self, term: str, kind: Kind, limit: int = 3) -> list[str]:
        """Up to ``limit`` slugs nearest to an unknown ``term``, best first."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.terms(kind)  # raises for an unknown kind
        table = self._aliases[kind]
        stemmed = stem_phrase(term)
        if not stemmed:
            return []
        found: list[str] = []
        for alias, _score, _ in process.extract(
            stemmed, list(table), scorer=fuzz.WRatio, limit=None, score_cutoff=72.0
        ):
            slug = table[alias]
            if slug not in found:
                found.append(slug)
            if len(found) == limit:
                break
        return found

    def label(self, kind: Kind, key: str) -> str:
        """The mid-sentence label for a slug; unknown keys are returned as written."""
        term = self.terms(kind).get(key)
        return term.phrase if term is not None else key


def _terms(
    entries: Iterable[tuple[str, str, tuple[str, ...]]], proper: bool = False
) -> dict[str, Term]:
    return {slug: Term(slug, label, synonyms, proper) for slug, label, synonyms in entries}


_SKILLS = _terms(
    [
        ("personal_care", "Personal care", ("washing", "bathing", "dressing", "showering")),
        ("medication_support", "Medication support", ("medication", "medicines", "prompting")),
        ("peg_feeding", "PEG feeding", ("peg", "tube feeding", "enteral feeding")),
        ("dementia_care", "Dementia care", ("dementia", "alzheimers", "memory loss")),
        ("moving_and_handling", "Moving and handling", ("hoist", "transfers", "manual handling")),
        ("cooking", "Cooking", ("meal preparation", "meals", "cook")),
        ("shopping", "Shopping", ("errands", "groceries")),
        ("companionship", "Companionship", ("company", "befriending", "social support")),
        ("household_tasks", "Household tasks", ("cleaning", "housework", "laundry", "domestic")),
        (
            "learning_disability_support",
            "Learning disability support",
            ("learning disability", "learning disabilities"),
        ),
        ("autism_support", "Autism support", ("autism", "autistic", "asd")),
        ("mental_health_support", "Mental health support", ("mental health",)),
        ("end_of_life_care", "End of life care", ("palliative care", "end of life")),
        ("stroke_recovery", "Stroke recovery", ("stroke", "stroke rehabilitation")),
        ("catheter_care", "Catheter care", ("catheter",)),
        ("continence_care", "Continence care", ("continence", "incontinence")),
        ("epilepsy_awareness", "Epilepsy awareness", ("epilepsy", "seizures")),
        ("sensory_impairment", "Sensory impairment support", ("sight loss", "hearing loss")),
        ("driving", "Driving", ("driver", "car", "transport")),
        ("british_sign_language", "British Sign Language", ("bsl", "sign language")),
        ("diabetes_care", "Diabetes care", ("diabetes", "insulin")),
        ("parkinsons_care", "Parkinson's care", ("parkinsons", "parkinson")),
        ("physical_disability_support", "Physical disability support", ("wheelchair",)),
        ("night_care", "Night care", ("overnight", "sleep in", "waking nights")),
        ("respite_care", "Respite care", ("respite", "short breaks")),
    ]
)
_SKILLS["british_sign_language"] = Term(
    "british_sign_language", "British Sign Language", ("bsl", "sign language"), proper=True
)

_INTERESTS = _terms(
    [
        (
            "gardening",
            "Gardening",
            (
                "garden",
                "allotment",
                "plants",
                "growing vegetables",
                "grow your own",
                "horticulture",
            ),
        ),
        ("football", "Football", ("soccer", "premier league", "footie")),
        ("fishing", "Fishing", ("angling", "fly fishing", "fish")),
        ("cooking_baking", "Cooking and baking", ("cooking", "baking", "cakes", "recipes")),
        ("music", "Music", ("singing", "choir", "concerts", "songs", "guitar", "piano")),
        ("reading", "Reading", ("books", "novels", "library", "book club")),
        ("walking", "Walking", ("hiking", "rambling", "strolls", "walks")),
        ("knitting_crafts", "Knitting and crafts", ("knitting", "crafts", "crochet", "quilting")),
        ("art", "Art", ("painting", "drawing", "sketching", "galleries")),
        ("cinema", "Cinema and films", ("films", "movies", "film", "cinema")),
        ("history", "History", ("local history", "museums", "genealogy", "family history")),
        ("faith", "Faith", ("church", "mosque", "temple", "gurdwara", "synagogue", "prayer")),
        ("pets_animals", "Pets and animals", ("pets", "dogs", "cats", "animals", "horses")),
        ("cricket", "Cricket", ()),
        ("rugby", "Rugby", ("rugby union", "rugby league")),
        ("bingo", "Bingo", ()),
        ("dancing", "Dancing", ("dance", "ballroom", "line dancing", "tea dances")),
        ("technology", "Technology", ("computers", "gadgets", "internet", "tablets", "tech")),
        ("puzzles", "Puzzles", ("crosswords", "sudoku", "jigsaws", "quizzes", "board games")),
        ("nature_wildlife", "Nature and wildlife", ("nature", "wildlife", "countryside")),
        ("theatre", "Theatre", ("plays", "musicals", "panto", "theater")),
        ("photography", "Photography", ("photos", "cameras")),
        ("sewing", "Sewing", ("dressmaking", "embroidery")),
        ("birdwatching", "Birdwatching", ("birds", "birding", "bird watching", "twitching")),
        ("swimming", "Swimming", ("swim", "swimming pool")),
        ("cars_motoring", "Cars and motoring", ("cars", "motorsport", "classic cars", "formula 1")),
    ]
)

_LANGUAGES = _terms(
    [
        ("en", "English", ("english",)),
        ("cy", "Welsh", ("cymraeg",)),
        ("gd", "Scottish Gaelic", ("gaelic", "gaidhlig")),
        ("ur", "Urdu", ()),
        ("pa", "Punjabi", ("panjabi",)),
        ("pl", "Polish", ("polski",)),
        ("bn", "Bengali", ("bangla", "sylheti")),
        ("gu", "Gujarati", ()),
        ("ar", "Arabic", ()),
        ("so", "Somali", ()),
        ("ro", "Romanian", ()),
        ("pt", "Portuguese", ()),
        ("es", "Spanish", ("castilian",)),
        ("fr", "French", ()),
        ("zh", "Chinese", ("mandarin", "cantonese")),
        ("bfi", "British Sign Language", ("bsl", "sign language")),
    ],
    proper=True,
)

DEFAULT_VOCABULARY = Vocabulary(skills=_SKILLS, interests=_INTERESTS, languages=_LANGUAGES)


def normalise_interest(text: str) -> str | None:
    """The default vocabulary's interest slug for free text, or None."""
    return DEFAULT_VOCABULARY.normalise_interest(text)


def normalise_skill(text: str) -> str | None:
    """The default vocabulary's skill slug for a slug, label or synonym, or None."""
    return DEFAULT_VOCABULARY.normalise_skill(text)


def normalise_language(text: str) -> str | None:
    """The default vocabulary's language code for a code or name, or None."""
    return DEFAULT_VOCABULARY.normalise_language(text)


def suggest(term: str, kind: Kind, limit: int = 3) -> list[str]:
    """Nearest default-vocabulary slugs for an unknown ``term``, best first."""
    return DEFAULT_VOCABULARY.suggest(term, kind, limit)
