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


def _team(make):
    from marketplace.models import TeamMember

    provider = make.provider(name="Headingley Care Co-op", legal_form="worker_coop")
    team = make.team(provider, name="Meanwood Wellbeing Team", patch=["LS6", "LS7"])
    people = [
        ("Ana S.", "member", ["personal_care"], ["gardening", "music"], ["en", "ur"], 1950),
        ("Ben T.", "coach", ["cooking"], ["football"], ["en"], 2100),
        ("Cy U.", "circles_connector", ["companionship"], ["knitting"], ["pl"], 2000),
    ]
    for seat, (name, role, skills, interests, languages, rate) in enumerate(people, start=1):
        carer = make.carer(
            provider, display_name=name, postcode="LS6 2AB", skills=skills,
            interests=interests, languages=languages, hourly_rate_pence=rate,
        )  # fmt: skip
        db.session.add(TeamMember(team_id=team.id, carer_id=carer.id, seat=seat, role=role))
    db.session.flush()
    return team


def _short_sentences(lines):
    return [
        part
        for sentence in easy_read.all_sentences(lines)
        for part in re.split(r"(?<=\.)\s+", sentence)
    ]


def test_a_team_in_easy_read_has_short_sentences_and_pictures_with_words(make, client):
    team = _team(make)
    members = sorted(team.memberships, key=lambda m: m.seat)
    lines = easy_read.easy_read_team(team, members, None, False)
    sentences = _short_sentences(lines)
    assert len(sentences) > 10
    for sentence in sentences:
        assert easy_read.words(sentence) <= easy_read.MAX_WORDS, sentence
    for line in lines:  # one idea a line: every line has its own picture and words
        assert line.picture in easy_read.PICTURES and line.alt
    response = client.get(f"/teams/{team.id}/easy-read")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    main = page.split("<main")[1]
    images = re.findall(r"<img [^>]*>", main)
    assert len(images) == len(lines)
    assert all(re.search(r'alt="[^"]+"', image) for image in images)
    assert 'alt="Three people: a team"' in main
    for text in ("This is Meanwood Wellbeing Team.", "There are 3 carers in the team.",
                 "Ben is the team&#39;s coach.", "A coach helps the team work well together.",
                 "Cy is the team&#39;s community circles connector.",
                 "This person helps you meet people and do things near you.",
                 "It is a self-managed team of carers.",
                 "The team works in LS6 and LS7.", "They do not have a manager.",
                 "A co-op is a business owned", "People in the team speak English, Urdu",
                 "One hour of care costs from £19.50 to £21.00.",
                 "Then you choose who you would like to support you.",
                 "A shortlist is a list of carers and teams you like."):  # fmt: skip
        assert text in page, text
    assert "LS6 2AB" not in page
    assert "easy-read.css" in page  # 22 px on screen, 16 pt printed, header hidden
    # Linked from the team page.
    team_page = client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert f'href="/teams/{team.id}/easy-read"' in team_page


def test_a_team_in_easy_read_answers_the_persons_needs(make, login):
    team = _team(make)
    user = make.user(roles=["person"])
    user.person.must_have = ["personal_care", "dementia_care"]
    user.person.interests = ["gardening"]
    db.session.flush()
    client = login(user)
    response = client.get(f"/teams/{team.id}/easy-read")
    text = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Someone in the team can help with personal care. You said you need this." in text
    assert "Nobody in the team helps with dementia care." in text
    assert "Ana likes gardening, like you." in text
    assert "The nearest carer is" in text and "LS6 1AA" not in text
    assert "You can add the team to your shortlist." in text
    client.post("/shortlist/add", data={"item": f"team-{team.id}"})
    assert "The team is on your shortlist." in client.get(f"/teams/{team.id}/easy-read").text
    shortlist = client.get("/shortlist").get_data(as_text=True)
    assert f'href="/teams/{team.id}/easy-read"' in shortlist


def test_only_listed_teams_have_an_easy_read_page(make, client):
    hidden = make.team(make.provider(qa_status="draft"))
    assert client.get(f"/teams/{hidden.id}/easy-read").status_code == 404
    assert client.get("/teams/999999/easy-read").status_code == 404


def test_team_easy_read_keeps_names_apart_and_proper_nouns_capitalised(make, client):
    from marketplace.models import TeamMember

    provider = make.provider(name="Leeds Care Co-op", legal_form="worker_coop")
    team = make.team(provider, name="North team")
    for seat, name in enumerate(["Marek K.", "Marek W."], start=1):
        carer = make.carer(provider, display_name=name, skills=["bsl", "parkinsons_care"])
        db.session.add(TeamMember(team_id=team.id, carer_id=carer.id, seat=seat))
    db.session.flush()
    page = client.get(f"/teams/{team.id}/easy-read").get_data(as_text=True)
    assert "Marek K. is in the team." in page and "Marek W. is in the team." in page
    assert easy_read._skills(["British Sign Language", "Parkinson's care", "Personal care"]) == [
        "British Sign Language",
        "Parkinson's care",
        "personal care",
    ]
