"""Chat targets (推送渠道): the group robots and webhook endpoints an organization pushes
its issues to, and which columns push to which target.

Reached through the facade as ``zl.targets``. A target's settings are checked with
``channel_from_config`` before they are saved, so the worker never meets one it cannot
build; secrets are stored (the worker needs them) but never shown: listings carry the
endpoint with its key/token masked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from zhuanlan.channels.apps import APP_KINDS, app_from_config
from zhuanlan.channels.chat import KINDS, ChannelError, channel_from_config, mask_url, send_issue
from zhuanlan.errors import ConfigError, ZhuanlanError
from zhuanlan.jobs.context import Context
from zhuanlan.model import IssueView
from zhuanlan.store import audit
from zhuanlan.store import targets as store
from zhuanlan.store.columns import column_by_slug

KIND_NAMES = {"wecom": "企业微信群机器人", "dingtalk": "钉钉群机器人", "feishu": "飞书群机器人",
              "webhook": "Webhook", "wecom_app": "企业微信应用（发给个人）",
              "dingtalk_app": "钉钉工作通知（发给个人）", "feishu_app": "飞书应用（发给个人）"}
ALL_KINDS = (*KINDS, *APP_KINDS)
# What an administrator copies from each platform's console → the platform's own names.
APP_FIELDS = {
    "wecom_app": {"app_id": "corpid", "app_secret": "corpsecret", "agent_id": "agentid"},
    "dingtalk_app": {"app_id": "appkey", "app_secret": "appsecret", "agent_id": "agent_id",
                     "corpid": "corpid"},
    "feishu_app": {"app_id": "app_id", "app_secret": "app_secret"},
}


# The addresses of a platform's APIs and login page, for 私有化部署 or a proxy.
APP_BASES = {"wecom_app": ("api_base", "oauth_base"),
             "dingtalk_app": ("api_base", "new_api_base", "oauth_base"),
             "feishu_app": ("api_base", "oauth_base")}


def app_config(kind: str, *, api_base: str | None = None, **given: str | None) -> dict:
    """An app's settings from the fields of the form or the CLI (``app_id``,
    ``app_secret``, ``agent_id``, ``corpid``), named as the platform names them;
    ``api_base`` sends every call and the login through one address instead of the
    platform's public ones."""
    cfg = {ours: (given.get(field) or "").strip()
           for field, ours in APP_FIELDS.get(kind, {}).items()}
    if api_base:
        cfg.update(dict.fromkeys(APP_BASES.get(kind, ()), api_base.strip()))
    return cfg
TEST_TEXT = "测试消息"


@dataclass
class TestResult:
    ok: bool
    message: str


