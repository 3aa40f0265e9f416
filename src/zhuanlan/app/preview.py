"""预览: the next issue of a column as every channel it uses would send it now — the
e-mail made by the e-mail channel (``channels.email.IssueMail``), each group robot's
messages from the robot's own ``messages``, each app's message from the app's own
payload builder — never a copy of their content, so the preview changes with them.

发送测试给我: the same e-mail and app messages sent to the staff user's own address and
app ids (``Staff.test_addresses``), recorded in ``test_sends`` (never the outbox) and
audited. Group robots are never sent a test: the whole group would get it."""

from __future__ import annotations

import email
import email.policy
import json
from dataclasses import dataclass, field
from typing import Any

from zhuanlan.channels import dingtalk, dingtalk_app, feishu, feishu_app, wecom, wecom_app
from zhuanlan.channels.apps import APP_KINDS, app_from_config
from zhuanlan.channels.chat import channel_from_config
from zhuanlan.channels.email import IssueMail, Recipient, SmtpSender
from zhuanlan.errors import ConfigError, DeliveryError, RuleError, ZhuanlanError
from zhuanlan.jobs.app_delivery import app_login_url
from zhuanlan.jobs.chat_delivery import failure_reason, guarded_client
from zhuanlan.jobs.context import Context
from zhuanlan.model import APP_ID_FIELDS, APP_NAMES, IssueView
from zhuanlan.store import audit
from zhuanlan.store import test_sends as test_store
from zhuanlan.store.columns import column_by_slug
from zhuanlan.store.issues import draft_view
from zhuanlan.store.targets import column_target_rows

# The platform's limit on the text a message carries, in UTF-8 bytes, by target kind:
# the channel modules pack or split within these.
LIMITS = {"wecom": wecom.MARKDOWN_MAX_BYTES, "dingtalk": dingtalk.MARKDOWN_MAX_BYTES,
          "feishu": feishu.BODY_MAX_BYTES, "wecom_app": wecom_app.DESCRIPTION_MAX_BYTES,
          "dingtalk_app": dingtalk_app.MARKDOWN_MAX_BYTES,
          "feishu_app": feishu_app.TEXT_MAX_BYTES}
# Who the preview's e-mail is addressed to when no address is given.
SAMPLE_ADDRESS = "preview@example.invalid"


@dataclass
class EmailPreview:
    subject: str
    html: str
    text: str
    size: int                 # bytes of the whole message


@dataclass
class TargetPreview:
    id: int
    name: str
    kind: str
    payloads: list[dict] = field(default_factory=list)
    limit: int | None = None
    error: str = ""           # the target's config cannot make a message (said, not raised)


@dataclass
class Preview:
    issue: IssueView
    email: EmailPreview | None
    targets: list[TargetPreview]


def email_message(ctx: Context, view: IssueView, to: str, name: str = ""):
    """The issue's e-mail to ``to``, made by the e-mail channel (``Outgoing``)."""
    mail = IssueMail(view, issue_id=0, sender=ctx.cfg["smtp.sender"], tz=ctx.tz)
    return mail.for_recipient(Recipient(0, to, name, 0, view.column_slug))


def email_of(ctx: Context, view: IssueView, *, to: str = SAMPLE_ADDRESS,
             name: str = "") -> EmailPreview:
    """The issue's e-mail as the e-mail channel makes it, read back into its parts."""
    out = email_message(ctx, view, to, name)
    msg = email.message_from_bytes(out.data, policy=email.policy.default)
    html = msg.get_body(("html",))
    text = msg.get_body(("plain",))
    return EmailPreview(subject=str(msg["Subject"] or ""),
                        html=html.get_content() if html is not None else "",
                        text=text.get_content() if text is not None else "",
                        size=len(out.data))


def app_payload(app: Any, view: IssueView, url: str, user_ids: list[str]) -> dict:
    """The message an app sends to ``user_ids``, built by the app's own function."""
    if hasattr(app, "payload"):
        return app.payload(user_ids, view, url)
    return app.card(view, url)


def target_payloads(ctx: Context, row: Any, view: IssueView) -> TargetPreview:
    out = TargetPreview(row.id, row.name, row.kind, limit=LIMITS.get(row.kind))
    try:
        cfg = json.loads(row.config)
        if row.kind in APP_KINDS:
            app = app_from_config(cfg)
            try:
                url = app_login_url(ctx.cfg.base_url, row.id, view.web_url)
                out.payloads = [app_payload(app, view, url, ["（收件人）"])]
            finally:
                app.close()
        else:
            channel = channel_from_config(cfg)
            try:
                out.payloads = channel.messages(view, lambda item: item.web_url, tz=ctx.tz)
            finally:
                getattr(channel, "close", lambda: None)()
    except (ConfigError, DeliveryError, ValueError) as exc:
        out.error = getattr(exc, "message", None) or str(exc)
    return out


