"""学习心得: a reader's reflection on an issue (one per person and issue, theirs to change
until the editor acted on it), the editor's list per issue (优秀, hide with a reason,
选登 for the column's next issue), the author's answer when asked whether their name may
be shown, and a person's reflections for their record.

Only the author and staff see a reflection, until an issue carries it as 学习心得选登:
then everyone who reads that issue does, with the author's name and department — which
needs the author's 同意 unless the column's rule (``reflection_names``) shows names."""

from __future__ import annotations

from zhuanlan.errors import InvalidTransition, NotFoundError, PermissionDenied, RuleError
from zhuanlan.jobs.context import Context
from zhuanlan.store import reflections as store
from zhuanlan.store.audit import record as audit
from zhuanlan.store.columns import column_by_slug, issue_id_by_number
from zhuanlan.study.records import Reader
from zhuanlan.study.reflection import check_length, clean_body, editable

# The editor's actions: (the flag it sets, its value, the audit action, the line the
# page says afterwards).
ACTIONS = {
    "excellent": ("excellent", True, "reflection.excellent", "已评为优秀"),
    "unexcellent": ("excellent", False, "reflection.unexcellent", "已取消优秀"),
    "hide": ("hidden", True, "reflection.hide", "已隐藏"),
    "unhide": ("hidden", False, "reflection.unhide", "已恢复显示"),
    "feature": ("feature_column_id", True, "reflection.feature", "已选登到下一期"),
    "unfeature": ("feature_column_id", False, "reflection.unfeature", "已取消选登"),
}
MAX_REASON = 200


class Reflections:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- the reader ------------------------------------------------------------------

    def mine(self, reader: Reader, issue_id: int) -> dict | None:
        """The reader's reflection on the issue with ``editable``, or None (anonymous
        readers have none)."""
        if reader.subscriber_id is None:
            return None
        with self.ctx.db.read() as conn:
            row = store.mine(conn, issue_id, reader.subscriber_id)
        return {**row, "editable": editable(row)} if row else None

    def submit(self, reader: Reader, issue_id: int, text: str) -> bool:
        """Keep the reader's reflection (cleaned to plain text); True when it was new,
        False when it replaced their earlier one. Raises PermissionDenied (an anonymous
        reader), RuleError (too short or too long: the message says so),
        InvalidTransition (the editor acted on it already)."""
        if reader.subscriber_id is None:
            raise PermissionDenied("请从推送给您的个人链接打开本期，再提交学习心得",
                                   resource="reflection")
        body = clean_body(text)
        check_length(body)
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            row = store.mine(conn, issue_id, reader.subscriber_id)
            if row is None:
                store.insert(conn, issue_id, reader.subscriber_id, body, now)
                return True
            if not editable(row):
                raise InvalidTransition("编辑部已处理您的心得，不能再修改",
                                        resource=f"reflection {row['id']}")
            store.change(conn, row["id"], body=body, updated_at=now)
            return False

    def answer(self, reader: Reader, reflection_id: int, agree: bool) -> None:
        """The author's answer to "may we show it with your name?". Raises NotFoundError
        (not theirs — the same as none), InvalidTransition (nothing is asked)."""
        with self.ctx.db.write() as conn:
            row = store.by_id(conn, reflection_id)
            if row is None or reader.subscriber_id != row["subscriber_id"]:
                raise NotFoundError("没有这篇心得", resource=f"reflection {reflection_id}")
            if row["consent"] != "asked" or row["feature_column_id"] is None \
                    or row["featured_issue_id"] is not None:
                raise InvalidTransition("编辑部没有在等待您对这篇心得的答复",
                                        resource=f"reflection {reflection_id}")
            store.change(conn, reflection_id, consent="granted" if agree else "refused")

    def asked(self, reader: Reader) -> list[dict]:
        """The reader's reflections whose 选登 waits for their answer."""
        if reader.subscriber_id is None:
            return []
        with self.ctx.db.read() as conn:
            return store.asked_of(conn, reader.subscriber_id)

    # -- the editor ------------------------------------------------------------------

    def of_issue(self, slug: str, number: int) -> dict:
        """``column``, ``issue_id`` and the issue's ``reflections`` (each with its
        author's name and department). Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            column = column_by_slug(conn, slug)
            issue_id = issue_id_by_number(conn, column["id"], number, slug=slug)
            return {"column": column, "issue_id": issue_id,
                    "reflections": store.of_issue(conn, issue_id)}

    def act(self, slug: str, number: int, reflection_id: int, action: str, *, by: str,
            reason: str = "") -> str:
        """One of ``ACTIONS`` on a reflection of the issue; returns the line to say.
        Hiding needs a reason (kept in the audit log). 选登 asks the author first unless
        the column's rule shows names. Raises NotFoundError, RuleError,
        InvalidTransition."""
        if action not in ACTIONS:
            raise RuleError("未知的操作", resource="reflection")
        field, value, audit_action, said = ACTIONS[action]
        reason = " ".join(reason.split())[:MAX_REASON]
        if action == "hide" and not reason:
            raise RuleError("请填写隐藏的原因（记入操作日志）", resource="reflection")
        with self.ctx.db.write() as conn:
            column = column_by_slug(conn, slug)
            issue_id = issue_id_by_number(conn, column["id"], number, slug=slug)
            row = store.by_id(conn, reflection_id)
            if row is None or row["issue_id"] != issue_id:
                raise NotFoundError("这一期没有这篇心得", resource=f"reflection {reflection_id}")
            values = _values(row, field, value, column)
            store.change(conn, reflection_id, **values, marked_by=by)
            detail = f"心得 #{reflection_id}（{row['name']}）"
            if action == "hide":
                detail += f"，原因：{reason}"
            if values.get("consent") == "asked":
                detail += "，已征求作者同意署名"
            audit(conn, by, audit_action, f"issue {issue_id}", detail, at=self.ctx.clock())
        if values.get("consent") == "asked":
            said += "，已征求作者同意署名，同意后随下一期发布"
        return said

    # -- the person's record ---------------------------------------------------------

    def of_person(self, subscriber_id: int) -> list[dict]:
        with self.ctx.db.read() as conn:
            return store.of_person(conn, subscriber_id)

    def count_of_issue(self, issue_id: int) -> int:
        with self.ctx.db.read() as conn:
            return store.count_of_issue(conn, issue_id)


def _values(row: dict, field: str, value: bool, column: dict) -> dict:
    """The columns an action changes, or InvalidTransition when it cannot be done."""
    if field != "feature_column_id":
        if field == "hidden" and value and row["featured_issue_id"] is None:
            # A hidden reflection is not published: it leaves the next issue too.
            return {"hidden": True, "feature_column_id": None,
                    "consent": None if row["consent"] == "asked" else row["consent"]}
        return {field: value}
    if row["featured_issue_id"] is not None:
        raise InvalidTransition("这篇心得已随一期发布，不能再更改选登",
                                resource=f"reflection {row['id']}")
    if not value:
        return {"feature_column_id": None,
                "consent": None if row["consent"] == "asked" else row["consent"]}
    if row["hidden"]:
        raise InvalidTransition("已隐藏的心得不能选登", resource=f"reflection {row['id']}")
    if row["consent"] == "refused":
        raise InvalidTransition("作者不同意选登这篇心得", resource=f"reflection {row['id']}")
    consent = row["consent"]
    if not column["reflection_names"] and consent is None:
        consent = "asked"
    return {"feature_column_id": column["id"], "consent": consent}
