"""The app as the browser tests serve it: the real Config, read from the environment.

Two things are added, both for tests only:

- Flask-Mailman's file backend needs MAIL_FILE_PATH, which the production Config does
  not read, so the tests can open the password-reset email.
- A movable clock: when the file named by E2E_CLOCK_FILE holds a number of days, each
  request runs with the app's clock (`marketplace.clock`) that far ahead, so a journey can
  reach "a month later" (the monthly outcome review) without waiting a month.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from marketplace import clock, create_app
from marketplace.config import Config


class BrowserTestConfig(Config):
    MAIL_FILE_PATH = os.environ["MAIL_FILE_PATH"]


app = create_app(BrowserTestConfig)

_CLOCK_FILE = os.environ.get("E2E_CLOCK_FILE")


if _CLOCK_FILE:

    @app.before_request
    def _moved_clock() -> None:
        try:
            days = float(Path(_CLOCK_FILE).read_text())
        except (FileNotFoundError, ValueError):
            days = 0.0
        # Every thread sets the same value from the same file, so they agree.
        clock._frozen_at = datetime.now(UTC) + timedelta(days=days) if days else None
