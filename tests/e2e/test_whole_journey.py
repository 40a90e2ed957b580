"""Issue 11's whole journey in the browser, as a newcomer would take it.

By keyboard alone, with JavaScript on (axe-core on every new page) and off: a visitor
searches near LS6 1AA for someone who also enjoys gardening, sees why Ana S. matches,
shortlists her, creates an account (the e-mailed link), fills in the profile from the
account page's next step and asks Ana for an introduction from the shortlist. Grace, who
runs Headingley Care Co-op, accepts in her own browser with a time to meet; the newcomer
chooses it; a day later (the served app's clock moved) both say yes, Grace proposes an
arrangement from the introduction's page with an outcome in the person's words, the
newcomer agrees and leaves a review.

Then the two ways a request ends without a yes (Grace says no; nobody answers and
`flask introductions expire` closes it), each ending with the person told and shown
others who may suit them; and a supporter with each scope alone: what /supporting links
to opens, the rest answers 403 or 404 with nothing of the person's on the page.

The same journey runs fast in the test client: tests/marketplace/test_whole_journey.py.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from e2e.browser_helpers import (
    Keyboard,
    LiveServer,
    axe_violations,
    keyboard_login,
    screenshot,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

PASSWORD = "copper kettle river song"
OUTCOME = "I get to the allotment on Tuesday mornings"
LONDON = ZoneInfo("Europe/London")


def _main(page: Page) -> str:
    return page.locator("main").inner_text()


def _path(page: Page) -> str:
    return urlsplit(page.url).path


def _id_of(page: Page, name: str, label: str) -> str:
    """The id of the checkbox or radio called ``name`` whose label reads ``label``."""
    found = page.evaluate(
        """([name, label]) => {
          const box = [...document.querySelectorAll(`input[name="${name}"]`)].find(
            (el) => el.labels.length && el.labels[0].innerText.trim() === label);
          return box ? box.id : null;
        }""",
        [name, label],
    )
    assert found, f"no {name} called {label!r} on {page.url}"
    return found


@pytest.fixture
def clock(live_server: LiveServer) -> Iterator[LiveServer]:
    """The served app's clock, put back however the test ends."""
    yield live_server
    live_server.move_clock(0)