class Previews:
    """``zl.previews``: the next issue of a column, channel by channel; ``tests`` sends
    it to the staff user's own accounts."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.tests = TestSends(ctx)

    def next_issue(self, slug: str) -> Preview:
        """Raises NotFoundError for an unknown column."""
        with self.ctx.db.read() as conn:
            column = column_by_slug(conn, slug)
            view = draft_view(conn, column["id"], self.ctx.cfg.base_url, self.ctx.clock())
            rows = column_target_rows(conn, column["id"])
        return Preview(issue=view, email=email_of(self.ctx, view),
                       targets=[target_payloads(self.ctx, r, view) for r in rows])


@dataclass
class TestSend:
    channel: str              # "email" or the app's kind
    name: str                 # 电子邮件, or the app target's name
    recipient: str
    ok: bool
    error: str = ""           # in Chinese; the technical detail after a line break


def _reason(exc: Exception) -> str:
    if isinstance(exc, ZhuanlanError):
        return failure_reason(exc)
    return f"网络错误：{type(exc).__name__}: {exc}"


class TestSends:
    """发送测试给我, on ``zl.previews``."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def send(self, slug: str, username: str, addresses: dict[str, str]) -> list[TestSend]:
        """Send the column's next issue, as it will go, to ``addresses`` (``email`` and
        the app ids of ``Staff.test_addresses``): the e-mail, and one message through
        each enabled app of the column the user has an id in. Every outcome is recorded
        apart from the outbox and audited. Raises RuleError when there is nothing to
        send or nowhere to send it."""
        ctx = self.ctx
        now = ctx.clock()
        with ctx.db.read() as conn:
            column = column_by_slug(conn, slug)
            view = draft_view(conn, column["id"], ctx.cfg.base_url, now)
            apps = [r for r in column_target_rows(conn, column["id"]) if r.kind in APP_KINDS]
        if not view.items:
            raise RuleError("没有已通过的稿件，下一期为空，无法发送测试", resource=slug)
        results: list[tuple[TestSend, int | None]] = []
        if addresses.get("email"):
            results.append((self._email(view, addresses["email"], username), None))
        for row in apps:
            user_id = addresses.get(APP_ID_FIELDS[row.kind]) or ""
            if user_id:
                results.append((self._app(row, view, user_id), row.id))
        if not results:
            raise RuleError("还没有设置测试收件地址（邮箱或本专栏所用应用的账号），"
                            "请先到“我的账号”填写", resource=username)
        with ctx.db.write() as conn:
            for r, target_id in results:
                test_store.record(conn, column_id=column["id"], issue_number=view.number,
                                  by=username, channel=r.channel, target_id=target_id,
                                  recipient=r.recipient, ok=r.ok, error=r.error or None,
                                  now=now)
            audit.record(conn, username, "test_send", f"column {slug}", "；".join(
                f"{r.name} → {r.recipient}：{'成功' if r.ok else '失败'}" for r, _t in results),
                at=now)
        return [r for r, _t in results]

    def _email(self, view: IssueView, to: str, username: str) -> TestSend:
        try:
            out = email_message(self.ctx, view, to, username)
            with SmtpSender.from_config(self.ctx.cfg) as smtp:
                smtp.send_raw(out)
        except (DeliveryError, ConfigError, OSError) as exc:
            return TestSend("email", "电子邮件", to, False, _reason(exc))
        return TestSend("email", "电子邮件", to, True)

    def _app(self, row: Any, view: IssueView, user_id: str) -> TestSend:
        name = row.name or APP_NAMES.get(row.kind, row.kind)
        try:
            with guarded_client(self.ctx.cfg) as http:
                app = app_from_config(json.loads(row.config), client=http,
                                      where=f"应用“{row.name}”")
                try:
                    url = app_login_url(self.ctx.cfg.base_url, row.id, view.web_url)
                    result = app.send_batch([user_id], view, url)
                finally:
                    app.close()
        except (ZhuanlanError, ValueError, OSError) as exc:
            return TestSend(row.kind, name, user_id, False, _reason(exc))
        if user_id in result.failed:
            return TestSend(row.kind, name, user_id, False, result.failed[user_id])
        return TestSend(row.kind, name, user_id, True)

    def recent(self, slug: str) -> list[dict]:
        """The column's last test sends, newest first."""
        with self.ctx.db.read() as conn:
            return test_store.recent(conn, column_by_slug(conn, slug)["id"])
