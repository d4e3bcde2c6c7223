"""The rejection reasons listed in Telnyx admin comments, parsed once when a comment is mirrored.

Telnyx's vetting declines values with a comment of a fixed form::

    Some requirement values were declined:
    - <number> - <requirement>: <reason>

The dashboard counts ``(requirement, reason)`` pairs; a comment in another shape counts once
under its first line. The bodies are encrypted (P51: reviewers quote values back), so counting
them on every view meant decrypting every comment of the range (about 45 ms for 3,000
comments). Instead each pair is stored once, when the comment arrives, as a ``CommentRejection``
row: the texts encrypted like the body, plus a keyed digest (HMAC-SHA256 under
``SEARCH_INDEX_KEY``, as the blind index of names) of the pair, so the database groups equal
reasons without seeing them and the dashboard decrypts only the few it shows. The phone number
of a line is not kept.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

DECLINED_HEADER = "some requirement values were declined"
# "- +15550000001 - Proof of address: the value was not accepted"
_DECLINED_LINE = re.compile(
    r"^\s*-\s*(?P<number>\S+)\s+-\s+(?P<requirement>[^:]+):\s*(?P<reason>.+)$"
)
# Domain separation: the same key also makes the search tokens of names.
_DIGEST_PREFIX = b"rejection-reason\x00"


def parse_rejections(body: str) -> list[tuple[str, str]]:
    """``(requirement, reason)`` pairs listed in one comment (see the module docstring)."""
    lines = [line for line in body.splitlines() if line.strip()]
    if not lines:
        return []
    if lines[0].strip().lower().rstrip(":") == DECLINED_HEADER:
        pairs = []
        for line in lines[1:]:
            match = _DECLINED_LINE.match(line)
            if match:
                pairs.append(
                    (match["requirement"].strip(), match["reason"].strip().rstrip(".")[:200])
                )
        return pairs
    return [("", lines[0].strip()[:200])]


def reason_digest(requirement: str, reason: str) -> str:
    """The keyed digest of one pair (64 hex characters): equal pairs, equal digests."""
    message = _DIGEST_PREFIX + requirement.encode() + b"\x00" + reason.encode()
    return hmac.new(settings.SEARCH_INDEX_KEY.encode(), message, hashlib.sha256).hexdigest()


def rejection_rows(comment_ids: Iterable[tuple[int, str]], model: Any = None) -> list[Any]:
    """Unsaved ``CommentRejection`` rows for ``(comment id, body)`` pairs."""
    if model is None:
        from orders.models import CommentRejection as model
    return [
        model(
            comment_id=comment_id,
            position=position,
            requirement=requirement,
            reason=reason,
            digest=reason_digest(requirement, reason),
        )
        for comment_id, body in comment_ids
        for position, (requirement, reason) in enumerate(parse_rejections(body))
    ]


def record_rejections(telnyx_ids: Iterable[str], bodies: dict[str, str]) -> int:
    """Store the pairs of the comments just mirrored (``bodies``: Telnyx id → body).

    ``ignore_conflicts``: a sync racing this one may have stored the same comment's rows.
    """
    from orders.models import CommentRejection, SubOrderComment

    ids = SubOrderComment.objects.filter(telnyx_id__in=list(telnyx_ids)).values_list(
        "id", "telnyx_id"
    )
    rows = rejection_rows((pk, bodies[telnyx_id]) for pk, telnyx_id in ids)
    CommentRejection.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def backfill(model: Any, comment_model: Any, batch: int = 500) -> int:
    """Rows for every stored comment, replacing any there were (the migration that added the
    table; ``manage.py reindex_search`` after a change of the key). Returns the rows made.

    One transaction: the dashboard never sees the table half filled. A comment mirrored
    meanwhile already has its rows (``ignore_conflicts``).
    """
    done = 0
    chunk: list[tuple[int, str]] = []

    def flush() -> int:
        rows = rejection_rows(chunk, model)
        model.objects.bulk_create(rows, ignore_conflicts=True)
        chunk.clear()
        return len(rows)

    with transaction.atomic():
        model.objects.all().delete()
        comments = comment_model.objects.order_by("pk").values_list("pk", "body")
        for pair in comments.iterator(chunk_size=batch):
            chunk.append(pair)
            if len(chunk) == batch:
                done += flush()
        done += flush()
    return done