def _ana(live_server: LiveServer) -> int:
    return live_server.scalar(
        "SELECT carers.id FROM carers JOIN users ON users.id = carers.user_id "
        "WHERE users.email = 'carer@coopcare.example'"
    )


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_a_newcomer_goes_from_search_to_a_reviewed_arrangement(
    open_page: Callable[..., Page], live_server: LiveServer, clock: LiveServer, js: bool
) -> None:
    ana = _ana(live_server)
    newcomer_email = f"nadia-{uuid.uuid4().hex[:8]}@people.example.org"
    page = open_page(js=js)
    keys = Keyboard(page, audit=js)

    # 1. Search near LS6 1AA for someone who also enjoys gardening; Ana's card says why.
    page.goto("/search")
    if js:
        keys.check_page()
    keys.skip_to_main()
    keys.fill("#postcode", "LS6 1AA")
    keys.fill("#interests", "gardening")
    keys.activate(text="Find care")
    card = page.locator("main .result").filter(has=page.locator(f"a[href^='/carers/{ana}?']"))
    assert "You both enjoy gardening" in card.inner_text()
    keys.activate(selector=f"main a[href^='/carers/{ana}?']")
    assert "How Ana S. matches your search" in _main(page)
    assert "You both enjoy gardening" in _main(page)

    # 2. Shortlist her without an account, then create one from the header.
    keys.activate(text="Add Ana S. to shortlist")
    assert "Ana S. is on your shortlist" in _main(page)
    keys.activate(selector="header a[href='/register']")
    keys.fill("#display_name", "Nadia Newcomer")
    keys.fill("#email", newcomer_email)
    keys.fill("#password", PASSWORD)
    keys.fill("#confirm", PASSWORD)
    keys.choose("account_type", "person")
    keys.activate(text="Create account")
    assert "Check your email" in page.locator("h1").inner_text()
    page.goto(live_server.last_link_to(newcomer_email, "/register/confirm/"))
    if js:
        keys.check_page()
    assert "We kept your shortlist: 1 saved" in _main(page)

    # 3. The account page's next step: the profile.
    keys.activate(text="Fill in your profile")
    assert _path(page) == "/profile"
    keys.fill("#postcode", "LS6 1AA")
    keys.tick("#" + _id_of(page, "interests", "Gardening"))
    keys.tick("#" + _id_of(page, "slots", "Tuesday morning"))
    keys.choose("funding_route", "direct_payment")
    keys.activate(text="Save profile")
    assert "Your profile is saved" in _main(page), _main(page)[:2000]

    # 4. From the shortlist, ask Ana for an introduction.
    keys.activate(selector="header a[href='/shortlist']")
    keys.activate(selector=f"main a[href='/introductions/ask/carer/{ana}']")
    keys.fill("#message", "Hello Ana, I would like company for gardening on Tuesdays.")
    keys.tick("#" + _id_of(page, "preferred_times", "Tuesday morning"))
    keys.activate(text="Send request")
    assert "We have sent your request to Ana S. We will tell you their answer." in _main(page)
    introduction = _path(page)

    # 5. Grace, in her own browser, accepts with a time to meet tomorrow.
    grace = open_page("provider_admin", js=js)
    grace_keys = Keyboard(grace, audit=js)
    grace.goto("/provider/introductions")
    if js:
        grace_keys.check_page()
    grace_keys.skip_to_main()
    grace_keys.activate(selector=f"main a[href='{introduction}']")
    assert "LS6 1AA" not in _main(grace)  # her area only, until both agree
    grace_keys.activate(text="Accept and offer times to meet")
    tomorrow = datetime.datetime.now(LONDON).date() + datetime.timedelta(days=1)
    grace_keys.fill("#time_1", f"{tomorrow.day}/{tomorrow.month}/{tomorrow.year} 10:30am")
    grace_keys.activate(text="Accept and send times")
    assert "You accepted" in _main(grace)

    page.goto(introduction)
    keys.skip_to_main()
    keys.choose("meeting_time", f"{tomorrow.isoformat()}T10:30")
    keys.activate(text="Choose this time")
    assert "Your meeting is arranged" in _main(page)

    # 6. A day later they have met: both say yes.
    clock.move_clock(1.5)
    page.reload()
    keys.activate(text="Yes, we would like to go ahead")
    grace.goto(introduction)
    assert "LS6 1AA" not in _main(grace)
    grace_keys.activate(text="Yes, we would like to go ahead")
    # Her full postcode waits for an agreed arrangement (authz person.see_postcode).
    assert "You both agreed to go ahead" in _main(grace) and "LS6 1AA" not in _main(grace)

    # 7. Grace proposes the arrangement from the introduction itself.
    grace_keys.activate(text="Propose an arrangement")
    assert _path(grace).startswith("/provider/arrangements/new/")
    start = tomorrow + datetime.timedelta(days=7)
    grace_keys.fill("#starts_on_day", str(start.day))
    grace_keys.fill("#starts_on_month", str(start.month))
    grace_keys.fill("#starts_on_year", str(start.year))
    grace_keys.choose("price_kind", "hourly")
    grace_keys.fill("#outcome_1", OUTCOME)
    grace_keys.tab_to(selector="#life_area_1")
    grace.select_option("#life_area_1", "out_and_about")
    grace_keys.activate(text="Send for agreement")
    assert "The arrangement is sent" in _main(grace)
    assert "the full address is shared once both sides agree" in _main(grace)

    # 8. The newcomer opens it from the introduction, agrees it, and reviews it.
    page.goto(introduction)
    keys.skip_to_main()
    keys.activate(text="See the arrangement")
    assert OUTCOME in _main(page)
    arrangement = page.url
    keys.activate(text="Agree to version 1")
    assert "You agreed" in _main(page)
    grace.goto(arrangement)
    assert "LS6 1AA" in _main(grace)  # an agreed arrangement: now the provider sees it
    # A review is of care received: it waits for the start date.
    assert "Write a review of this arrangement" not in _main(page)
    clock.move_clock((start - datetime.datetime.now(LONDON).date()).days + 0.5)
    page.reload()
    keys.skip_to_main()
    keys.activate(text="Write a review of this arrangement")
    for aspect in ("respect", "reliability", "listening", "outcomes"):
        keys.choose(f"stars_{aspect}", "5")
    keys.fill("#text", "Ana helped me get back to the allotment. We planted leeks.")
    keys.activate(text="Publish my review")
    assert "Your review is published" in _main(page)
    if js:
        screenshot(page, "whole-journey-arrangement-reviewed")
    keys.assert_no_problems()
    grace_keys.assert_no_problems()

    public = open_page()
    public.goto(f"/carers/{ana}")
    assert "We planted leeks" in _main(public)


