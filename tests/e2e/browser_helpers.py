"""Helpers for the browser tests: logging in, axe-core, keyboard, reflow, forms, reading age.

Import as ``from e2e.browser_helpers import ...`` (tests/ is on the pythonpath).
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

CHROMIUM_PATH = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

DEMO_PASSWORD = "coopcare-demo-1"
DEMO_EMAILS = {
    "person": "person@coopcare.example",
    "supporter": "supporter@coopcare.example",
    "provider_admin": "provider@coopcare.example",
    "carer": "carer@coopcare.example",
    "reviewer": "reviewer@coopcare.example",
    "admin": "admin@coopcare.example",
}
ROLES = ["anonymous", *DEMO_EMAILS]

# WCAG 2.0, 2.1 and 2.2 at levels A and AA; axe's best-practice rules are not asked for.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_axe = Axe()


@dataclass(frozen=True)
class LiveServer:
    url: str
    mail_dir: Path
    log: Path
    database: Path
    clock_file: Path | None = None
    # The server's environment, for running its CLI (``flask introductions expire``).
    env: dict[str, str] = field(default_factory=dict, hash=False, compare=False, repr=False)

    def move_clock(self, days: float) -> None:
        """Run the server's clock `days` ahead of the real one (0: the real clock again).
        Only the served app's clock moves (e2e_wsgi reads the file on each request);
        Stripe's, the browser's and the test's do not."""
        assert self.clock_file is not None
        if days:
            self.clock_file.write_text(str(days))
        else:
            self.clock_file.unlink(missing_ok=True)

    def scalar(self, sql: str, *params: object) -> Any:
        """One value from the served database (read-only), e.g. a demo row's id."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as connection:
            row = connection.execute(sql, params).fetchone()
        return row[0] if row else None

    def days_pass(self, sql: str, *params: object) -> None:
        """Let time pass for one row of the served database (a request whose ten working
        days are up), where moving the whole clock would touch every other test's rows."""
        assert sql.lstrip().upper().startswith("UPDATE "), sql
        with sqlite3.connect(self.database, timeout=10) as connection:
            assert connection.execute(sql, params).rowcount == 1, sql

    def flask(self, *args: str) -> str:
        """Run a ``flask`` command against the served database; its output."""
        done = subprocess.run(
            [sys.executable, "-m", "flask", *args],
            cwd=Path(__file__).resolve().parents[2],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def emails_to(self, address: str) -> list[email.message.EmailMessage]:
        """Messages the app wrote with Flask-Mailman's file backend, oldest first."""
        found = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not chunk.strip():
                    continue
                message = email.message_from_bytes(chunk, policy=email.policy.default)
                if address.lower() in str(message["To"]).lower():
                    found.append(message)
        return found

    def last_link_to(self, address: str, path_prefix: str) -> str:
        """The last link starting with path_prefix in the newest email to address."""
        messages = self.emails_to(address)
        assert messages, f"no email was sent to {address}"
        body = messages[-1].get_body(preferencelist=("plain",)).get_content()
        links = re.findall(r"https?://\S+", body)
        links = [link for link in links if path_prefix in link]
        assert links, f"no {path_prefix} link in the email to {address}:\n{body}"
        return links[-1]


def login(page: Page, role: str, password: str = DEMO_PASSWORD, email_address: str = "") -> None:
    """Log in through the real login form as the demo user of a role (or an address)."""
    page.goto("/login")
    page.fill("#email", email_address or DEMO_EMAILS[role])
    page.fill("#password", password)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if "/login" in page.url:
        raise AssertionError(f"could not log in as {role}: {page.locator('main').inner_text()}")


# ---------------------------------------------------------------- axe-core


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page, one readable line per node."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    lines = []
    for violation in results.response["violations"]:
        for node in violation["nodes"][:5]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(
                f"axe {violation['id']} ({violation['impact']}): {violation['help']} — "
                f"{node['target']} {node['html'][:120]} — {summary[:240]}"
            )
    return lines


# ---------------------------------------------------------------- keyboard

_DESCRIBE_JS = """
(el) => {
  if (!el || el === document.body || el === document.documentElement) return null;
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
  return {
    key: Array.prototype.indexOf.call(document.querySelectorAll('*'), el),
    tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name') || '',
    type: el.getAttribute('type') || '', href: el.getAttribute('href') || '',
    text: text.replace(/\\s+/g, ' ').slice(0, 60),
    label: el.labels && el.labels.length ? el.labels[0].innerText.trim().slice(0, 60) : '',
  };
}
"""

# One round trip per key press: describe what has focus now, and check that the element
# that had focus before looks different now that it has lost it (so focus was visible).
_STEP_JS = """
() => {
  const describe = __DESCRIBE__;
  const style = (el) => {
    const cs = getComputedStyle(el);
    const transparent = (c) => c === 'transparent' || /rgba\\(.*,\\s*0\\)$/.test(c);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0
      && !transparent(cs.outlineColor)
      ? `${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}` : '';
    return [outline, cs.boxShadow, cs.backgroundColor, cs.borderColor, cs.color,
            cs.textDecorationLine].join(' | ');
  };
  const state = window.__e2eFocus || (window.__e2eFocus = {element: null});
  const el = document.activeElement;
  let invisible = null;
  if (state.element && state.element !== el && state.element.isConnected
      && style(state.element) === state.style) invisible = state.name;
  const info = describe(el);
  state.element = info ? el : null;
  if (info) { state.style = style(el); state.name = info; }
  return {info, invisible};
}
""".replace("__DESCRIBE__", _DESCRIBE_JS.strip())


def focused(page: Page) -> dict[str, Any] | None:
    """What has focus now (None when nothing in the page does)."""
    return page.evaluate(f"({_DESCRIBE_JS})(document.activeElement)")


def describe(info: dict[str, Any] | None) -> str:
    if info is None:
        return "nothing (the browser itself)"
    bits = [info["tag"]]
    if info["id"]:
        bits.append(f"#{info['id']}")
    if info["href"]:
        bits.append(f"[href={info['href']}]")
    label = info["text"] or info["label"] or info["name"]
    return "".join(bits) + (f' "{label}"' if label else "")


class Keyboard:
    """Press keys like a keyboard user, checking that focus can always be seen."""

    def __init__(self, page: Page, audit: bool = False) -> None:
        """audit=True also runs axe-core and the form checks on each new page reached."""
        self.page = page
        self.problems: list[str] = []
        self.audit = audit
        self._audited: set[str] = set()

    def _step(self) -> dict[str, Any] | None:
        result = self.page.evaluate(_STEP_JS)
        if result["invisible"]:
            self.problems.append(f"focus is not visible on {describe(result['invisible'])}")
        return result["info"]

    def tab(self, shift: bool = False) -> dict[str, Any] | None:
        self.page.keyboard.press("Shift+Tab" if shift else "Tab")
        return self._step()

    def press(self, key: str) -> dict[str, Any] | None:
        """Press a key that loads a new page (Enter on a link or button), and wait for it."""
        with self.page.expect_navigation(wait_until="load"):
            self.page.keyboard.press(key)
        if self.audit:
            self.check_page()
        return self._step()

    def check_page(self) -> None:
        """axe-core and GOV.UK form checks, once per page title and address."""
        key = self.page.title() + " " + self.page.url.split("#")[0]
        if key in self._audited:
            return
        self._audited.add(key)
        where = urlsplit(self.page.url).path
        self.problems += [f"{where}: {line}" for line in axe_violations(self.page)]
        self.problems += [f"{where}: {line}" for line in form_problems(self.page)]

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def tab_to(self, *, text: str = "", selector: str = "", max_presses: int = 150) -> dict:
        """Tab forward until the focused element matches selector or shows text."""
        for _ in range(max_presses):
            info = self.tab()
            if info is None:
                continue
            if selector and self.page.evaluate(
                "(s) => document.activeElement.matches(s)", selector
            ):
                return info
            if text and (text.lower() in (info["text"] + " " + info["label"]).lower()):
                return info
        raise AssertionError(
            f"could not reach {text or selector} by pressing Tab on {self.page.url}"
        )

    def fill(self, selector: str, value: str) -> None:
        """Tab to a field, clear it and type."""
        self.tab_to(selector=selector)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.type(value)

    def activate(self, *, text: str = "", selector: str = "") -> None:
        """Tab to a link or button and press Enter."""
        self.tab_to(text=text, selector=selector)
        self.press("Enter")

    def choose(self, name: str, value: str) -> None:
        """Pick a radio: Tab into the group, arrow keys to the option, Space to select."""
        self.tab_to(selector=f"input[type=radio][name='{name}']")
        for _ in range(40):
            if self.page.evaluate("(v) => document.activeElement.value === v", value):
                self.page.keyboard.press("Space")
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"no radio {name}={value} on {self.page.url}")

    def tick(self, selector: str) -> None:
        """Tab to a checkbox and press Space."""
        self.tab_to(selector=selector)
        self.page.keyboard.press("Space")

    def skip_to_main(self) -> None:
        """The first Tab stop is the skip link; Enter moves focus to <main>."""
        info = self.tab()
        assert info and info["text"] == "Skip to main content", (
            f"first Tab stop on {self.page.url} is {describe(info)}"
        )
        self.page.keyboard.press("Enter")
        active = self.page.evaluate("document.activeElement.id")
        assert active == "main-content", f"the skip link moved focus to #{active}"

    def assert_no_problems(self) -> None:
        """Focus was visible at every Tab stop (and, when auditing, every page passed)."""
        assert not self.problems, "\n".join(self.problems)


