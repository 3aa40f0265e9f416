"""What the two senders of the outbox share — e-mail (``jobs.delivery``: many recipients
over pooled SMTP connections) and chat targets (``jobs.chat_delivery``: one group or
webhook at a time, in several messages): the rows are claimed and their outcomes recorded
in ``store.outbox`` under a lease, and a failed row is retried by one rule.

The send loops stay two because the work differs: an e-mail is one message per person
pushed through a thread pool with batched recording (``bench/push.py``: ~1,000
messages/s), a chat push is a few messages per group that must resume after the parts
already accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from zhuanlan.backoff import retry_in
from zhuanlan.model import IssueView

RUN_SECONDS = 120.0        # one call sends for at most this long, then lets other jobs run


@dataclass(frozen=True)
class RetryPolicy:
    """How often a row is tried and how long it waits between tries."""
    max_attempts: int
    base: float            # seconds before the second try (then doubling, jittered)
    cap: float

    def next_attempt(self, attempts: int, *, permanent: bool, now: datetime,
                     retry_after: float | None = None) -> datetime | None:
        """When to try a row again that has now failed ``attempts`` times; None when it
        failed for good (a permanent error, or the last attempt)."""
        if permanent or attempts >= self.max_attempts:
            return None
        return now + retry_in(attempts, base=self.base, cap=self.cap, retry_after=retry_after)


EMAIL = RetryPolicy(max_attempts=8, base=30.0, cap=3600.0)
# A robot throttled or down for a while: fewer, later tries.
CHAT = RetryPolicy(max_attempts=8, base=60.0, cap=6 * 3600.0)


def reminder_view(view: IssueView) -> IssueView:
    """A 催学 reminder of an issue: the same items (each still a link to read), a title
    and a line that say what is asked."""
    # Both prefixed: the chat cards head with the column's name, the e-mail's subject is
    # the title, and a card leaves out a title that repeats its head.
    return replace(view, column_name=f"学习提醒：{view.column_name}",
                   title=f"学习提醒：{view.title}",
                   editor_note=f"您还没有完成《{view.title}》的学习，请抽空阅读，"
                               f"读完每篇后点“我已学习”。")
