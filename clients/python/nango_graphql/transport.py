"""Sends one GraphQL operation over HTTP (urllib, standard library only) and turns every failure into a NangoError."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Optional

from .errors import NangoError


class Transport:
    """POSTs ``{query, variables}`` to ``{host}/graphql`` with ``Authorization: Bearer <secret_key>`` when a key is given."""

    def __init__(self, host: str, secret_key: Optional[str] = None, timeout: float = 30.0) -> None:
        self.host = host.rstrip("/")
        self.endpoint = f"{self.host}/graphql"
        self.timeout = timeout
        self._headers = {"content-type": "application/json", "accept": "application/graphql-response+json, application/json"}
        if secret_key:
            self._headers["authorization"] = f"Bearer {secret_key}"

    def execute(self, document: str, variables: dict[str, Any]) -> Any:
        """The operation's ``data``; a NangoError carrying the first error's code when there are errors."""
        body = json.dumps({"query": document, "variables": variables}).encode()
        request = urllib.request.Request(self.endpoint, data=body, headers=self._headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status: int = response.status
                raw: bytes = response.read()
        except urllib.error.HTTPError as error:
            # GraphQL errors come with a 4xx or 5xx status too: the body still says which.
            status, raw = error.code, error.read()
        except OSError as error:
            # URLError, timeouts and dropped connections are all OSErrors.
            reason = getattr(error, "reason", None) or error
            raise NangoError("server_unreachable", f"Could not reach the Nango server at {self.host} ({reason}). Is it running?") from None
        try:
            result = json.loads(raw)
        except ValueError:
            raise NangoError("bad_response", f"The server at {self.host} answered HTTP {status} without a GraphQL result.", status) from None
        errors = result.get("errors") if isinstance(result, dict) else None
        if errors:
            first = errors[0]
            extensions = dict(first.get("extensions") or {})
            code = extensions.pop("code", None)
            extensions.pop("http", None)
            raise NangoError(code if isinstance(code, str) else "graphql_error", str(first.get("message", "")), status, extensions)
        if not isinstance(result, dict) or result.get("data") is None:
            raise NangoError("bad_response", f"The server at {self.host} answered HTTP {status} without data.", status)
        return result["data"]
