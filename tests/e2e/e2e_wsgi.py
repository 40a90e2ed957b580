"""The app as the browser tests serve it: the real Config, read from the environment.

Only one thing is added: Flask-Mailman's file backend needs MAIL_FILE_PATH, which the
production Config does not read, so the tests can open the password-reset email.
"""

from __future__ import annotations

import os

from marketplace import create_app
from marketplace.config import Config


class BrowserTestConfig(Config):
    MAIL_FILE_PATH = os.environ["MAIL_FILE_PATH"]


app = create_app(BrowserTestConfig)