def keyboard_login(keyboard: Keyboard, email_address: str, password: str) -> None:
    """Log in by keyboard alone, starting from the login page."""
    page = keyboard.page
    page.goto("/login")
    keyboard.fill("#email", email_address)
    keyboard.fill("#password", password)
    keyboard.press("Enter")  # implicit submission from a text field
    assert "/login" not in page.url, f"could not log in as {email_address}"


def assert_error_summary(page: Page, js: bool) -> None:
    """After a failed submit: the error summary is shown and, with JavaScript, has focus."""
    assert page.title().startswith("Error: "), page.title()
    assert page.locator("#error-summary").is_visible()
    if js:
        active = page.evaluate("document.activeElement.id")
        assert active == "error-summary", f"focus is on #{active}, not the error summary"


_TABBABLE_JS = """
() => {
  const all = document.querySelectorAll(
    'a[href], button, input, select, textarea, summary, [tabindex]');
  const seenRadios = new Set();
  const keys = [];
  for (const el of all) {
    if (el.disabled || el.tabIndex < 0 || el.type === 'hidden' || el.closest('[inert]')) continue;
    // checkVisibility() also hides the contents of a closed <details>.
    if (!el.checkVisibility({visibilityProperty: true}) || !el.getClientRects().length) continue;
    if (el.type === 'radio') {
      // A radio group is one Tab stop: the checked radio, or the first one.
      const scope = el.form || document;
      const checked = scope.querySelector(
        `input[type=radio][name="${CSS.escape(el.name)}"]:checked`);
      if (checked ? checked !== el : seenRadios.has(el.name)) continue;
      seenRadios.add(el.name);
    }
    keys.push(Array.prototype.indexOf.call(document.querySelectorAll('*'), el));
  }
  return keys;
}
"""


