"""Standard Webhooks verification of the server's deliveries: HMAC-SHA256 over ``id.timestamp.body``, keyed with the ``whsec_`` secret."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Mapping, Optional, Union

from .errors import NangoError

#: How far a delivery's webhook-timestamp may be from now, either way (as the Standard Webhooks libraries allow).
TOLERANCE_SECONDS = 5 * 60


def verify_webhook(secret: str, headers: Mapping[str, str], body: Union[bytes, str], now: Optional[float] = None) -> Any:
    """The delivered event (``{"id", "type", "createdAt", "data"}``) when the delivery is signed with ``secret``
    (``whsec_...``) and recent; else a NangoError: ``webhook_missing_headers``, ``webhook_stale_timestamp``
    or ``webhook_invalid_signature``. Pass the body exactly as received, before any JSON parsing."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id, timestamp, signatures = lowered.get("webhook-id"), lowered.get("webhook-timestamp"), lowered.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise NangoError("webhook_missing_headers", "The delivery lacks webhook-id, webhook-timestamp or webhook-signature.")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise NangoError("webhook_stale_timestamp", "The delivery's webhook-timestamp is not a number of seconds.") from None
    if abs((time.time() if now is None else now) - sent_at) > TOLERANCE_SECONDS:
        raise NangoError("webhook_stale_timestamp", "The delivery's webhook-timestamp is more than 5 minutes from now: refused as a possible replay.")
    try:
        key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret, validate=True)
    except (binascii.Error, ValueError):
        raise NangoError("webhook_invalid_secret", "The webhook secret is not whsec_ followed by base64.") from None
    payload = body.encode() if isinstance(body, str) else body
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + payload, hashlib.sha256).digest())
    # Several space-separated signatures may come (during a secret rotation); any v1 one that matches will do.
    for signature in signatures.split():
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return json.loads(payload)
    raise NangoError("webhook_invalid_signature", "The delivery's signature does not match its body and this secret.")
