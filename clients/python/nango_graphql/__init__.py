"""Python SDK of the Nango GraphQL server: ``Nango(host, secret_key).get_token(config_key, connection_id)``,
every query and mutation as a typed method, ``proxy(...)`` for calls to a provider's API, and
``verify_webhook`` for its signed deliveries."""
from . import _generated
from ._generated import *  # noqa: F401,F403  (the result, enum and input types of every operation)
from .client import BasicToken, Nango, OAuth1Token, Token
from .errors import NangoError
from .proxy import ProxyResponse
from .webhooks import verify_webhook

__all__ = ["Nango", "NangoError", "ProxyResponse", "Token", "BasicToken", "OAuth1Token", "verify_webhook"]
__all__ += _generated.__all__
