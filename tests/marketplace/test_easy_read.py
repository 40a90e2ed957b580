"""Easy Read for a carer match: short sentences, a picture with words for each idea,
hard words explained, the person's own needs answered, nobody's postcode."""

from __future__ import annotations

import re

from marketplace.extensions import db
from marketplace.shortlist import easy_read


def _carer(make, **kw):
    provider = make.provider(name="Headingley Care Co-op", legal_form="worker_coop")
    return make.carer(
        provider,
        display_name="Ana S.",
        postcode="LS6 2AB",
        skills=["personal_care", "cooking"],
        interests=["gardening", "music"],
        languages=["en", "ur"],
        availability=["mon-am", "mon-pm", "wed-eve"],
        hourly_rate_pence=1950,
        **kw,
    )


def test_every_sentence_is_short_and_every_picture_has_words(make, client):
    carer = _carer(make)
    lines = easy_read.easy_read(carer, None)
    sentences = [
        part
        for sentence in easy_read.all_sentences(lines)
        for part in re.split(r"(?<=\.)\s+", sentence)
    ]
    assert sentences
    for sentence in sentences:
        assert easy_read.words(sentence) <= easy_read.MAX_WORDS, sentence
    page = client.get(f"/carers/{carer.id}/easy-read").get_data(as_text=True)
    images = re.findall(r"<img [^>]*>", page.split("<main")[1])
    assert len(images) == len(lines)
    assert all(re.search(r'alt="[^"]+"', image) for image in images)
    for text in ("This is Ana.", "Ana is usually free on Monday morning and afternoon.",
                 "Ana costs £19.50 for one hour of care.", "Ana speaks English and Urdu.",
                 "A DBS check looks at police records.", "A co-op is a business owned",
                 "A shortlist is a list of carers you like."):  # fmt: skip
        assert text in page, text
    assert "LS6 2AB" not in page
    assert "easy-read.css" in page


def test_for_a_person_it_answers_their_needs(make, login):
    carer = _carer(make)
    user = make.user(roles=["person"])
    user.person.must_have = ["personal_care", "dementia_care"]
    user.person.interests = ["gardening"]
    db.session.flush()
    page = login(user).get(f"/carers/{carer.id}/easy-read")
    text = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "Ana can help with personal care. You said you need this." in text
    assert "Ana does not help with dementia care." in text
    assert "You both like gardening." in text
    assert "from you." in text and "LS6 1AA" not in text
    assert "You can add Ana to your shortlist." in text
    login(user).post("/shortlist/add", data={"item": f"carer-{carer.id}"})
    assert "Ana is on your shortlist." in login(user).get(f"/carers/{carer.id}/easy-read").text
    staff = login(make.user(roles=["reviewer"])).get(f"/carers/{carer.id}/easy-read").text
    assert "shortlist" not in staff.split("<main")[1].lower()


def test_only_listed_carers_have_an_easy_read_page(make, client):
    hidden = make.carer(make.provider(qa_status="draft"))
    assert client.get(f"/carers/{hidden.id}/easy-read").status_code == 404
    assert client.get("/carers/999999/easy-read").status_code == 404