class ChannelTargets:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _column(self, slug: str) -> dict:
        with self.ctx.db.read() as conn:
            return column_by_slug(conn, slug)

    # -- reading ---------------------------------------------------------------------

    def all(self) -> list[dict]:
        """Every target, with its masked endpoint and the slugs of its columns."""
        with self.ctx.db.read() as conn:
            rows = store.target_rows(conn)
            assigned = store.assignments(conn)
        return [self._public(r, assigned.get(r.id, [])) for r in rows]

    def get(self, target: int | str) -> dict:
        """One target by id or name (its config included, secrets and all)."""
        with self.ctx.db.read() as conn:
            row = store.target_row(conn, target)
            cols = store.columns_of(conn, row.id)
        out = self._public(row, cols)
        out["config"] = json.loads(row.config)
        return out

    def of_column(self, slug: str) -> list[dict]:
        """The targets the column pushes to."""
        self._column(slug)
        return [t for t in self.all() if any(c["slug"] == slug for c in t["columns"])]

    @staticmethod
    def _public(row: Any, cols: list[dict]) -> dict:
        try:
            cfg = json.loads(row.config)
            url = cfg.get("url") or ""
            if row.kind in APP_KINDS:     # no secret in it: the app's API and its id
                url = app_from_config(cfg).endpoint
        except (ValueError, AttributeError, ZhuanlanError):
            url = ""
        return {"id": row.id, "name": row.name, "kind": row.kind,
                "kind_name": KIND_NAMES.get(row.kind, row.kind), "personal": row.kind in APP_KINDS,
                "endpoint": mask_url(url) if url and row.kind not in APP_KINDS else url,
                "enabled": bool(row.enabled),
                "created_at": row.created_at, "updated_at": row.updated_at,
                "last_error": row.last_error, "last_success_at": row.last_success_at,
                "columns": cols}

    # -- changing --------------------------------------------------------------------

    @staticmethod
    def check(kind: str, config: dict) -> dict:
        """The config to store: ``kind`` set, empty values dropped, validated by building
        the channel (ConfigError naming the key when it is wrong)."""
        if kind not in ALL_KINDS:
            raise ConfigError("kind",
                              f"未知的推送渠道类型“{kind}”（可用：{'、'.join(ALL_KINDS)}）")
        cfg = {k: v.strip() if isinstance(v, str) else v for k, v in config.items()
               if v not in (None, "") and k != "kind"}
        cfg = {"kind": kind, **cfg}
        if kind in APP_KINDS:
            app_from_config(cfg, where="target").close()     # raises ConfigError
        else:
            channel_from_config(cfg, where="target")       # raises ConfigError
        return cfg

    def add(self, name: str, kind: str, config: dict, *, enabled: bool = True,
            columns_: Iterable[str] = (), by: str = "admin") -> int:
        name = " ".join((name or "").split())
        if not name or len(name) > 100:
            raise ConfigError("name", "名称不能为空，最多 100 个字符")
        cfg = self.check(kind, config)
        column_ids = [self._column(slug)["id"] for slug in columns_]
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            target_id = store.insert_target(
                conn, name=name, kind=kind, config=json.dumps(cfg, ensure_ascii=False),
                enabled=enabled, created_at=now, updated_at=now)
            for cid in column_ids:
                store.assign(conn, target_id, cid)
            audit.record(conn, by, "target.add", f"target {name}",
                         f"{kind} {mask_url(cfg.get('url', '')) if 'url' in cfg else ''}"
                         + (f" columns {','.join(columns_)}" if column_ids else ""), at=now)
        return target_id

    def set_enabled(self, target: int | str, enabled: bool, *, by: str = "admin") -> None:
        t = self.get(target)
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            store.update_target(conn, t["id"], enabled=enabled, updated_at=now)
            audit.record(conn, by, "target.enable" if enabled else "target.disable",
                         f"target {t['name']}", at=now)

    def delete(self, target: int | str, *, by: str = "admin") -> None:
        """Remove the target; its outbox rows go with it (their report too)."""
        t = self.get(target)
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            store.delete_target(conn, t["id"])
            audit.record(conn, by, "target.delete", f"target {t['name']}", t["kind"], at=now)

    def assign(self, target: int | str, slug: str, *, by: str = "admin") -> bool:
        """Make the column push to the target. False when it already does."""
        t = self.get(target)
        column_id = self._column(slug)["id"]
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            if not store.assign(conn, t["id"], column_id):
                return False
            audit.record(conn, by, "target.assign", f"target {t['name']}", f"column {slug}",
                         at=now)
        return True

    def unassign(self, target: int | str, slug: str, *, by: str = "admin") -> bool:
        t = self.get(target)
        column_id = self._column(slug)["id"]
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            gone = store.unassign(conn, t["id"], column_id)
            if gone:
                audit.record(conn, by, "target.unassign", f"target {t['name']}",
                             f"column {slug}", at=now)
        return bool(gone)

    # -- trying a target -------------------------------------------------------------

    def test(self, target: int | str, *, by: str = "admin") -> TestResult:
        """Send a small test message to the target now (not an outbox row); record the
        result as the target's health. Through the SSRF-guarded client."""
        from zhuanlan.jobs.chat_delivery import failure_reason, guarded_client
        t = self.get(target)
        now = self.ctx.clock()
        issue = IssueView(
            column_name=TEST_TEXT, column_slug="test", number=1, title=TEST_TEXT,
            editor_note=f"这是一条{TEST_TEXT}：推送渠道“{t['name']}”已配置成功，专栏各期将推送到这里。",
            web_url=self.ctx.cfg.base_url,
            published_at=now if now.tzinfo else now.replace(tzinfo=UTC), items=())
        if t["kind"] in APP_KINDS:
            return self._test_app(t, now, by)
        try:
            with guarded_client(self.ctx.cfg) as http:
                channel = channel_from_config(t["config"], client=http,
                                              where=f"推送渠道“{t['name']}”")
                channel.max_wait = min(channel.max_wait, 5.0)
                send_issue(channel, issue, tz=self.ctx.tz, delivery_id=f"test-{t['id']}")
        except (ChannelError, ZhuanlanError) as exc:
            result = TestResult(False, failure_reason(exc))
        else:
            result = TestResult(True, "测试消息已发送成功")
        return self._record_test(t, result, now, by)

    def _test_app(self, t: dict, now: Any, by: str) -> TestResult:
        """An app is tried by getting its access token: that proves the id, the secret
        and the network path without messaging anyone."""
        from zhuanlan.jobs.chat_delivery import failure_reason, guarded_client
        try:
            with guarded_client(self.ctx.cfg) as http:
                app = app_from_config(t["config"], client=http, where=f"应用“{t['name']}”")
                try:
                    app.check()
                finally:
                    app.close()
        except (ChannelError, ZhuanlanError) as exc:
            result = TestResult(False, failure_reason(exc))
        else:
            result = TestResult(True, "应用凭据有效：已取得访问令牌（没有给任何人发消息）")
        return self._record_test(t, result, now, by)

    def _record_test(self, t: dict, result: TestResult, now: Any, by: str) -> TestResult:
        """A test's outcome is the target's health, and audited."""
        with self.ctx.db.write() as conn:
            store.update_target(conn, t["id"], **(
                {"last_success_at": now, "last_error": None} if result.ok
                else {"last_error": result.message}))
            audit.record(conn, by, "target.test", f"target {t['name']}",
                         "ok" if result.ok else result.message[:500], at=now)
        return result
