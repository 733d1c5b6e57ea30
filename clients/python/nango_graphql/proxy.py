"""Calls to a provider's API through the server's /proxy route: the server places the connection's
fresh credentials; the provider's answer, whatever its status, comes back as a ProxyResponse."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any, Mapping, Optional, Sequence, Union

from .errors import NangoError

#: Marks the server's own refusals (unknown connection, provider unreachable, ...); a provider's answer never carries it.
PROXY_ERROR_HEADER = "x-nango-proxy-error"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")

ParamValue = Union[str, int, float, bool, Sequence[str]]


@dataclass(frozen=True)
class ProxyResponse:
    """The provider's answer: a 404 or a 500 from the provider is an answer, not an error.
    ``headers`` is case-insensitive (``response.headers["Content-Type"]``, ``.get_all(name)``)."""

    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded with the charset the answer names (UTF-8 when it names none)."""
        return self.body.decode(self.headers.get_content_charset() or "utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (a ValueError when it is not)."""
        return json.loads(self.body)


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    # A provider's redirect is its answer: followed here, a relative Location would land on the server itself.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class ProxyClient:
    """Sends proxied calls to ``{host}/proxy`` with ``Authorization: Bearer <secret_key>`` when a key is given."""

    def __init__(self, host: str, secret_key: Optional[str] = None, timeout: float = 30.0) -> None:
        self.host = host.rstrip("/")
        self.secret_key = secret_key
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_KeepRedirects)

    def call(
        self,
        method: str,
        endpoint: str,
        provider_config_key: str,
        connection_id: str,
        *,
        params: Optional[Mapping[str, ParamValue]] = None,
        headers: Optional[Mapping[str, str]] = None,
        data: Any = None,
        retries: Optional[int] = None,
        base_url_override: Optional[str] = None,
    ) -> ProxyResponse:
        method = method.upper()
        if method not in METHODS:
            raise NangoError("invalid_input", f"The proxy takes {', '.join(METHODS)}, not {method}.")
        path = endpoint if endpoint.startswith("/") else f"/{endpoint}"
        query = _query(params)
        url = f"{self.host}/proxy{path}" + (("&" if "?" in path else "?") + query if query else "")

        sent = {name.lower(): value for name, value in (headers or {}).items()}
        body = _body(data, sent)
        # Set after the caller's: these name the connection (the caller's own Authorization never reaches the provider).
        if self.secret_key:
            sent["authorization"] = f"Bearer {self.secret_key}"
        sent["provider-config-key"] = provider_config_key
        sent["connection-id"] = connection_id
        if retries is not None:
            sent["retries"] = str(retries)
        if base_url_override is not None:
            sent["base-url-override"] = base_url_override

        request = urllib.request.Request(url, data=body, headers=sent, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, answer_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            # urllib raises for every 4xx and 5xx (and, redirects kept, 3xx): the provider's are answers.
            status, answer_headers, raw = error.code, error.headers, error.read()
        except OSError as error:
            # URLError, timeouts and dropped connections are all OSErrors.
            reason = getattr(error, "reason", None) or error
            raise NangoError("server_unreachable", f"Could not reach the Nango server at {self.host} ({reason}). Is it running?") from None
        refusal = answer_headers.get(PROXY_ERROR_HEADER)
        if refusal:
            raise _service_error(refusal, status, raw)
        return ProxyResponse(status, answer_headers, raw)


def _query(params: Optional[Mapping[str, ParamValue]]) -> str:
    pairs: list[tuple[str, str]] = []
    for name, value in (params or {}).items():
        for each in value if isinstance(value, (list, tuple)) else [value]:
            # true/false as the Node client writes them, not Python's True/False.
            pairs.append((name, ("true" if each else "false") if isinstance(each, bool) else str(each)))
    # quote, not quote_plus: a space is %20, which every API reads as a space ('+' not all).
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)


def _body(data: Any, headers: dict[str, str]) -> Optional[bytes]:
    # urllib would label a body form-encoded; a label that says what the body is, unless the caller gave one.
    if data is None:
        return None
    if isinstance(data, (bytes, bytearray)):
        headers.setdefault("content-type", "application/octet-stream")
        return bytes(data)
    if isinstance(data, str):
        headers.setdefault("content-type", "text/plain; charset=utf-8")
        return data.encode("utf-8")
    headers.setdefault("content-type", "application/json")
    return json.dumps(data).encode("utf-8")


def _service_error(code: str, status: int, raw: bytes) -> NangoError:
    try:
        error = json.loads(raw).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    message = error.get("message") if isinstance(error, dict) else None
    details = {name: value for name, value in error.items() if name not in ("code", "message")} if isinstance(error, dict) else {}
    return NangoError(code, message if isinstance(message, str) else f"The proxy refused the call (HTTP {status}).", status, details)
