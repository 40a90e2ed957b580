"""Vocabulary: fuzzy normalisation of interests, skills and languages."""

import pytest

from matching import DEFAULT_VOCABULARY, normalise_interest, normalise_language, normalise_skill
from matching import suggest as suggest_terms
from matching.vocabulary import Term, Vocabulary, stem
from matching.wording import (
    carers,
    join_and,
    km,
    possessive,
    pounds,
    radius,
    rounded_km,
    slot,
    who,
)


@pytest.mark.parametrize(
    "text",
    ["Gardening", "garden", "gardenning", "allotment", " GARDENING ", "my allotment", "Plants"],
)
def test_gardening_variants_meet(text: str) -> None:
    assert normalise_interest(text) == "gardening"


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("football", "football"),
        ("Footbal", "football"),
        ("watching the football", "football"),
        ("fishing", "fishing"),
        ("angling", "fishing"),
        ("Knits", "knitting_crafts"),
        ("movies", "cinema"),
        ("crochet", "knitting_crafts"),
    ],
)
def test_interest_synonyms_plurals_and_typos(text: str, slug: str) -> None:
    assert normalise_interest(text) == slug


def test_football_and_fishing_do_not_meet() -> None:
    assert normalise_interest("football") != normalise_interest("fishing")


@pytest.mark.parametrize("text", ["vintage motorbikes", "", "   ", "dart", "zzqx"])
def test_unknown_interest_is_none(text: str) -> None:
    assert normalise_interest(text) is None


def test_skills_and_languages() -> None:
    assert normalise_skill("PEG") == "peg_feeding"
    assert normalise_skill("peg_feeding") == "peg_feeding"
    assert normalise_skill("Dementia") == "dementia_care"
    assert normalise_language("Welsh") == "cy"
    assert normalise_language("BSL") == "bfi"
    assert normalise_language("en") == "en"


def test_suggest_returns_nearest_slugs() -> None:
    assert suggest_terms("gardning", "interests")[0] == "gardening"
    assert suggest_terms("dementa", "skills")[0] == "dementia_care"
    assert suggest_terms("", "skills") == []
    assert len(suggest_terms("care", "skills", limit=2)) <= 2
    with pytest.raises(ValueError, match="limit"):
        suggest_terms("care", "skills", limit=0)
    with pytest.raises(ValueError, match="kind"):
        DEFAULT_VOCABULARY.terms("hobbies")  # type: ignore[arg-type]


def test_labels_read_well_mid_sentence() -> None:
    assert DEFAULT_VOCABULARY.label("skills", "peg_feeding") == "PEG feeding"
    assert DEFAULT_VOCABULARY.label("skills", "cooking") == "cooking"
    assert DEFAULT_VOCABULARY.label("skills", "british_sign_language") == "British Sign Language"
    assert DEFAULT_VOCABULARY.label("languages", "ur") == "Urdu"
    assert DEFAULT_VOCABULARY.label("interests", "custom thing") == "custom thing"
    assert 20 <= len(DEFAULT_VOCABULARY.skills) <= 30
    assert "bfi" in DEFAULT_VOCABULARY.languages


def test_custom_vocabulary_and_stemmer() -> None:
    vocabulary = Vocabulary(
        skills={}, interests={"chess": Term("chess", "Chess", ("draughts",))}, languages={}
    )
    assert vocabulary.normalise_interest("Draughts") == "chess"
    assert vocabulary.normalise_interest("Draughts") == "chess"  # cached
    assert stem("hobbies") == "hobby"
    assert stem("swimming") == "swim"


def test_wording_helpers() -> None:
    # Distances to people are rounded to the nearest 0.5 km, "under 1 km" below 1 km.
    assert km(3.21) == "3 km"
    assert km(3.25) == "3.5 km"
    assert km(3.74) == "3.5 km"
    assert km(14.4) == "14.5 km"
    assert km(0.0) == "under 1 km"
    assert km(0.74) == "under 1 km"
    assert km(0.75) == "1 km"
    assert km(99.9) == "100 km"
    assert [rounded_km(d) for d in (0.0, 0.24, 0.25, 2.37, 2.75, 10.01)] == [
        0.0,
        0.0,
        0.5,
        2.5,
        3.0,
        10.0,
    ]
    assert radius(8.0) == "8 km"
    assert radius(150.4) == "150 km"
    assert join_and([]) == ""
    assert join_and(["a"]) == "a"
    assert join_and(["a", "b", "c"]) == "a, b and c"
    assert carers(1) == "1 more carer"
    assert carers(2, "team") == "2 more teams"
    assert pounds(1850) == "£18.50"
    assert slot("mon-am") == "Monday morning"
    assert slot("sometimes") == "sometimes"
    assert possessive("Ana") == "Ana's"
    assert possessive("Les") == "Les'"
    assert possessive(None) == "their"
    assert who(None) == "this carer"
