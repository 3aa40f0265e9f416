"""The audit log as people read it: actions as Chinese verbs, objects by the names and
numbers the pages use (专栏“学习二十大”, 第1期, 《title》), the system as 系统.

Entries keep their machine form in the store (the API and scripts filter on
``action``); this adds ``action_name``, ``actor_name``, ``target_name`` and
``detail_text`` beside it. Entries written in Chinese already pass through unchanged.
"""

from __future__ import annotations

import re

from zhuanlan.store import audit as store

ACTIONS = {
    "login": "登录", "logout": "退出登录", "add_user": "添加账号", "update_user": "修改账号",
    "set_password": "修改密码", "end_sessions": "结束其他会话", "create_token": "创建 API 令牌",
    "revoke_token": "吊销 API 令牌",
    "approve": "通过", "reject": "不通过", "undo": "撤回到待审", "edit": "修改稿件",
    "move": "调整顺序", "story_representative": "选定代表稿", "story_split": "拆出同题报道",
    "publish": "发布", "editor_note": "保存编者按", "add_column": "新建专栏",
    "add_source": "添加信息源", "update_source": "修改信息源",
    "add_person": "添加人员", "activate_person": "启用人员", "deactivate_person": "停用人员",
    "import_people": "导入人员", "subscribe": "订阅", "remove_subscription": "取消订阅",
    "unsubscribe": "退订",
    "target.add": "添加推送渠道", "target.assign": "渠道分配给专栏",
    "target.unassign": "渠道取消分配", "target.delete": "删除推送渠道",
    "target.enable": "启用推送渠道", "target.disable": "停用推送渠道",
    "target.test": "测试推送渠道",
    "deliveries.retry": "重试失败的推送", "issue.remind": "催学", "column.deadline": "设置学习期限",
    "undo_step": "撤销上一步", "poll": "立即抓取", "edit_source": "修改信息源",
    "column.min_read": "设置最短阅读时间", "test_send": "发送测试给自己",
    "stats.rebuild": "重建统计汇总",
    "set_test_addresses": "设置测试收件地址",
    "delete_source": "删除信息源", "edit_person": "修改人员", "edit_column": "修改专栏",
    "archive_column": "归档专栏", "unarchive_column": "恢复专栏",
    "reflection.excellent": "评为优秀心得", "reflection.unexcellent": "取消优秀心得",
    "reflection.hide": "隐藏学习心得", "reflection.unhide": "恢复学习心得",
    "reflection.feature": "选登学习心得", "reflection.unfeature": "取消选登学习心得",
    "quiz.propose": "生成题目", "quiz.add": "添加题目", "quiz.edit": "修改题目",
    "quiz.keep": "保留题目", "quiz.drop": "删除题目", "quiz.restore": "恢复题目",
    "quiz.move": "调整题目顺序",
    "ledger.export": "导出学习台账", "ledger.summary_export": "导出学习汇总",
}
# "admin" and "editor" are also the facade's defaults, but may be real account names.
ACTORS = {"auto": "系统（自动）", "unknown": "系统", "cli": "命令行", "system": "系统"}
KINDS = {"column": "专栏", "source": "信息源", "subscriber": "人员", "user": "账号",
         "target": "推送渠道", "token": "API 令牌", "story": "同题报道", "candidate": "稿件",
         "issue": "期"}

_TARGET = re.compile(r"^([a-z_]+) (.+)$")
_ISSUE_BY_NUMBER = re.compile(r"^issue (\S+) #(\d+)$")
_ISSUE_ID = re.compile(r"\bissue (\d+)\b")


def readable(conn, entries: list[dict]) -> list[dict]:
    """``entries`` with the readable fields added (two or three small lookups)."""
    wanted: dict[str, set] = {}
    for e in entries:
        m = _TARGET.match(e.get("target") or "")
        if m and m.group(1) in ("column", "candidate", "source", "subscriber", "issue"):
            wanted.setdefault(m.group(1), set()).add(m.group(2))
        if (n := _ISSUE_BY_NUMBER.match(e.get("target") or "")):
            wanted.setdefault("column", set()).add(n.group(1))
        for i in _ISSUE_ID.findall(e.get("detail") or ""):
            wanted.setdefault("issue", set()).add(i)
    names = store.labels(conn, wanted) if wanted else {}
    return [{**e, "action_name": ACTIONS.get(e["action"], e["action"]),
             "actor_name": ACTORS.get(e["actor"], e["actor"]),
             "target_name": _target(e.get("target") or "", names),
             "detail_text": _ISSUE_ID.sub(lambda m: _issue(m.group(1), names),
                                          e.get("detail") or "")}
            for e in entries]


def _issue(issue_id: str, names: dict) -> str:
    found = names.get(("issue", issue_id))
    return f"{found['column']} 第{found['number']}期" if found else f"第？期（编号 {issue_id}）"


def _target(target: str, names: dict) -> str:
    if (n := _ISSUE_BY_NUMBER.match(target)):
        column = names.get(("column", n.group(1)), {}).get("name", n.group(1))
        return f"{column} 第{n.group(2)}期"
    m = _TARGET.match(target)
    if not m or m.group(1) not in KINDS:
        return target
    kind, key = m.groups()
    found = names.get((kind, key))
    if kind == "issue":
        return _issue(key, names)
    if kind == "candidate":
        return f"《{found['title']}》" if found else f"稿件（编号 {key}，已删除）"
    if found:
        return f"{KINDS[kind]}“{found['name']}”"
    if kind in ("user", "target"):
        return f"{KINDS[kind]}“{key}”"
    return f"{KINDS[kind]}（编号 {key}）" if key.isdigit() else f"{KINDS[kind]}“{key}”"
