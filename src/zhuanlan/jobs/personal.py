"""The per-person parts of a push: the personal reader link (no password: the signed
token says who reads), the one-click unsubscribe link, and the greeting. The e-mail job
fills them into each message; the people pages read unsubscribe tokens back."""

from __future__ import annotations

from urllib.parse import quote

from zhuanlan.errors import NotFoundError
from zhuanlan.jobs.context import Context
from zhuanlan.links import READER, UNSUBSCRIBE
from zhuanlan.store.columns import column_by_slug

_CACHE_MAX = 100_000


class PersonalLinks:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._tokens: dict[int, str] = {}
        self._column_ids: dict[str, int] = {}

    def reader_link(self, subscriber_id: int, path: str) -> str:
        """The personal link that makes the reader known, then opens ``path``."""
        token = self._tokens.get(subscriber_id)
        if token is None:
            if len(self._tokens) > _CACHE_MAX:
                self._tokens.clear()
            token = self._tokens[subscriber_id] = self.ctx.links.sign(READER, {"s": subscriber_id})
        return f"{self.ctx.cfg.base_url}/r/{token}?next={quote(path, safe='')}"

    def unsubscribe_token(self, subscriber_id: int, column_id: int) -> str:
        return self.ctx.links.sign(UNSUBSCRIBE, {"s": subscriber_id, "c": column_id})

    def unsubscribe_url(self, subscriber_id: int, column_id: int) -> str:
        """The absolute one-click unsubscribe link for a person and a column (for the
        e-mail's footer and its List-Unsubscribe header)."""
        return f"{self.ctx.cfg.base_url}/u/{self.unsubscribe_token(subscriber_id, column_id)}"

    # -- what the e-mail job asks for, per recipient ----------------------------------

    def email_reader_url(self, recipient, article_id: int) -> str:
        return self.reader_link(recipient.id, f"/a/{article_id}?i={recipient.issue_id}")

    def email_unsubscribe_url(self, recipient) -> str | None:
        column_id = self._column_ids.get(recipient.column_slug)
        if column_id is None:
            try:
                with self.ctx.db.read() as conn:
                    column_id = column_by_slug(conn, recipient.column_slug)["id"]
            except NotFoundError:
                return None
            self._column_ids[recipient.column_slug] = column_id
        return self.unsubscribe_url(recipient.id, column_id)

    @staticmethod
    def email_greeting(recipient) -> str | None:
        return f"{recipient.name}，您好：" if recipient.name else None
