"""答题, as a part of the facade (``zl.quiz``): the editor's review of the proposed
questions for the next issue or a published one, and the readers' answers.

Only ``kept`` questions reach readers. A known reader's first answer to a question is
kept for the record; later answers are practice (counted, never replacing the first);
an anonymous reader practises and nothing is recorded. Permissions are the front end's
business; every change takes ``by`` for the audit log."""

from __future__ import annotations

import unicodedata

from zhuanlan.errors import InvalidTransition, NotFoundError, RuleError
from zhuanlan.jobs.context import Context
from zhuanlan.quiz.propose import (
    JUDGE_CHOICES,
    KINDS,
    Proposal,
    QuizSource,
    propose,
    vocabulary,
)
from zhuanlan.store import audit, quiz_stats
from zhuanlan.store import quiz as store
from zhuanlan.store.columns import column_by_slug, issue_id_by_number
from zhuanlan.store.issues import approved_in_order
from zhuanlan.study.records import Reader
from zhuanlan.study.scope import Scope
from zhuanlan.text.tokenize import tokenize

KIND_NAMES = {"blank": "填空题", "choice": "单选题", "judge": "判断题"}
PROMPT_MAX = 500
ANSWER_MAX = 100
CHOICES_MAX = 6


def normalized(answer: str) -> str:
    """An answer as compared: NFKC (full-width digits count), no spaces, case-folded."""
    return "".join(unicodedata.normalize("NFKC", answer or "").split()).casefold()


def is_correct(question: dict, answer: str) -> bool:
    return bool(answer) and normalized(answer) == normalized(question["answer"])


def _clean_question(kind: str, prompt: str, choices: list[str], answer: str
                    ) -> tuple[str, list[str], str]:
    """The editor's question checked; RuleError (zh-CN, what to correct) otherwise."""
    if kind not in KINDS:
        raise RuleError("题型应为填空题、单选题或判断题")
    prompt, answer = (prompt or "").strip(), (answer or "").strip()
    choices = [c.strip() for c in choices if c and c.strip()]
    if not prompt or len(prompt) > PROMPT_MAX:
        raise RuleError(f"题干不能为空，且不超过 {PROMPT_MAX} 字")
    if not answer or len(answer) > ANSWER_MAX:
        raise RuleError(f"答案不能为空，且不超过 {ANSWER_MAX} 字")
    if kind == "judge":
        if answer not in JUDGE_CHOICES:
            raise RuleError("判断题的答案应为“正确”或“错误”")
        choices = list(JUDGE_CHOICES)
    elif kind == "choice":
        if not 2 <= len(choices) <= CHOICES_MAX or len(set(choices)) != len(choices):
            raise RuleError(f"单选题需要 2 到 {CHOICES_MAX} 个互不相同的选项")
        if any(len(c) > ANSWER_MAX for c in choices):
            raise RuleError(f"每个选项不超过 {ANSWER_MAX} 字")
        if answer not in choices:
            raise RuleError("单选题的答案应是选项之一")
    else:
        choices = []
    return prompt, choices, answer