def _newcomer_with_a_profile(open_page: Callable[..., Page], live_server: LiveServer) -> Page:
    """A new person, registered and confirmed, whose profile says LS6 1AA and gardening
    (filled in with the mouse: the keyboard journey above covers these pages)."""
    address = f"nina-{uuid.uuid4().hex[:8]}@people.example.org"
    page = open_page()
    page.goto("/register")
    page.fill("#display_name", "Nina New")
    page.fill("#email", address)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.check("input[name=account_type][value=person]")
    page.locator("main").get_by_role("button", name="Create account").click()
    page.goto(live_server.last_link_to(address, "/register/confirm/"))
    page.goto("/profile")
    page.fill("#postcode", "LS6 1AA")
    page.check("#" + _id_of(page, "interests", "Gardening"))
    page.check("input[name=funding_route][value=self_funded]")
    page.locator("main").get_by_role("button", name="Save profile").click()
    assert "Your profile is saved" in _main(page)
    return page


def _headingley_carer(live_server: LiveServer, n: int) -> tuple[int, str]:
    """The n-th listed carer of Headingley Care Co-op (Grace's), by id: 0 is Ana S."""
    sql = (
        "SELECT {} FROM carers WHERE provider_id = (SELECT id FROM providers WHERE name ="
        " 'Headingley Care Co-op') ORDER BY id LIMIT 1 OFFSET ?"
    )
    return live_server.scalar(sql.format("id"), n), live_server.scalar(
        sql.format("display_name"), n
    )


def _ask(page: Page, carer_id: int) -> str:
    page.goto(f"/introductions/ask/carer/{carer_id}")
    page.fill("#message", "Hello, could you help with gardening?")
    page.locator("main").get_by_role("button", name="Send request").click()
    assert "We have sent your request" in _main(page)
    return _path(page)


def _told_and_shown_others(page: Page, introduction: str, told: str, closed: str) -> None:
    page.goto("/notifications")
    assert told in _main(page)
    page.get_by_role("link", name="See the details").first.click()
    assert _path(page) == introduction
    main = _main(page)
    assert closed in main and "Others who may suit you" in main
    assert page.locator("#similar + ul a[href^='/carers/']").count() >= 3
    assert axe_violations(page) == []


def test_grace_says_no_and_the_person_is_shown_others(
    open_page: Callable[..., Page], live_server: LiveServer
) -> None:
    george, name = _headingley_carer(live_server, 1)
    person = _newcomer_with_a_profile(open_page, live_server)
    introduction = _ask(person, george)

    grace = open_page("provider_admin")
    keys = Keyboard(grace, audit=True)
    grace.goto(introduction)
    keys.skip_to_main()
    keys.activate(text="Say no")
    keys.activate(text="Say no")  # no reason chosen: the error summary
    assert grace.title().startswith("Error: ")
    keys.choose("reason", "no_capacity")
    keys.activate(text="Say no")
    assert "You said no" in _main(grace)
    keys.assert_no_problems()

    _told_and_shown_others(person, introduction, f"{name} cannot help this time", f"{name} said no")
    assert f"/carers/{george}" not in person.locator("#similar + ul").inner_html()


def test_a_request_nobody_answers_closes_itself_and_says_so(
    open_page: Callable[..., Page], live_server: LiveServer
) -> None:
    vicky, name = _headingley_carer(live_server, 2)
    person = _newcomer_with_a_profile(open_page, live_server)
    introduction = _ask(person, vicky)
    number = int(introduction.rsplit("/", 1)[1])
    # Ten working days pass for this request only (moving the whole clock would close
    # every other test's requests too); then the daily job runs, twice: nothing twice.
    live_server.days_pass(
        "UPDATE introductions SET remind_on = date('now', '-8 days'), "
        "expires_on = date('now', '-1 day') WHERE id = ? AND status = 'requested'",
        number,
    )
    assert "1 closed with no answer" in live_server.flask("introductions", "expire")
    assert "0 closed with no answer" in live_server.flask("introductions", "expire")
    _told_and_shown_others(
        person, introduction, f"{name} did not answer in 10 working days", "No answer in time"
    )


