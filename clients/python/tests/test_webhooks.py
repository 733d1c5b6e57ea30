"""verify_webhook: a delivery the live server signed is accepted; a changed body, another secret or an old timestamp is refused."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import unittest

from nango_graphql import NangoError, verify_webhook

from .live import FIXTURES, HOST, SKIP_REASON

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()


def signed(body: bytes, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    key = base64.b64decode(secret[len("whsec_"):])
    signature = base64.b64encode(hmac.new(key, f"evt_1.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    return {"Webhook-Id": "evt_1", "Webhook-Timestamp": str(timestamp), "Webhook-Signature": f"v1,{signature}"}


class SignatureTest(unittest.TestCase):
    """Deliveries signed here, by the Standard Webhooks scheme: the refusals each have their own code."""

    def test_accepts_a_fresh_signature_among_several_and_returns_the_event(self) -> None:
        body = b'{"id":"evt_1","type":"connection.created"}'
        headers = signed(body, int(time.time()))
        headers["Webhook-Signature"] = "v1,bm90IGl0 " + headers["Webhook-Signature"]
        self.assertEqual(verify_webhook(SECRET, headers, body), {"id": "evt_1", "type": "connection.created"})

    def test_refuses_a_timestamp_older_than_five_minutes(self) -> None:
        body = b"{}"
        with self.assertRaises(NangoError) as raised:
            verify_webhook(SECRET, signed(body, int(time.time()) - 301), body)
        self.assertEqual(raised.exception.code, "webhook_stale_timestamp")

    def test_refuses_missing_headers(self) -> None:
        with self.assertRaises(NangoError) as raised:
            verify_webhook(SECRET, {}, b"{}")
        self.assertEqual(raised.exception.code, "webhook_missing_headers")


@unittest.skipUnless(HOST, SKIP_REASON)
class RealDeliveryTest(unittest.TestCase):
    """A delivery the server sent to a receiver, as it arrived."""

    def setUp(self) -> None:
        self.delivery = FIXTURES["webhook"]
        self.body = self.delivery["body"].encode()

    def test_accepts_the_delivery_the_server_signed(self) -> None:
        event = verify_webhook(self.delivery["secret"], self.delivery["headers"], self.body)
        self.assertEqual(event["type"], "provider_config.created")
        self.assertEqual(event["id"], self.delivery["headers"]["webhook-id"])

    def test_refuses_a_tampered_body(self) -> None:
        tampered = json.dumps({**json.loads(self.body), "type": "connection.deleted"}).encode()
        with self.assertRaises(NangoError) as raised:
            verify_webhook(self.delivery["secret"], self.delivery["headers"], tampered)
        self.assertEqual(raised.exception.code, "webhook_invalid_signature")

    def test_refuses_another_secret(self) -> None:
        with self.assertRaises(NangoError) as raised:
            verify_webhook(SECRET, self.delivery["headers"], self.body)
        self.assertEqual(raised.exception.code, "webhook_invalid_signature")

    def test_refuses_the_same_delivery_replayed_after_five_minutes(self) -> None:
        sent_at = int(self.delivery["headers"]["webhook-timestamp"])
        with self.assertRaises(NangoError) as raised:
            verify_webhook(self.delivery["secret"], self.delivery["headers"], self.body, now=sent_at + 301)
        self.assertEqual(raised.exception.code, "webhook_stale_timestamp")


if __name__ == "__main__":
    unittest.main()
