"""The API's error type: turned into {"error": {...}} JSON with a 4xx status."""

from __future__ import annotations

from typing import Any


class APIError(Exception):
    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
