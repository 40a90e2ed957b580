"""The checks themselves must catch what they look for: each is shown a bad page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e.browser_helpers import (
    axe_violations,
    form_problems,
    keyboard_walk,
    main_text,
    reading_age,
    reflow_problems,
)
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

SKIP_LINK = '<a href="#main">Skip to main content</a>'


def test_invisible_focus_is_caught(open_page: Callable[..., Page]) -> None:
    page = open_page(js=False)
    page.set_content(
        "<style>a:focus, a:focus-visible { outline: none; }</style>"
        f'{SKIP_LINK}<main id="main"><a href="#one">One</a></main>'
    )
    problems = keyboard_walk(page)
    assert any("focus is not visible" in p for p in problems), problems


def test_keyboard_trap_is_caught(open_page: Callable[..., Page]) -> None:
    page = open_page()
    page.set_content(
        f'{SKIP_LINK}<main id="main"><input id="a" aria-label="a"><input id="b" aria-label="b">'
        "<a href='#end'>End</a></main>"
        "<script>document.getElementById('b').addEventListener('keydown', e => {"
        "  if (e.key === 'Tab') { e.preventDefault(); document.getElementById('a').focus(); }"
        "});</script>"
    )
    problems = keyboard_walk(page)
    assert any("keyboard trap" in p for p in problems), problems


def test_wide_content_is_caught(open_page: Callable[..., Page]) -> None:
    page = open_page(width=320)
    page.set_content('<main><div id="wide" style="width: 600px">Wide</div></main>')
    problems = reflow_problems(page)
    assert any("scrolls sideways" in p for p in problems), problems
    assert any("div#wide" in p for p in problems), problems


def test_bad_forms_are_caught(open_page: Callable[..., Page]) -> None:
    page = open_page()
    page.set_content(
        "<title>Sign up</title><main>"
        '<div class="error-summary" id="error-summary" tabindex="-1">'
        '<a href="#nowhere">Enter your email</a></div>'
        '<form method="post"><input name="email" placeholder="Email">'
        '<p class="error-message" id="password-error">Enter a password</p>'
        '<input type="password" name="password" id="password">'
        '<label for="town">Town</label><input name="town" id="town" autocomplete="off">'
        '<input type="radio" name="kind" id="k1"><label for="k1">A</label>'
        '<input type="radio" name="kind" id="k2"><label for="k2">B</label>'
        "</form></main>"
    )
    problems = "\n".join(form_problems(page))
    for expected in (
        "placeholder",
        "no <label>",
        "autocomplete",
        "current-password or new-password",
        "no <fieldset> and <legend>",
        'does not start with "Error: "',
        "#nowhere, which is not on the page",
        "not linked from the error summary",
        "does not say it times out",
    ):
        assert expected in problems, f"{expected!r} not caught:\n{problems}"


def test_axe_runs_and_finds_problems(open_page: Callable[..., Page]) -> None:
    page = open_page()
    page.set_content('<html><body><main><img src="x.png"></main></body></html>')
    assert any("image-alt" in line for line in axe_violations(page))


def test_reading_age_tells_hard_from_easy(open_page: Callable[..., Page]) -> None:
    page = open_page(js=False)
    page.set_content(
        "<main><p>We help you find care near you.</p><p>It is free to search.</p>"
        '<p data-readability="skip">Notwithstanding contractual indemnification '
        "obligations, organisational responsibilities are apportioned.</p></main>"
    )
    blocks = main_text(page)
    assert len(blocks) == 2
    assert reading_age(blocks) < 8
    assert (
        reading_age(
            [
                "Notwithstanding contractual indemnification obligations, organisational "
                "responsibilities are apportioned proportionately."
            ]
        )
        > 20
    )
