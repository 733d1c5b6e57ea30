"""The Nango facade: fresh tokens and connections, on the generated operations sent by the transport."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Union

from ._generated import (
    ApiKeyCredentials,
    BasicCredentials,
    ClientCredentialsToken,
    ConnectionFields,
    ConnectionHealthStatus,
    ConnectionPage,
    Credentials,
    OAuth1Credentials,
    Operations,
)
from .proxy import ParamValue, ProxyClient, ProxyResponse
from .transport import Transport


@dataclass(frozen=True)
class BasicToken:
    """What :meth:`Nango.get_token` gives for HTTP Basic credentials."""

    username: str
    password: str


@dataclass(frozen=True)
class OAuth1Token:
    """What :meth:`Nango.get_token` gives for OAuth 1.0a credentials."""

    oauth_token: str
    oauth_token_secret: str


Token = Union[str, BasicToken, OAuth1Token]


class Nango(Operations):
    """A client of one Nango server. Besides the methods below, every query and mutation of the
    API is a method of its own, generated: ``create_connect_session(input=CreateConnectSessionInput(...))``,
    ``provider_configs()``, ``create_connection(input=...)``, ``events(types=[...])``, ..."""

    def __init__(self, host: str = "http://localhost:3003", secret_key: Optional[str] = None, timeout: float = 30.0) -> None:
        self._transport = Transport(host, secret_key, timeout)
        self._proxy = ProxyClient(host, secret_key, timeout)

    def _execute(self, document: str, variables: dict[str, Any]) -> Any:
        return self._transport.execute(document, variables)

    def get_credentials(self, provider_config_key: str, connection_id: str, force_refresh: bool = False) -> Credentials:
        """The connection's fresh credentials, one of the Credentials dataclasses (refreshed first when near expiry)."""
        return self.connection_credentials(provider_config_key=provider_config_key, connection_id=connection_id, force_refresh=force_refresh).credentials

    def get_token(self, provider_config_key: str, connection_id: str, force_refresh: bool = False) -> Token:
        """The access token (OAuth 2, client credentials, GitHub App) or the API key as a string;
        a BasicToken for Basic credentials, an OAuth1Token for OAuth 1.0a. Ask right before each API call."""
        credentials = self.get_credentials(provider_config_key, connection_id, force_refresh)
        if isinstance(credentials, BasicCredentials):
            return BasicToken(credentials.username, credentials.password)
        if isinstance(credentials, OAuth1Credentials):
            return OAuth1Token(credentials.oauth_token, credentials.oauth_token_secret)
        if isinstance(credentials, ApiKeyCredentials):
            return credentials.api_key
        if isinstance(credentials, ClientCredentialsToken):
            return credentials.token
        return credentials.access_token

    def get_connection(self, provider_config_key: str, connection_id: str) -> ConnectionFields:
        """One connection (its health, config and metadata; not its credentials)."""
        return self.connection(provider_config_key=provider_config_key, connection_id=connection_id)

    def list_connections(
        self,
        provider_config_key: Optional[str] = None,
        health: Optional[ConnectionHealthStatus] = None,
        first: Optional[int] = None,
        after: Optional[str] = None,
    ) -> ConnectionPage:
        """A page of connections, newest first; pass ``page.page_info.end_cursor`` as ``after`` for the next."""
        return self.connections(provider_config_key=provider_config_key, health=health, first=first, after=after)

    def proxy(
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
        """A call to the provider's API for one connection, its fresh credentials placed by the server:
        ``nango.proxy("GET", "/user/repos", "github", "user-42", params={"per_page": 5}).json()``.

        ``params`` are added to the query (a list repeats the name); ``headers`` go to the provider
        (except cookies, hop-by-hop headers and Authorization); ``data`` is sent as JSON when it is a
        dict or a list, as it is when str or bytes. ``retries`` (0-10) lets the server wait out a 429 or
        503 or retry a network failure; ``base_url_override`` must be a host the config allows.
        The provider's answer is returned whatever its status (check ``response.status``); the server's
        own refusals raise NangoError (``unknown_connection``, ``provider_unreachable``, ``provider_timeout``, ...)."""
        return self._proxy.call(
            method,
            endpoint,
            provider_config_key,
            connection_id,
            params=params,
            headers=headers,
            data=data,
            retries=retries,
            base_url_override=base_url_override,
        )