def keyboard_walk(page: Page) -> list[str]:
    """Tab through the whole page once. Problems: traps, unreachable controls, invisible focus.

    On a freshly loaded page the walk starts at the top. If something already has focus
    (an error summary), it first tabs to the end of the page, then walks round from the top.
    """
    expected = page.evaluate(_TABBABLE_JS)
    keyboard = Keyboard(page)
    limit = 2 * len(expected) + 10
    trapped = [f"keyboard trap: focus never left the page after {limit} presses of Tab"]
    if keyboard._step() is not None:
        for _ in range(limit):
            if keyboard.tab() is None:
                break
        else:
            return trapped
    visited: list[dict[str, Any]] = []
    for _ in range(limit):
        info = keyboard.tab()
        if info is None:
            break
        if any(seen["key"] == info["key"] for seen in visited):
            return [f"keyboard trap: Tab came back to {describe(info)} before the page ended"]
        visited.append(info)
    else:
        return trapped
    problems = list(keyboard.problems)
    if visited and visited[0]["text"] != "Skip to main content":
        problems.append(f"the first Tab stop is {describe(visited[0])}, not the skip link")
    visited_keys = {info["key"] for info in visited}
    missing = [key for key in expected if key not in visited_keys]
    if missing:
        names = page.evaluate(
            f"(keys) => keys.map(k => ({_DESCRIBE_JS})(document.querySelectorAll('*')[k]))",
            missing,
        )
        problems += [f"cannot reach {describe(info)} with Tab" for info in names]
    return problems


