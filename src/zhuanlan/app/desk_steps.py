"""撤销上一步 on the editor's desk (``zl.desk.steps``): what each editor did last on a
column — a decision, a bulk decision, a move in the next issue's order, a saved 编者按 —
kept in the store with what it was before, and undone exactly, all at once.

Only the last step of each editor on each column is kept (the next step replaces it; an
undo removes it). An undo is refused when what the step changed has changed since: the
item was decided again, moved, published in an issue, or the note saved again or sent
out with an issue. The learner is not untrained: the editor's later decisions correct it.
"""

from __future__ import annotations

from datetime import datetime

from zhuanlan.errors import InvalidTransition
from zhuanlan.jobs.context import Context
from zhuanlan.model import CandidateState
from zhuanlan.store import audit
from zhuanlan.store import candidates as candidate_store
from zhuanlan.store import desk_steps as store
from zhuanlan.store.columns import column_by_slug, update_column
from zhuanlan.store.issues import approved_in_order

VERBS = {"approve": "通过", "reject": "退回", "undo": "撤回待审"}
STATE_NAMES = {"pending": "待审", "approved": "已通过", "rejected": "已退回",
               "published": "已发布"}
NOTHING = "没有可撤销的操作"


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def title_of(row) -> str:
    return (row.title_override or row.title or "").strip()[:60]


def decision(candidate_id: int, row, new: str) -> dict:
    """One decided item of a step: the candidate as it was (``row``, from
    ``candidate_store.for_decision``) and the state it was moved to."""
    return {"id": candidate_id, "title": title_of(row), "after": new,
            "before": {"state": row.state, "decided_at": _iso(row.decided_at),
                       "decided_by": row.decided_by, "position": row.position}}


def keep_decisions(conn, column_id: int, by: str, action: str, items: list[dict],
                   at: datetime, *, bulk: bool) -> str:
    """Keep a decision (or a bulk decision) as ``by``'s last step; returns its label."""
    verb = VERBS[action]
    label = f"批量{verb} {len(items)} 篇" if bulk else f"{verb}《{items[0]['title']}》"
    store.keep(conn, column_id, by, "decide", label, {"items": items}, at)
    return label


def keep_move(conn, column_id: int, by: str, label: str, moved: int,
              before: dict[int, int | None], order_after: list[int], at: datetime) -> None:
    store.keep(conn, column_id, by, "move", label,
               {"moved": moved, "positions": {str(k): v for k, v in before.items()},
                "order": order_after}, at)


def keep_note(conn, column_id: int, by: str, before: str, before_at: datetime | None,
              after: str, at: datetime) -> None:
    store.keep(conn, column_id, by, "note", "保存编者按",
               {"before": before, "before_at": _iso(before_at), "after": after,
                "issues": store.issue_count(conn, column_id)}, at)


class DeskSteps:
    def __init__(self, ctx: Context) -> None:
        self.db = ctx.db
        self.clock = ctx.clock

    def last(self, slug: str, by: str) -> dict | None:
        """``by``'s last step on the column (``kind``, ``label``, ``created_at``), or None."""
        with self.db.read() as conn:
            step = store.last(conn, column_by_slug(conn, slug)["id"], by)
        if step is None:
            return None
        return {"kind": step["kind"], "label": step["label"], "created_at": step["created_at"]}

    def undo(self, slug: str, by: str) -> dict:
        """Undo ``by``'s last step on the column, all of it or nothing. Returns ``label``
        (what was undone) and ``focus`` (a candidate to show, or None). Audited as
        ``undo_step`` (撤销：…).

        Raises InvalidTransition with the reason (zh-CN) when there is nothing to undo
        or what the step changed has changed since."""
        with self.db.write() as conn:
            col = column_by_slug(conn, slug)
            step = store.last(conn, col["id"], by)
            if step is None:
                raise InvalidTransition(NOTHING, resource=f"column {slug}")
            undo = {"decide": self._decisions, "move": self._move,
                    "note": self._note}[step["kind"]]
            focus = undo(conn, col, step["payload"])
            if not store.drop(conn, step["id"]):
                raise InvalidTransition(NOTHING, resource=f"column {slug}")
            audit.record(conn, by, "undo_step", f"column {slug}", f"撤销：{step['label']}",
                         at=self.clock())
        return {"label": step["label"], "focus": focus}

    @staticmethod
    def _decisions(conn, col: dict, payload: dict) -> int | None:
        items = payload["items"]
        now = store.candidate_states(conn, [i["id"] for i in items])
        for item in items:
            cur = now.get(item["id"])
            if cur is None or cur["column_id"] != col["id"]:
                raise InvalidTransition(f"《{item['title']}》已不在本栏目，无法撤销")
            if cur["state"] == CandidateState.PUBLISHED.value:
                raise InvalidTransition(
                    f"《{item['title']}》已在第 {cur['issue_number']} 期发布，无法撤销")
            if cur["state"] != item["after"]:
                raise InvalidTransition(
                    f"《{item['title']}》此后已改为{STATE_NAMES.get(cur['state'], cur['state'])}，无法撤销")
        for item in items:
            before = item["before"]
            candidate_store.update_candidate(
                conn, item["id"], state=before["state"],
                decided_at=_when(before["decided_at"]), decided_by=before["decided_by"],
                position=before["position"])
        return items[0]["id"] if items else None

    @staticmethod
    def _move(conn, col: dict, payload: dict) -> int | None:
        order = [r["candidate_id"] for r in approved_in_order(conn, col["id"], limit=None)]
        if order != payload["order"]:
            raise InvalidTransition("下一期的稿件或顺序此后已有变动，无法撤销")
        positions = {int(k): v for k, v in payload["positions"].items()}
        for cid, position in positions.items():
            candidate_store.update_candidate(conn, cid, position=position)
        moved = payload.get("moved")
        return int(moved) if moved else None

    @staticmethod
    def _note(conn, col: dict, payload: dict) -> None:
        if store.issue_count(conn, col["id"]) != payload["issues"]:
            raise InvalidTransition("编者按已随一期发布，无法撤销")
        if col["editor_note"] != payload["after"]:
            raise InvalidTransition("编者按此后已再次修改，无法撤销")
        update_column(conn, col["id"], editor_note=payload["before"],
                      editor_note_at=_when(payload["before_at"]))
        return None
