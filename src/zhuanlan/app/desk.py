"""The editor's desk, as a part of the facade (``zl.desk``): the review queue's filters
and sorts, one candidate for the preview page, the editor's title and summary for a
column, the order of the approved items, a preview of the next issue, and corrections of
the candidate's story (the copy to publish, a copy that is not the same article).

Permissions are the front end's business (``StaffUser.require_edit``); every method
that changes something takes ``column`` (a slug) so that a permission checked on the
column covers the candidate, like ``Zhuanlan.decide``, and ``by`` for the audit log.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from zhuanlan.app.desk_steps import DeskSteps, keep_move
from zhuanlan.editorial.assemble import summary_of
from zhuanlan.editorial.warnings import next_issue_warnings
from zhuanlan.errors import InvalidTransition, NotFoundError, RuleError
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.ingest import propose_stored
from zhuanlan.model import CandidateState
from zhuanlan.publish.schedule import next_run
from zhuanlan.store import audit
from zhuanlan.store import candidates as candidate_store
from zhuanlan.store import desk_steps as step_store
from zhuanlan.store import reflections as reflection_store
from zhuanlan.store import sources as source_store
from zhuanlan.store import stories as story_store
from zhuanlan.store.columns import column_by_slug
from zhuanlan.store.issues import ISSUE_LIMIT, approved_in_order
from zhuanlan.store.stories import pin_representative, split_out, story_copies

TITLE_MAX = 300
SUMMARY_MAX = 1000

# key: label (zh-CN). "order" is the next issue's order, for the approved tab.
SORTS = {
    "priority": "推荐顺序",
    "score": "得分",
    "newest": "最新",
    "oldest": "最早",
    "order": "本期顺序",
}


@dataclass(frozen=True)
class QueueQuery:
    """The review queue's filters and sort, as the page's GET parameters carry them."""

    outlet: str = ""                 # the outlet (source name); "" any
    q: str = ""                      # text in the title (the article's or the editor's)
    date_from: date | None = None    # the article's publish date, in the column's time zone
    date_to: date | None = None
    min_score: float | None = None
    has_others: bool = False         # only stories carried by other outlets too
    sort: str = ""                   # one of SORTS; "" the state's default

    KEYS = ("outlet", "q", "from", "to", "min_score", "others", "sort")

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueQuery:
        """Parse the GET parameters; a malformed value is ignored rather than refused
        (it is a filter box, not a form to correct)."""
        def day(value: str | None) -> date | None:
            try:
                return date.fromisoformat((value or "").strip()) if value else None
            except ValueError:
                return None
        try:
            min_score = float(params.get("min_score") or "") if params.get("min_score") else None
        except ValueError:
            min_score = None
        sort = params.get("sort") or ""
        return cls(outlet=(params.get("outlet") or "").strip()[:200],
                   q=(params.get("q") or "").strip()[:200],
                   date_from=day(params.get("from")), date_to=day(params.get("to")),
                   min_score=min_score, has_others=params.get("others") in ("1", "on", "true"),
                   sort=sort if sort in SORTS else "")

    def to_params(self) -> dict[str, str]:
        """The non-default values as GET parameters (for links and redirects)."""
        out = {"outlet": self.outlet, "q": self.q,
               "from": self.date_from.isoformat() if self.date_from else "",
               "to": self.date_to.isoformat() if self.date_to else "",
               "min_score": f"{self.min_score:g}" if self.min_score is not None else "",
               "others": "1" if self.has_others else "", "sort": self.sort}
        return {k: v for k, v in out.items() if v}

    @property
    def filtered(self) -> bool:
        return bool(self.outlet or self.q or self.date_from or self.date_to
                    or self.min_score is not None or self.has_others)

    def sort_for(self, state: str) -> str:
        if self.sort == "order" and state != CandidateState.APPROVED.value:
            return "priority"
        return self.sort or ("order" if state == CandidateState.APPROVED.value else "priority")


class Desk:
    def __init__(self, ctx: Context) -> None:
        self.db = ctx.db
        self.clock = ctx.clock
        self.steps = DeskSteps(ctx)     # 撤销上一步

    # -- the queue ------------------------------------------------------------------

    def refine(self, slug: str, rows: list[dict], query: QueueQuery, *, state: str,
               tz: str = "Asia/Shanghai") -> list[dict]:
        """Filter and sort the rows of ``Zhuanlan.candidates(slug, state)`` (which come
        in the learner's order) as ``query`` says. Adds ``other_count`` (copies of the
        story at other outlets) to every row kept."""
        zone = ZoneInfo(tz)
        sizes = self._story_sizes({r["story_id"] for r in rows if r.get("story_id")})
        needle = query.q.casefold()
        kept = []
        for r in rows:
            r = dict(r, other_count=max(0, sizes.get(r.get("story_id") or 0, 1) - 1))
            if query.outlet and (r.get("outlet") or r.get("source_name") or "") != query.outlet:
                continue
            if needle and needle not in (r["title"] or "").casefold() \
                    and needle not in (r.get("title_override") or "").casefold():
                continue
            if query.min_score is not None and (r["score"] or 0.0) < query.min_score:
                continue
            if query.has_others and not r["other_count"]:
                continue
            when = r.get("published_at") or r.get("created_at")
            day = when.astimezone(zone).date() if when else None
            if query.date_from and (day is None or day < query.date_from):
                continue
            if query.date_to and (day is None or day > query.date_to):
                continue
            kept.append(r)
        sort = query.sort_for(state)
        if sort == "score":
            kept.sort(key=lambda r: (-(r["score"] or 0.0), r["id"]))
        elif sort in ("newest", "oldest"):
            def ts(r: dict) -> float:
                when = r.get("published_at") or r.get("created_at")
                return when.timestamp() if when else 0.0
            kept.sort(key=lambda r: (ts(r), r["id"]), reverse=sort == "newest")
        elif sort == "order":
            rank = {c: i for i, c in enumerate(self.approved_order(slug))}
            kept.sort(key=lambda r: (rank.get(r["id"], len(rank)), r["id"]))
        return kept   # "priority": as Zhuanlan.candidates ordered them

    def outlets(self, slug: str) -> list[str]:
        """The outlets that have candidates in the column (for the filter's list)."""
        with self.db.read() as conn:
            return candidate_store.outlets(conn, column_by_slug(conn, slug)["id"])

    def _story_sizes(self, story_ids: set[int]) -> dict[int, int]:
        if not story_ids:
            return {}
        with self.db.read() as conn:
            return candidate_store.story_sizes(conn, story_ids)

    # -- one candidate ----------------------------------------------------------------

    def candidate(self, candidate_id: int, *, column: str | None = None) -> dict:
        """The candidate with its article, outlet, matched terms (``terms``) and the
        editor's title and summary (``title_override``, ``summary_override``, None when
        unedited); ``display_title`` / ``display_summary`` are what an issue would show.
        Raises NotFoundError (also when it is not of ``column``)."""
        from zhuanlan.jobs.selecting import terms_of

        with self.db.read() as conn:
            out = candidate_store.detail(conn, candidate_id)
        if out is None or (column is not None and out["column_slug"] != column):
            raise NotFoundError("没有这篇候选稿件", resource=f"candidate {candidate_id}")
        out["terms"] = terms_of(out["terms"])
        out["display_title"] = out["title_override"] or out["title"]
        out["display_summary"] = out["summary_override"] or summary_of(out["text"])
        return out

    def edit_candidate(self, candidate_id: int, *, title: str | None = None,
                       summary: str | None = None, by: str = "editor",
                       column: str | None = None) -> dict:
        """Set the editor's title and/or summary of the candidate for its column (the
        article stays as it was). ``None`` leaves a field alone; an empty string, or the
        article's own title, removes the override. Audited as ``edit``.

        Raises NotFoundError, InvalidTransition for a published candidate (its issue is
        out), RuleError for a title or summary too long or a title on several lines.
        Returns ``candidate()``.
        """
        current = self.candidate(candidate_id, column=column)
        if current["state"] == CandidateState.PUBLISHED.value:
            raise InvalidTransition("已发布的稿件不能再修改", resource=f"candidate {candidate_id}")
        values: dict = {}
        if title is not None:
            title = re.sub(r"\s+", " ", title).strip()
            if len(title) > TITLE_MAX:
                raise RuleError(f"标题不能超过 {TITLE_MAX} 个字", resource="title")
            values["title_override"] = title if title and title != current["title"] else None
        if summary is not None:
            summary = "\n".join(p.strip() for p in summary.strip().splitlines() if p.strip())
            if len(summary) > SUMMARY_MAX:
                raise RuleError(f"摘要不能超过 {SUMMARY_MAX} 个字", resource="summary")
            values["summary_override"] = summary or None
        changed = {k: v for k, v in values.items() if v != current[k]}
        if changed:
            with self.db.write() as conn:
                candidate_store.update_candidate(conn, candidate_id, **changed)
                detail = {("title" if k == "title_override" else "summary"): v
                          for k, v in changed.items()}
                audit.record(conn, by, "edit", f"candidate {candidate_id}",
                             json.dumps(detail, ensure_ascii=False), at=self.clock())
        return self.candidate(candidate_id, column=column)

    # -- the candidate's story ------------------------------------------------------------

    def story(self, candidate_id: int, *, column: str | None = None) -> dict:
        """The candidate's story as the desk shows it: ``story_id``, ``size``,
        ``representative_id`` (the copy issues publish), ``pinned_by`` / ``pinned_at``
        (an editor's choice, None while the rules choose) and ``copies`` (each with
        ``article_id``, ``title``, ``url``, ``outlet``, ``relation``, ``published_at``,
        ``representative`` and ``own``, the candidate's article).
        Raises NotFoundError (also when the candidate is not of ``column`` or has no story)."""
        with self.db.read() as conn:
            story_id, own = self._story_of(conn, candidate_id, column)
            row = story_store.story_row(conn, story_id)
            copies = story_copies(conn, story_id)
        for c in copies:
            c["representative"] = c["article_id"] == row.representative_id
            c["own"] = c["article_id"] == own
        return {"story_id": story_id, "size": len(copies),
                "representative_id": row.representative_id, "pinned_by": row.pinned_by,
                "pinned_at": row.pinned_at, "copies": copies}

    def pin_representative(self, candidate_id: int, article_id: int | None, *,
                           by: str = "editor", column: str | None = None) -> dict:
        """以此为准: make ``article_id``, a copy of the candidate's story, the copy every
        column publishes, and keep it while other copies arrive; None hands the choice
        back to the rules. Audited as ``story_representative``. Returns ``story()``.

        Raises NotFoundError (the candidate, or an article not in its story)."""
        with self.db.write() as conn:
            now = self.clock()
            story_id, _own = self._story_of(conn, candidate_id, column)
            before = pin_representative(conn, story_id, article_id, by=by, now=now)
            detail = (f"以文章 {article_id} 为准（原为 {before}）" if article_id is not None
                      else f"恢复自动选择（原为 {before}）")
            audit.record(conn, by, "story_representative", f"story {story_id}",
                         f"{detail}；稿件 {candidate_id}", at=now)
        return self.story(candidate_id, column=column)

    def split_copy(self, candidate_id: int, article_id: int, *, by: str = "editor",
                   column: str | None = None) -> int:
        """不是同一篇: take ``article_id`` out of the candidate's story into a story of
        its own (never folded back when it is assigned again); candidates of that article,
        in every column, follow it, and the old story chooses its representative again
        and is offered anew (its rules permitting) to the columns whose candidate left.
        Audited as ``story_split``. Returns the new story's id.

        Raises NotFoundError (the candidate, or an article not in its story),
        InvalidTransition when the article is the story's only copy."""
        with self.db.write() as conn:
            now = self.clock()
            story_id, _own = self._story_of(conn, candidate_id, column)
            # Columns whose candidate stood for the story through this copy: it leaves
            # with the copy, so the copies left behind are offered to them again.
            stood_for = candidate_store.columns_standing_for(conn, article_id, story_id)
            new_id = split_out(conn, story_id, article_id, now)
            representative = story_store.representative_of(conn, story_id)
            if stood_for and representative is not None:
                propose_stored(conn, representative, now, column_ids=stood_for)
            audit.record(conn, by, "story_split", f"story {story_id}",
                         f"文章 {article_id} 不是同一篇，拆为报道 {new_id}；稿件 {candidate_id}",
                         at=now)
        return new_id

    @staticmethod
    def _story_of(conn, candidate_id: int, column: str | None) -> tuple[int, int]:
        """(story id, article id) of the candidate; NotFoundError as ``candidate()``."""
        row = candidate_store.story_of(conn, candidate_id)
        if row is None or (column is not None and row.slug != column):
            raise NotFoundError("没有这篇候选稿件", resource=f"candidate {candidate_id}")
        if row.story_id is None:
            raise NotFoundError("该稿件没有归入报道", resource=f"candidate {candidate_id}")
        return row.story_id, row.article_id

    # -- 立即抓取 ---------------------------------------------------------------------------

    def poll_sources(self, slug: str, *, by: str = "editor") -> int:
        """立即抓取 from the desk: make the column's enabled sources (those of its source
        filter, or all) due now; the worker polls them on its next round. Returns how
        many. Audited as ``poll``."""
        def key(value) -> str:
            return unicodedata.normalize("NFKC", str(value)).strip().casefold()
        with self.db.write() as conn:
            now = self.clock()
            col = column_by_slug(conn, slug)
            wanted = ({key(v) for v in json.loads(col["source_filter"])}
                      if col["source_filter"] else None)
            due = [r for r in source_store.source_rows(conn) if r["enabled"] and (
                wanted is None or key(r["id"]) in wanted or key(r["name"]) in wanted)]
            for r in due:
                source_store.make_due(conn, r["id"], now)
            audit.record(conn, by, "poll", f"column {slug}",
                         f"立即抓取 {len(due)} 个信息源", at=now)
        return len(due)

    # -- the order of the next issue ------------------------------------------------------

    def approved_order(self, slug: str) -> list[int]:
        """Ids of the column's approved candidates in the next issues' order (all of
        them, also those beyond one issue's limit)."""
        with self.db.read() as conn:
            col = column_by_slug(conn, slug)
            return [r["candidate_id"] for r in approved_in_order(conn, col["id"], limit=None)]

    def move(self, candidate_id: int, direction: str, *, by: str = "editor",
             column: str | None = None, keep_step: bool = False) -> list[int]:
        """Move an approved candidate one place ``up`` or ``down`` (or to the ``top`` /
        ``bottom``) in the next issue's order; every approved item then holds its place
        in ``position``. Returns the new order (candidate ids). Audited as ``move``;
        ``keep_step`` keeps it as ``by``'s last step, for 撤销上一步.

        Raises NotFoundError, InvalidTransition when the candidate is not approved,
        RuleError for an unknown direction.
        """
        if direction not in ("up", "down", "top", "bottom"):
            raise RuleError(f"未知的方向 {direction[:20]!r}（up、down、top、bottom）")
        with self.db.write() as conn:
            row = candidate_store.state_and_column(conn, candidate_id)
            if row is None or (column is not None and row.slug != column):
                raise NotFoundError("没有这篇候选稿件", resource=f"candidate {candidate_id}")
            if row.state != CandidateState.APPROVED.value:
                raise InvalidTransition("只有已通过的稿件可以调整顺序",
                                        resource=f"candidate {candidate_id}")
            rows = approved_in_order(conn, row.column_id, limit=None)
            order = [r["candidate_id"] for r in rows]
            before = candidate_store.positions(conn, order)
            at = order.index(candidate_id)
            to = {"up": at - 1, "down": at + 1, "top": 0, "bottom": len(order) - 1}[direction]
            to = max(0, min(len(order) - 1, to))
            if to != at:
                order.insert(to, order.pop(at))
            candidate_store.set_positions(conn, order)
            if to != at:
                audit.record(conn, by, "move", f"candidate {candidate_id}",
                             f"第 {at + 1} 篇 → 第 {to + 1} 篇", at=self.clock())
                if keep_step:
                    title = next(r["title"] or r["article_title"] for r in rows
                                 if r["candidate_id"] == candidate_id)
                    label = f"将《{(title or '').strip()[:60]}》从第 {at + 1} 篇移到第 {to + 1} 篇"
                    keep_move(conn, row.column_id, by, label, candidate_id, before, order,
                              self.clock())
        return order

    def next_issue(self, slug: str) -> dict:
        """What the column's next issue holds if nothing changes before it goes out:
        ``next_run_at``, ``schedule``, ``timezone``, ``editor_note``, ``items`` (in
        order: ``candidate_id``, ``title`` as it will be shown, ``edited``, ``outlet``,
        ``summary``), ``count``, ``waiting`` (approved beyond one issue's limit),
        ``reflections`` (its 学习心得选登) and
        ``warnings`` (``editorial.warnings``: empty, old note, items out of the window)."""
        with self.db.read() as conn:
            col = column_by_slug(conn, slug)
            rows = approved_in_order(conn, col["id"], limit=None)
            last_issue_at = step_store.last_issue_at(conn, col["id"])
            featured = reflection_store.waiting(conn, col["id"])
        shown = rows[:ISSUE_LIMIT]
        items = [{"candidate_id": r["candidate_id"], "article_id": r["article_id"],
                  "title": r["title"] or r["article_title"], "edited": bool(r["title"]),
                  "summary": r["summary"] or summary_of(r["article_text"]),
                  "outlet": r["outlet"], "published_at": r["published_at"]}
                 for r in shown]
        following = (next_run(col["schedule"], col["timezone"], col["next_run_at"])
                     if col["next_run_at"] else None)
        warnings = next_issue_warnings(
            now=self.clock(), tz=col["timezone"], next_run_at=col["next_run_at"],
            following_run_at=following, count=len(items), note=col["editor_note"],
            note_at=col["editor_note_at"], last_issue_at=last_issue_at,
            max_age_days=col["max_age_days"], item_dates=[i["published_at"] for i in items])
        return {"next_run_at": col["next_run_at"], "schedule": col["schedule"],
                "timezone": col["timezone"], "editor_note": col["editor_note"],
                "editor_note_at": col["editor_note_at"], "warnings": warnings,
                "items": items, "count": len(items), "waiting": len(rows) - len(shown),
                "reflections": featured}
