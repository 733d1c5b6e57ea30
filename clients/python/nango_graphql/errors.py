"""The one exception of the SDK: the server's stable error code, its message and the HTTP status."""
from __future__ import annotations

from typing import Any, Optional


class NangoError(Exception):
    """A failed call. ``code`` is the server's ``extensions.code`` (e.g. ``unknown_connection``,
    ``invalid_secret_key``, ``refresh_failed``), or one of this SDK's own: ``server_unreachable``
    (no answer), ``bad_response`` (an answer that is not a GraphQL result), and the
    ``webhook_*`` codes of :func:`nango_graphql.verify_webhook`."""

    def __init__(self, code: str, message: str, status: Optional[int] = None, details: Optional[dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details: dict[str, Any] = details or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"NangoError(code={self.code!r}, message={self.message!r}, status={self.status!r})"
