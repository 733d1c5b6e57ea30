"""Nango.proxy against a live server and the loopback API behind its API key connection (it echoes
every request as JSON): params, headers and bodies arrive with the key in place; a provider's 404 is
returned, the server's own refusal raised."""
from __future__ import annotations

import json
import unittest

from nango_graphql import Nango, NangoError, ProxyResponse

from .live import FIXTURES, HOST, SECRET_KEY, SKIP_REASON


@unittest.skipUnless(HOST, SKIP_REASON)
class ProxyTest(unittest.TestCase):
    def setUp(self) -> None:
        self.nango = Nango(HOST, secret_key=SECRET_KEY)
        self.config = FIXTURES["apiKey"]["providerConfigKey"]
        self.connection = FIXTURES["apiKey"]["connectionId"]

    def test_proxy_get_sends_params_and_headers_with_the_connections_key(self) -> None:
        response = self.nango.proxy(
            "get", "/search?sort=new", self.config, self.connection,
            params={"q": "a b&c", "labels": ["x", "y"], "page": 2, "draft": False}, headers={"X-Custom": "kept"},
        )
        self.assertIsInstance(response, ProxyResponse)
        self.assertEqual(response.status, 200)
        self.assertEqual(response.headers["Content-Type"], "application/json")
        echo = response.json()
        self.assertEqual(echo["method"], "GET")
        self.assertEqual(echo["url"], "/v1/search?sort=new&q=a%20b%26c&labels=x&labels=y&page=2&draft=false")
        self.assertEqual(echo["headers"]["authorization"], f"Bearer {FIXTURES['apiKey']['apiKey']}")
        self.assertEqual(echo["headers"]["x-custom"], "kept")
        self.assertNotIn(SECRET_KEY, json.dumps(echo["headers"]))

    def test_proxy_post_sends_a_dict_as_json(self) -> None:
        response = self.nango.proxy("POST", "/items", self.config, self.connection, data={"name": "Ada", "tags": ["x"]})
        echo = json.loads(response.text)
        self.assertEqual((echo["method"], echo["headers"]["content-type"]), ("POST", "application/json"))
        self.assertEqual(json.loads(echo["body"]), {"name": "Ada", "tags": ["x"]})

    def test_proxy_returns_the_providers_404_without_raising(self) -> None:
        response = self.nango.proxy("GET", "/not-found", self.config, self.connection)
        self.assertEqual(response.status, 404)
        self.assertEqual(response.json(), {"message": "Not Found"})

    def test_proxy_returns_a_providers_redirect_unfollowed(self) -> None:
        response = self.nango.proxy("GET", "/moved", self.config, self.connection)
        self.assertEqual((response.status, response.headers.get("location")), (302, "/elsewhere"))

    def test_proxy_raises_the_servers_own_refusal_with_its_code(self) -> None:
        with self.assertRaises(NangoError) as raised:
            self.nango.proxy("GET", "/user", self.config, "nobody")
        self.assertEqual((raised.exception.code, raised.exception.status), ("unknown_connection", 404))
        self.assertIn("nobody", raised.exception.message)


if __name__ == "__main__":
    unittest.main()
