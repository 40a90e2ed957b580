"""Links we build from untrusted input: redirect targets and absolute links in email.

Two rules, decided here only:

* A redirect target taken from the request (``?next=``) is followed only when it is a
  path on this site. Browsers drop tabs and newlines from a URL and treat ``\\`` like
  ``/``, so ``/%09/evil.com`` becomes ``//evil.com``; control characters are removed
  first, then anything with a scheme or a host, a backslash or a leading ``//`` is
  refused.
* An absolute link in an email is built from ``PUBLIC_BASE_URL``, never from the
  request's ``Host`` header, which the sender of the request chooses.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

# C0 controls, DEL and the C1 controls: none belongs in a URL, and browsers drop some.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_redirect_target(target: str | None, fallback: str) -> str:
    """``target`` when it is a local path on this site, otherwise ``fallback``."""
    if not target:
        return fallback
    cleaned = _CONTROL_CHARACTERS.sub("", target).strip()
    if not cleaned.startswith("/") or cleaned.startswith("//") or "\\" in cleaned:
        return fallback
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return fallback
    return cleaned


def public_base_url() -> str:
    """The site's public address from configuration, without a trailing slash."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def absolute(path: str) -> str:
    """A site-relative path as an absolute link on the public address."""
    if not path.startswith("/"):
        raise ValueError(f"expected a site-relative path, got {path!r}")
    return public_base_url() + path


def public_url(endpoint: str, **values: Any) -> str:
    """The link to ``endpoint`` on the public address, in a request or in a cron job.

    The path is built without the request's script root: ``PUBLIC_BASE_URL`` already
    holds any prefix the site is served under, and a forwarded prefix is the sender's.
    """
    adapter = current_app.url_map.bind("localhost")
    return absolute(adapter.build(endpoint, values))
