"""Where the live server is: NANGO_TEST_HOST, NANGO_TEST_SECRET_KEY and NANGO_TEST_FIXTURES (JSON), as test/python-sdk.test.ts sets them."""
from __future__ import annotations

import json
import os
from typing import Any

HOST = os.environ.get("NANGO_TEST_HOST", "")
SECRET_KEY = os.environ.get("NANGO_TEST_SECRET_KEY", "")
FIXTURES: dict[str, Any] = json.loads(os.environ.get("NANGO_TEST_FIXTURES", "{}"))
SKIP_REASON = "NANGO_TEST_HOST is not set: these tests need a live server (npm test runs them through test/python-sdk.test.ts)"