# ---------------------------------------------------------------- reflow (WCAG 1.4.10)

_REFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const sw = document.documentElement.scrollWidth;
  if (sw > window.innerWidth)
    out.push(`the page scrolls sideways: ${sw}px wide in a ${window.innerWidth}px window`);
  const offends = (el) => {
    if (el.closest('.skip-link')) return false;
    // Data tables may scroll inside their own box (WCAG 1.4.10 allows it).
    if (el.parentElement && el.parentElement.closest('.table-wrap')) return false;
    // A map's tiles and panes move inside the map box, which clips them; the box itself
    // is still checked (maps are two-dimensional content, WCAG 1.4.10).
    if (el.parentElement && el.parentElement.closest('.leaflet-container')) return false;
    const r = el.getBoundingClientRect();
    if (!r.width && !r.height) return false;
    return r.right > width + 1 || r.left < -1;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (!offends(el) || (el.parentElement && offends(el.parentElement))) continue;
    const r = el.getBoundingClientRect();
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    out.push(`${name} runs from ${Math.round(r.left)}px to ${Math.round(r.right)}px`
      + ` in a ${width}px page`);
  }
  return out.slice(0, 12);
}
"""


def reflow_problems(page: Page) -> list[str]:
    """Anything wider than the window, or a page that scrolls sideways."""
    return page.evaluate(_REFLOW_JS)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# ---------------------------------------------------------------- forms (GOV.UK patterns)

TIME_LIMIT_PATTERN = re.compile(r"\b8 hours\b")
LONG_FORM_QUESTIONS = 4  # forms this long say how long the user has to finish them

_FORMS_JS = r"""
() => {
  const problems = [];
  const personal = new RegExp(
    '^(email|display_name|full_name|given_name|family_name|phone|telephone|tel|mobile|'
    + 'postcode|address|address_line_?\\d|town|city)$|_(email|phone|telephone|postcode)$');
  const forms = [...document.querySelectorAll('main form')];
  const questionsPerForm = [];
  for (const form of forms) {
    const groups = new Set();
    const fields = [...form.querySelectorAll('input, select, textarea')].filter(
      (el) => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type));
    for (const el of fields) {
      const d = `${el.tagName.toLowerCase()}[name=${el.name}]`;
      groups.add(el.name || el.id);
      if (el.hasAttribute('placeholder'))
        problems.push(`${d} has placeholder text; use a label and a hint instead`);
      const labels = el.labels ? [...el.labels].map((l) => l.textContent.trim()).join(' ') : '';
      if (!labels) problems.push(`${d} has no <label>`);
      if (el.type === 'radio' || el.type === 'checkbox') {
        const same = form.querySelectorAll(`input[name="${CSS.escape(el.name)}"]`);
        const legend = el.closest('fieldset') && el.closest('fieldset').querySelector('legend');
        if (same.length > 1 && !(legend && legend.textContent.trim()))
          problems.push(`${d} is one of a group with no <fieldset> and <legend>`);
      }
      const auto = (el.getAttribute('autocomplete') || '').trim();
      if (el.type === 'password' && !['current-password', 'new-password'].includes(auto))
        problems.push(`${d} is a password without autocomplete current-password or new-password`);
      // autocomplete="off" is a deliberate choice for details about someone else.
      if (personal.test(el.name) && !el.hasAttribute('autocomplete'))
        problems.push(`${d} asks for personal details without an autocomplete attribute`);
    }
    if (form.method.toLowerCase() === 'post') questionsPerForm.push(groups.size);
  }
  const summary = document.querySelector('main .error-summary');
  const messages = [...document.querySelectorAll('main .error-message[id$="-error"]')];
  if (messages.length && !summary) problems.push('errors are shown without an error summary');
  if (summary) {
    if (summary.id !== 'error-summary' || summary.getAttribute('tabindex') !== '-1')
      problems.push('the error summary needs id="error-summary" and tabindex="-1"');
    if (!document.title.startsWith('Error: '))
      problems.push(`the page title "${document.title}" does not start with "Error: "`);
    const targets = [...summary.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    for (const href of targets) {
      const target = href && href.startsWith('#') && document.getElementById(href.slice(1));
      if (!target) problems.push(`the error summary links to ${href}, which is not on the page`);
      else if (!target.matches('input, select, textarea, fieldset, [tabindex]'))
        problems.push(`the error summary link ${href} does not lead to a form field`);
    }
    for (const message of messages) {
      const field = '#' + message.id.replace(/-error$/, '');
      if (!targets.includes(field))
        problems.push(
          `the error "${message.textContent.trim()}" is not linked from the error summary`);
    }
  }
  return {problems, questionsPerForm, text: document.querySelector('main').innerText};
}
"""


def form_problems(page: Page) -> list[str]:
    """GOV.UK form patterns: labels, fieldsets, autocomplete, error summary, time limits."""
    report = page.evaluate(_FORMS_JS)
    problems = list(report["problems"])
    longest = max(report["questionsPerForm"], default=0)
    if longest >= LONG_FORM_QUESTIONS and not TIME_LIMIT_PATTERN.search(report["text"]):
        problems.append(
            f"a form with {longest} questions does not say it times out after 8 hours "
            "(use {{ f.time_limit() }} from macros/forms.html)"
        )
    return problems


# ---------------------------------------------------------------- plain English

# Measure: the Flesch-Kincaid grade of the main text, as a reading age (grade + 5: US
# school grade 1 is age 6 to 7). GOV.UK writes for a reading age of 9; we accept up to 11
# (grade 6) for the main text of public pages. Fix failures by rewriting, not by raising it.
#
# textstat's English syllable counter needs NLTK's CMU dictionary, which it downloads on
# first use; tests have no network, so syllables are counted with the classic vowel-group
# rule below (within one syllable of the dictionary for nearly all everyday words).
MAX_READING_AGE = 11

_TEXT_JS = """
() => {
  const blocks = 'h1, h2, h3, h4, p, li, dt, dd, label, legend, .hint, th, td, summary';
  const skip = '[data-readability="skip"]';
  const all = [...document.querySelectorAll('main ' + blocks.split(', ').join(', main '))];
  return all
    .filter((el) => !el.closest(skip) && !el.querySelector(blocks))
    .map((el) => el.innerText.replace(/\\s+/g, ' ').trim())
    .filter(Boolean);
}
"""

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")


def main_text(page: Page) -> list[str]:
    """The page's main text, one block per heading, paragraph or list item.

    Text marked data-readability="skip" (licence wording we must quote exactly) is left out.
    """
    return page.evaluate(_TEXT_JS)


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e or -es/-ed; short words count as one."""
    word = word.lower()
    if len(word) <= 3:
        return 1
    word = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", "", word)
    word = re.sub(r"^y", "", word)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", word)))


def reading_age(blocks: list[str]) -> float:
    """Flesch-Kincaid reading age of the blocks; a block without a full stop is a sentence."""
    text = " ".join(b if b[-1] in ".!?:" else b + "." for b in blocks if b)
    sentences = [s for s in re.split(r"[.!?:]+(?:\s|$)", text) if _WORD.search(s)]
    words = _WORD.findall(text)
    if not words:
        return 0.0
    per_sentence = len(words) / max(1, len(sentences))
    per_word = sum(syllables(w) for w in words) / len(words)
    return round(0.39 * per_sentence + 11.8 * per_word - 15.59 + 5, 1)
