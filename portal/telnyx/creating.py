"""Creating POSTs without duplicates: send once, and after an ambiguous failure look before
sending again (P10, P11).

Telnyx has no Idempotency-Key on ``POST /number_orders`` (nor on documents, addresses, comments,
block, bulk or reservation creation). A timeout, a dropped connection or a 5xx may have bought
the numbers anyway, so the record carries a unique ``customer_reference`` minted before the first
attempt and, after such a failure, :func:`create_once` asks Telnyx whether a record with that
reference exists:

* found: adopt it and return it as if the POST had answered;
* certainly absent: send again (while the retry budget lasts), else raise the original,
  transient error. Nothing was created, so the caller may safely try again later.
  "Certainly" matters after a timeout or dropped connection: Telnyx may still be working on
  the request, so absence is only trusted once a second lookup, a full read timeout after the
  failure, agrees. (A 5xx answer means Telnyx has finished with the request: one lookup is
  enough.) An order Telnyx takes longer than that to commit cannot be told apart from a lost
  one; that is the residual risk without idempotency keys;
* the lookup itself fails: raise :class:`AmbiguousCreateError`; nobody may re-send until a
  later lookup settles it.

Failures that prove nothing happened (connection refused, 429) are retried by the transport
itself; 4xx answers are definite refusals and are raised as they are.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from portal.telnyx.errors import (
    AmbiguousCreateError,
    NetworkError,
    ServerError,
    TelnyxError,
)
from portal.telnyx.http import Transport

logger = logging.getLogger("portal.telnyx")

T = TypeVar("T")


def new_reference(kind: str) -> str:
    """A fresh, PII-free customer_reference for records the caller did not name."""
    return f"portal-{kind}-{uuid.uuid4().hex}"


def create_once(
    transport: Transport,
    *,
    what: str,
    send: Callable[[], T],
    lookup: Callable[[], T | None],
    reference: str | None,
    resend_if_absent: bool = True,
    settle_seconds: float = 1.0,
    max_sends: int = 3,
) -> T:
    """Run ``send`` (a single-attempt POST) and reconcile through ``lookup`` when ambiguous."""
    policy = transport.policy
    deadline = transport.clock() + policy.budget
    sends = 0
    while True:
        sends += 1
        try:
            return send()
        except NetworkError as exc:
            if not exc.sent:
                raise  # never reached Telnyx: nothing can have been created
            failure: TelnyxError = exc
        except ServerError as exc:
            failure = exc
        failed_at = transport.clock()
        logger.warning(
            "telnyx_create_ambiguous what=%s status=%s send=%s reconciling",
            what,
            failure.status if failure.status is not None else "-",
            sends,
        )
        # Give Telnyx a moment to finish what it may still be doing with our request.
        if settle_seconds > 0:
            transport.sleep(min(settle_seconds, max(0.0, deadline - transport.clock())))
        found = _look(lookup, what, failure, reference)
        if found is None and isinstance(failure, NetworkError):
            # Telnyx may still be processing the request we gave up on: look once more after
            # a quiet period as long as the read timeout.
            wait = failed_at + (transport.timeout.read or 0.0) - transport.clock()
            if wait > 0:
                transport.sleep(wait)
            found = _look(lookup, what, failure, reference)
        if found is not None:
            logger.info("telnyx_create_reconciled what=%s outcome=adopted", what)
            return found
        logger.info("telnyx_create_reconciled what=%s outcome=absent", what)
        if not resend_if_absent or sends >= max_sends:
            raise failure
        delay = policy.backoff(sends, transport.rng)
        if transport.clock() + delay > deadline:
            raise failure
        transport.sleep(delay)


def _look(
    lookup: Callable[[], T | None], what: str, failure: TelnyxError, reference: str | None
) -> T | None:
    """Run the lookup; if it fails too, the outcome is unknown and nothing may be re-sent."""
    try:
        return lookup()
    except TelnyxError as exc:
        raise AmbiguousCreateError(
            f"Telnyx may have created the {what}; the check failed ({exc})",
            status=failure.status,
            errors=failure.errors,
            request_id=failure.request_id,
            method=failure.method,
            path=failure.path,
            customer_reference=reference,
        ) from exc