# -- a supporter with each scope alone ----------------------------------------------------

# Amira's pages, the scopes that open each, and a line from it that must not show otherwise.
AMIRA_PAGES = {
    "profile": ("/supporting/profile", {"view"}, "LS6 1AA"),
    "shortlist": ("/shortlist", {"view"}, "Amira Khan’s shortlist"),
    "introductions": ("/introductions", {"manage_introductions", "message"}, "Leeds team 1"),
    "introduction": ("/introductions/{meeting}", {"manage_introductions", "message"}, "same faces"),
    "arrangement": ("/arrangements/{arrangement}", {"view", "manage_introductions"}, "allotment"),
}
SUPPORTING_LINKS = {
    "profile": "See Amira Khan’s profile",
    "shortlist": "See Amira Khan’s shortlist",
    "introductions": "See Amira Khan’s introductions",
    "arrangement": "See Amira Khan’s arrangements",
}


def test_a_supporter_with_each_scope_sees_that_and_nothing_more(
    open_page: Callable[..., Page], live_server: LiveServer, demo_ids: dict[str, object]
) -> None:
    ids = {
        "meeting": demo_ids["meeting_introduction"],
        "arrangement": demo_ids["amira_arrangement"],
    }
    scopes = ("view", "message", "manage_introductions", "pay")
    tag = uuid.uuid4().hex[:6]
    amira = open_page("person")
    for scope in scopes:  # Amira invites one supporter per scope
        amira.goto("/supporters/invite")
        amira.fill("#display_name", f"Sam {scope}")
        amira.fill("#email", f"sam-{scope}-{tag}@people.example.org")
        amira.check("input[name=relationship][value=friend]")
        amira.check(f"input[name=scopes][value={scope}]")
        amira.locator("main").get_by_role("button", name="Send the invitation").click()
        assert "We have emailed an invitation" in _main(amira)

    for scope in scopes:
        sam = open_page()
        address = f"sam-{scope}-{tag}@people.example.org"
        sam.goto(live_server.last_link_to(address, "/supporter-invitation/"))
        sam.fill("#display_name", f"Sam {scope}")
        sam.fill("#password", PASSWORD)
        sam.fill("#confirm", PASSWORD)
        sam.locator("main").get_by_role("button", name="Create my account and accept").click()
        assert _path(sam) == "/supporting", sam.url
        act = sam.locator("main").get_by_role("button", name="Act for Amira Khan")
        if act.count():
            act.click()
        links = sam.locator("main").get_by_role("link")
        if scope == "view":
            assert axe_violations(sam) == []
            screenshot(sam, "whole-journey-supporting-view")
        for name, (path, allowed, secret) in AMIRA_PAGES.items():
            label = SUPPORTING_LINKS.get(name)
            if label:
                shown = links.filter(has_text=label).count() > 0
                assert shown == (scope in allowed), (scope, name, _main(sam))
            response = sam.goto(path.format(**ids))
            assert response is not None
            if scope in allowed:
                assert response.status == 200 and secret in _main(sam), (scope, name)
            else:
                assert response.status in (200, 403, 404), (scope, name, response.status)
                assert secret not in sam.content(), f"{name} leaks to a supporter with {scope}"
                if name in ("introduction", "arrangement", "profile"):
                    assert response.status in (403, 404), (scope, name, response.status)
            sam.goto("/supporting")

    # With the scope to ask, the supporter asks for Amira from a carer's page, by keyboard.
    manager = open_page()
    keys = Keyboard(manager, audit=True)
    keyboard_login(keys, f"sam-manage_introductions-{tag}@people.example.org", PASSWORD)
    manager.goto("/supporting")
    keys.activate(text="Find a carer for Amira Khan")
    assert _path(manager) == "/search"
    keys.assert_no_problems()
