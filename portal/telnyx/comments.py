"""Comments on sub orders and requirement groups: where Telnyx explains rejections."""

from __future__ import annotations

import time

from portal.telnyx.endpoint import Endpoints, seg
from portal.telnyx.models import Comment

# How far back a comment with the same body still counts as "ours" when reconciling a lost
# answer (clock skew between us and Telnyx included).
_RECONCILE_WINDOW_SECONDS = 600


class CommentsMixin(Endpoints):
    def list_comments(self, record_type: str, record_id: str) -> list[Comment]:
        """GET /comments (ListComments) for one record; both filters are always sent."""
        return list(
            self._iter(
                Comment,
                "comments",
                {"comment_record_type": record_type, "comment_record_id": record_id},
                style="undeclared",
            )
        )

    def create_comment(self, record_type: str, record_id: str, body: str) -> Comment:
        """POST /comments (CreateComment). After an ambiguous failure, a comment of ours with
        the same body on the same record, posted in the last few minutes, is adopted instead of
        posting it twice."""
        if not body or not body.strip():
            raise ValueError("a comment needs a body")
        started = time.time()
        payload = {
            "body": body,
            "comment_record_type": record_type,
            "comment_record_id": str(record_id),
        }

        def send() -> Comment:
            return self._one(Comment, "POST", "comments", json=payload, retry=False)

        def lookup() -> Comment | None:
            matches = [
                c
                for c in self.list_comments(record_type, record_id)
                if c.body == body
                and c.commenter_type != "admin"
                and (
                    c.created_at is None
                    or c.created_at.timestamp() >= started - _RECONCILE_WINDOW_SECONDS
                )
            ]
            return matches[-1] if matches else None

        return self._create(what="comment", send=send, lookup=lookup, reference=None)

    def get_comment(self, id: str) -> Comment:
        """GET /comments/{id} (RetrieveComment)."""
        return self._one(Comment, "GET", f"comments/{seg(id)}")

    def mark_comment_read(self, id: str) -> Comment:
        """PATCH /comments/{id}/read (MarkCommentRead); sets read_at, safe to repeat."""
        return self._one(Comment, "PATCH", f"comments/{seg(id)}/read")