class Quiz:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- proposing ------------------------------------------------------------------

    def _sources(self, conn, column_id: int, issue_id: int | None) -> list[QuizSource]:
        if issue_id is None:
            return [QuizSource(a["article_id"], a["article_title"] or "", a["article_text"] or "")
                    for a in approved_in_order(conn, column_id)]
        return [QuizSource(*row) for row in store.issue_articles(conn, issue_id)]

    @staticmethod
    def _corpus(conn, sources: list[QuizSource]) -> tuple[dict[str, int], int]:
        """Document frequencies of the articles' words and the corpus size."""
        return store.corpus_df(conn, {w.lower() for s in sources for w in tokenize(s.text)
                                      if len(w) >= 2})

    def _target(self, conn, slug: str, number: int | None) -> tuple[dict, int | None]:
        column = column_by_slug(conn, slug)
        if number is None:
            return column, None
        return column, issue_id_by_number(conn, column["id"], number, slug=slug)

    def proposals(self, slug: str, number: int | None = None) -> list[tuple[Proposal, str]]:
        """The proposals for the next issue (its approved articles) or issue ``number``,
        with each one's article title; nothing is stored. Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            column, issue_id = self._target(conn, slug, number)
            sources = self._sources(conn, column["id"], issue_id)
            df, n_docs = self._corpus(conn, sources)
        titles = {s.article_id: s.title for s in sources}
        made = propose(sources, vocab=vocabulary(column["include_terms"],
                                                 column["title_terms"] or ""),
                       word_df=df, n_docs=n_docs)
        return [(p, titles.get(p.article_id, "")) for p in made]

    def generate(self, slug: str, number: int | None = None, *, by: str = "editor") -> int:
        """生成题目: replace the unreviewed proposals with new ones (kept, dropped and the
        editor's own questions stay; a proposal already there is not added twice).
        Returns how many were added. Audited as ``quiz.propose``."""
        made = self.proposals(slug, number)
        with self.ctx.db.write() as conn:
            now = self.ctx.clock()
            column, issue_id = self._target(conn, slug, number)
            store.drop_unreviewed(conn, column["id"], issue_id)
            have = {(q["sentence"], q["kind"], q["answer"]) for q in
                    store.questions(conn, column["id"], issue_id)}
            added = 0
            for p, _title in made:
                if (p.sentence, p.kind, p.answer) in have:
                    continue
                store.add(conn, column_id=column["id"], issue_id=issue_id,
                          article_id=p.article_id, kind=p.kind, prompt=p.prompt,
                          choices=list(p.choices), answer=p.answer, sentence=p.sentence,
                          state="proposed", origin="auto", now=now, by=by)
                added += 1
            audit.record(conn, by, "quiz.propose", f"column {slug}",
                         f"{_where(number)}生成 {added} 道题目", at=now)
        return added

    # -- the editor's review ------------------------------------------------------------

    def review(self, slug: str, number: int | None = None) -> dict:
        """The review page: ``column``, ``issue`` (None for the next issue),
        ``questions`` (every state, in order) and ``articles`` [(id, title)] the editor
        may cite. Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            column, issue_id = self._target(conn, slug, number)
            issue = store.issue_row(conn, issue_id) if issue_id else None
            sources = self._sources(conn, column["id"], issue_id)
            return {"column": column, "issue": issue,
                    "questions": store.questions(conn, column["id"], issue_id),
                    "articles": [(s.article_id, s.title) for s in sources]}

    def _own(self, conn, slug: str, question_id: int) -> tuple[dict, dict]:
        column = column_by_slug(conn, slug)
        q = store.question(conn, question_id)
        if q is None or q["column_id"] != column["id"]:
            raise NotFoundError("没有这道题", resource=f"question {question_id}")
        return column, q

    def add(self, slug: str, number: int | None, *, kind: str, prompt: str,
            choices: list[str], answer: str, article_id: int | None = None,
            sentence: str = "", by: str = "editor") -> int:
        """The editor's own question (kept at once). Raises RuleError, NotFoundError."""
        prompt, choices, answer = _clean_question(kind, prompt, choices, answer)
        with self.ctx.db.write() as conn:
            now = self.ctx.clock()
            column, issue_id = self._target(conn, slug, number)
            allowed = {s.article_id for s in self._sources(conn, column["id"], issue_id)}
            if article_id is not None and article_id not in allowed:
                raise RuleError("所选文章不在本期中")
            qid = store.add(conn, column_id=column["id"], issue_id=issue_id,
                            article_id=article_id, kind=kind, prompt=prompt, choices=choices,
                            answer=answer, sentence=(sentence or "").strip()[:PROMPT_MAX],
                            state="kept", origin="editor", now=now, by=by)
            audit.record(conn, by, "quiz.add", f"column {slug}",
                         f"{_where(number)}{KIND_NAMES[kind]}：{prompt[:60]}", at=now)
        return qid

    def edit(self, slug: str, question_id: int, *, prompt: str, choices: list[str],
             answer: str, by: str = "editor") -> None:
        """Change a question's wording, options or answer; an edited proposal is kept.
        A question readers already answered keeps its answer (the records would lie).
        Raises RuleError, NotFoundError, InvalidTransition."""
        with self.ctx.db.write() as conn:
            now = self.ctx.clock()
            _column, q = self._own(conn, slug, question_id)
            prompt, choices, answer = _clean_question(q["kind"], prompt, choices, answer)
            if q["issue_id"] is not None and answer != q["answer"] and store.answered(conn, q["id"]):
                raise InvalidTransition("已有读者作答，不能再修改答案")
            store.update_question(conn, question_id, now, by, prompt=prompt, choices=choices,
                                  answer=answer, state="kept")
            audit.record(conn, by, "quiz.edit", f"column {slug}",
                         f"题目 {question_id}：{prompt[:60]}", at=now)

    def set_state(self, slug: str, question_id: int, state: str, *, by: str = "editor"
                  ) -> None:
        """保留 (kept), 删除 (dropped) or 恢复 (back to proposed). Raises RuleError,
        NotFoundError."""
        action = {"kept": "quiz.keep", "dropped": "quiz.drop", "proposed": "quiz.restore"}
        if state not in action:
            raise RuleError("未知的题目状态")
        with self.ctx.db.write() as conn:
            now = self.ctx.clock()
            _column, q = self._own(conn, slug, question_id)
            store.update_question(conn, question_id, now, by, state=state)
            audit.record(conn, by, action[state], f"column {slug}",
                         f"题目 {question_id}：{q['prompt'][:60]}", at=now)

    def move(self, slug: str, question_id: int, direction: str, *, by: str = "editor"
             ) -> None:
        """One place ``up`` or ``down`` among the questions of the same issue."""
        if direction not in ("up", "down"):
            raise RuleError("未知的方向（up、down）")
        with self.ctx.db.write() as conn:
            now = self.ctx.clock()
            column, q = self._own(conn, slug, question_id)
            ids = [r["id"] for r in store.questions(conn, column["id"], q["issue_id"])]
            at = ids.index(question_id)
            to = at - 1 if direction == "up" else at + 1
            if 0 <= to < len(ids):
                ids[at], ids[to] = ids[to], ids[at]
                store.reorder(conn, ids)
                audit.record(conn, by, "quiz.move", f"column {slug}",
                             f"题目 {question_id} {'上移' if direction == 'up' else '下移'}",
                             at=now)

    # -- readers ------------------------------------------------------------------------

    def for_reader(self, issue_id: int, reader: Reader) -> list[dict]:
        """The issue's kept questions, each with ``mine`` (the reader's recorded answer
        or None). Without the answer, unless the reader answered already."""
        with self.ctx.db.read() as conn:
            questions = store.kept_of_issue(conn, issue_id)
            mine = (store.answers_of(conn, issue_id, reader.subscriber_id)
                    if reader.subscriber_id is not None else {})
        return [{**q, "mine": mine.get(q["id"])} for q in questions]

    def answer(self, issue_id: int, question_id: int, reader: Reader, answer: str) -> dict:
        """Check the reader's answer: ``correct``, ``question`` (with the right answer
        and the sentence), ``recorded`` (the answer on record for a known reader: the
        first one, which a later attempt never replaces; None for an anonymous reader).
        Raises NotFoundError (no such kept question in the issue), RuleError (empty)."""
        answer = (answer or "").strip()[:ANSWER_MAX]
        if not answer:
            raise RuleError("请先作答再提交")
        with self.ctx.db.write() as conn:
            q = store.question(conn, question_id)
            if q is None or q["issue_id"] != issue_id or q["state"] != "kept":
                raise NotFoundError("没有这道题", resource=f"question {question_id}")
            correct = is_correct(q, answer)
            recorded = None
            if reader.subscriber_id is not None:
                recorded = store.record_answer(
                    conn, question_id=question_id, issue_id=issue_id,
                    subscriber_id=reader.subscriber_id, answer=answer, correct=correct,
                    now=self.ctx.clock())
        return {"correct": correct, "answer": answer, "question": q, "recorded": recorded}

    # -- statistics ---------------------------------------------------------------------

    def stats(self, issue_id: int, *, scope: Scope = Scope()) -> quiz_stats.QuizStats:
        """Per department (rolled up): participation and average score."""
        with self.ctx.db.read() as conn:
            return quiz_stats.issue_quiz(conn, issue_id, scope)


def _where(number: int | None) -> str:
    return "下一期" if number is None else f"第{number}期"

