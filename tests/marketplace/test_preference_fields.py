"""The profile and the search ask the shared questions alike (marketplace.preference_fields):
the same labels, choices from the domain vocabulary, and the same plain-English errors."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from marketplace.choices import SLOT_LABELS, PersonGroup, Pet, SupportKind
from marketplace.people.forms import ProfileForm
from marketplace.search.forms import SearchForm
from marketplace.vocabulary import choices

# (profile field, search field): the same question.
SAME_QUESTION = [
    ("must_have", "skill"),
    ("nice_to_have", "nice"),
    ("interests", "interest"),
    ("languages", "language"),
    ("slots", "slot"),
    ("pets", "pet"),
    ("smoking_home", "smoking"),
    ("support_wanted", "support"),
    ("groups", "group"),
    ("postcode", "postcode"),
]


@pytest.fixture
def forms(app):
    with app.test_request_context("/"):
        yield ProfileForm(meta={"csrf": False}), SearchForm()


def test_the_shared_questions_have_the_same_labels_and_choices(forms):
    profile, search = forms
    for mine, theirs in SAME_QUESTION:
        if mine != "languages":  # the search asks for languages the carer *must* speak
            assert profile[mine].label.text == search[theirs].label.text, mine
        assert getattr(profile[mine], "choices", None) == getattr(search[theirs], "choices", None)
    assert profile.pets.choices == Pet.choices()
    assert profile.support_wanted.choices == SupportKind.choices()
    assert profile.groups.choices == PersonGroup.choices()
    assert profile.slots.choices == list(SLOT_LABELS.items())
    assert profile.must_have.choices == choices("skill") == search.nice.choices
    assert profile.languages.choices == choices("language")
    # The home and wishes are asked in the same words on both.
    for mine, theirs in (("pets", "pet"), ("smoking_home", "smoking"),
                         ("support_wanted", "support"), ("groups", "group")):  # fmt: skip
        assert profile[mine].description == search[theirs].description


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("pet", "dragon", "Choose pets from the list"),
        ("support", "juggling", "Choose kinds of support from the list"),
        ("group", "pirates", "Choose groups from the list"),
        ("language", "klingon", "Choose languages from the list"),
        ("skill", "flying", "Choose help from the list"),
        ("slot", "mon-midnight", "Choose days and times from the list"),
    ],
)
def test_a_bad_choice_in_the_address_is_told_in_plain_words(app, name, value, message):
    with app.test_request_context("/"):
        form = SearchForm(MultiDict({"postcode": "LS6 1AA", name: value}))
        assert not form.validate()
        assert form[name].errors == [message]


def test_the_search_smoking_question_shows_its_hint(client):
    page = client.get("/search").get_data(as_text=True)
    assert "We do not show carers who would rather work in homes where nobody smokes." in page
    assert re.search(r'id="smoking"[^>]*aria-describedby="smoking-hint"', page)
