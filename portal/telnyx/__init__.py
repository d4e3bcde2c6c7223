"""The Telnyx client: the only code that knows Telnyx URLs, headers, paging and error envelopes.

``from portal.telnyx import get_client`` gives the process-wide :class:`TelnyxClient`.
"""

from portal.telnyx.client import TelnyxClient, get_client, reset_client
from portal.telnyx.errors import (
    AmbiguousCreateError,
    AuthenticationError,
    ErrorDetail,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TelnyxError,
    UnexpectedResponseError,
)

__all__ = [
    "AmbiguousCreateError",
    "AuthenticationError",
    "ErrorDetail",
    "InvalidRequestError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "TelnyxClient",
    "TelnyxError",
    "UnexpectedResponseError",
    "get_client",
    "reset_client",
]
