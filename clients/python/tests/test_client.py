"""The client against a live server: tokens as the server holds them, connections, sessions, and errors with their codes."""
from __future__ import annotations

import socket
import unittest
from datetime import datetime

from nango_graphql import (
    ConnectionFields,
    ConnectionHealthStatus,
    CreateConnectSessionInput,
    EndUserInput,
    Nango,
    NangoError,
    OAuth2Credentials,
)

from .live import FIXTURES, HOST, SECRET_KEY, SKIP_REASON


@unittest.skipUnless(HOST, SKIP_REASON)
class ClientTest(unittest.TestCase):
    def setUp(self) -> None:
        self.nango = Nango(HOST, secret_key=SECRET_KEY)

    def test_get_token_returns_the_api_key_the_server_holds(self) -> None:
        fixture = FIXTURES["apiKey"]
        self.assertEqual(self.nango.get_token(fixture["providerConfigKey"], fixture["connectionId"]), fixture["apiKey"])

    def test_get_token_returns_the_oauth2_access_token_even_when_forced_to_refresh_nothing(self) -> None:
        fixture = FIXTURES["oauth2"]
        self.assertEqual(self.nango.get_token(fixture["providerConfigKey"], fixture["connectionId"]), fixture["accessToken"])

    def test_get_credentials_parses_the_union_member_chosen_by_typename(self) -> None:
        fixture = FIXTURES["oauth2"]
        credentials = self.nango.get_credentials(fixture["providerConfigKey"], fixture["connectionId"])
        assert isinstance(credentials, OAuth2Credentials), credentials
        self.assertEqual(credentials.access_token, fixture["accessToken"])
        self.assertEqual(credentials.scopes, ["read"])
        self.assertIsInstance(credentials.expires_at, datetime)
        self.assertEqual(credentials.raw, {"access_token": fixture["accessToken"]})

    def test_get_connection_and_list_connections_return_typed_connections(self) -> None:
        fixture = FIXTURES["apiKey"]
        connection = self.nango.get_connection(fixture["providerConfigKey"], fixture["connectionId"])
        self.assertIsInstance(connection, ConnectionFields)
        self.assertEqual((connection.connection_id, connection.provider), (fixture["connectionId"], "custom-api-key"))
        self.assertIs(connection.health.status, ConnectionHealthStatus.HEALTHY)
        page = self.nango.list_connections(health=ConnectionHealthStatus.HEALTHY)
        self.assertEqual(sorted(node.connection_id for node in page.nodes), ["with-key", "with-oauth2"])
        self.assertFalse(page.page_info.has_next_page)
        one = self.nango.list_connections(first=1)
        self.assertEqual(len(one.nodes), 1)
        self.assertTrue(one.page_info.has_next_page)

    def test_create_connect_session_gives_a_token_and_a_connect_url(self) -> None:
        session = self.nango.create_connect_session(
            input=CreateConnectSessionInput(provider_config_key=FIXTURES["oauth2"]["providerConfigKey"], connection_id="new-user", end_user=EndUserInput(id="u-1", email="u@example.com"))
        )
        self.assertTrue(session.token)
        self.assertIn("/oauth/connect", session.connect_url)
        self.assertGreater(session.expires_at, datetime.now(session.expires_at.tzinfo))

    def test_an_unknown_connection_is_a_nango_error_with_its_code_and_status(self) -> None:
        with self.assertRaises(NangoError) as raised:
            self.nango.get_token(FIXTURES["apiKey"]["providerConfigKey"], "nobody")
        self.assertEqual((raised.exception.code, raised.exception.status), ("unknown_connection", 404))

    def test_a_wrong_secret_key_is_invalid_secret_key(self) -> None:
        with self.assertRaises(NangoError) as raised:
            Nango(HOST, secret_key="sk-not-this-servers-key-000").get_token(FIXTURES["apiKey"]["providerConfigKey"], FIXTURES["apiKey"]["connectionId"])
        self.assertEqual((raised.exception.code, raised.exception.status), ("invalid_secret_key", 401))

    def test_a_server_that_does_not_answer_is_server_unreachable(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with self.assertRaises(NangoError) as raised:
            Nango(f"http://127.0.0.1:{port}", timeout=5).get_token("any", "any")
        self.assertEqual(raised.exception.code, "server_unreachable")
        self.assertIsNone(raised.exception.status)


if __name__ == "__main__":
    unittest.main()
