"""Plain English: the main text of each public page has a reading age of 11 or less.

Reading age is the Flesch-Kincaid grade + 5 (see browser_helpers.reading_age). GOV.UK
aims for 9. A failure is fixed by rewriting the page: shorter sentences, everyday words.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e.browser_helpers import MAX_READING_AGE, main_text, reading_age
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

PUBLIC_PAGES = [
    "/",
    "/about",
    "/accessibility",
    "/login",
    "/register",
    "/reset-password",
    "/reset-password/not-a-real-token",
    "/no-such-page",
    "/search",
    "/search?postcode=LS6+1AA",
    "/search?postcode=ZE1",
    "/search?postcode=NOT+A+POSTCODE",
    "/providers/{headingley}",
    "/carers/{ana}",
    "/teams/{headingley_team}",
    "/councils",
    "/councils/{leeds}",
    "/map",
    "/shortlist",
    "/carers/{ana}/easy-read",
    "/saved-searches/new?postcode=LS7",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_is_plain_english(
    open_page: Callable[..., Page], demo_ids: dict[str, object], path: str
) -> None:
    page = open_page(js=False)
    page.goto(path.format(**demo_ids))
    blocks = main_text(page)
    assert blocks, f"{path} has no text in <main>"
    age = reading_age(blocks)
    assert age <= MAX_READING_AGE, (
        f"{path} has a reading age of {age} (at most {MAX_READING_AGE}). "
        "Rewrite it with shorter sentences and everyday words:\n" + "\n".join(blocks)
    )
