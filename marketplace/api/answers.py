"""Whole match answers kept per worker for visitors, per catalog version.

A visitor's (not logged in) answer to ``POST /api/v1/match`` depends only on the
catalog and the request, so the same question, asked again while the catalog has not
changed, is answered from here without ranking. Never for a logged-in person: their
profile, budget and arrangements may shape the answer.

Bounded in entries and in bytes (least recently used first out); a new catalog version
empties it (the key holds the version too, so an old answer can never be served).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import Flask, current_app
from flask_login import current_user

_EXTENSION = "coopcare_match_answers"
_create_lock = threading.Lock()


class AnswerCache:
    """Answers (bytes) by (catalog version, normalised request), LRU within bounds."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self.version: Hashable | None = None
        self.answers: OrderedDict[Hashable, bytes] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def _follow(self, version: Hashable) -> None:
        if version != self.version:
            self.answers.clear()
            self.bytes = 0
            self.version = version

    def get(self, version: Hashable, key: Hashable) -> bytes | None:
        with self.lock:
            self._follow(version)
            found = self.answers.get(key)
            if found is None:
                self.misses += 1
                return None
            self.answers.move_to_end(key)
            self.hits += 1
            return found

    def put(self, version: Hashable, key: Hashable, answer: bytes) -> None:
        # One answer may take at most an eighth of the room, so a few huge ones cannot
        # push every other out.
        if len(answer) > self.max_bytes // 8 or self.max_entries < 1:
            return
        with self.lock:
            self._follow(version)
            old = self.answers.pop(key, None)
            if old is not None:
                self.bytes -= len(old)
            self.answers[key] = answer
            self.bytes += len(answer)
            while len(self.answers) > self.max_entries or self.bytes > self.max_bytes:
                _, dropped = self.answers.popitem(last=False)
                self.bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self.answers)


def answer_cache(app: Flask) -> AnswerCache:
    cache = app.extensions.get(_EXTENSION)
    if cache is None:
        with _create_lock:
            cache = app.extensions.get(_EXTENSION)
            if cache is None:
                cache = app.extensions[_EXTENSION] = AnswerCache(
                    int(app.config.get("MATCH_ANSWERS_KEPT", 1024)),
                    int(app.config.get("MATCH_ANSWERS_BYTES", 8 * 1024 * 1024)),
                )
    return cache


def visitor_cache() -> AnswerCache | None:
    """The worker's answer cache when this request may use it: a visitor (nobody logged
    in), with the catalog kept per worker (``CATALOG_CACHE``: off in tests, where each
    test's data is rolled back under the same version) and ``MATCH_ANSWER_CACHE`` on."""
    from marketplace.catalog import _caching

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if current_user.is_authenticated:
        return None
    if not app.config.get("MATCH_ANSWER_CACHE", True) or not _caching(app):
        return None
    return answer_cache(app)
