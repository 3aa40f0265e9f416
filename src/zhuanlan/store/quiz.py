"""Queries of 答题: a column's questions (proposed, kept, dropped; for the next issue while
``issue_id`` is NULL, then bound to the issue that publishes their article) and the
readers' answers (the first attempt for the record, later ones counted as practice)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from zhuanlan.store.db import inserted_id
from zhuanlan.store.page_generation import bump
from zhuanlan.store.schema import (
    articles,
    corpus_totals,
    issue_items,
    issues,
    quiz_answers,
    quiz_questions,
    word_df,
)

STATES = ("proposed", "kept", "dropped")


def _row(r) -> dict:
    out = dict(r)
    out["choices"] = json.loads(out.get("choices") or "[]")
    return out


def _scope(column_id: int, issue_id: int | None):
    q = quiz_questions.c
    return and_(q.column_id == column_id,
                q.issue_id.is_(None) if issue_id is None else q.issue_id == issue_id)


def questions(conn: Connection, column_id: int, issue_id: int | None, *,
              states: Iterable[str] = STATES) -> list[dict]:
    """The questions of the column's next issue (``issue_id`` None) or of an issue, in
    their order, each with ``article_title``."""
    q = quiz_questions.c
    rows = conn.execute(
        select(quiz_questions, articles.c.title.label("article_title"))
        .outerjoin(articles, articles.c.id == q.article_id)
        .where(_scope(column_id, issue_id), q.state.in_(list(states)))
        .order_by(q.position, q.id)).mappings()
    return [_row(r) for r in rows]


def question(conn: Connection, question_id: int) -> dict | None:
    r = conn.execute(select(quiz_questions).where(quiz_questions.c.id == question_id)
                     ).mappings().first()
    return _row(r) if r else None


def add(conn: Connection, *, column_id: int, issue_id: int | None, article_id: int | None,
        kind: str, prompt: str, choices: list[str], answer: str, sentence: str,
        state: str, origin: str, now: datetime, by: str) -> int:
    """A question at the end of the list. Returns its id."""
    last = conn.execute(select(func.max(quiz_questions.c.position))
                        .where(_scope(column_id, issue_id))).scalar()
    if issue_id is not None:
        bump(conn)              # a published issue's page may show it
    return inserted_id(conn.execute(quiz_questions.insert().values(
        column_id=column_id, issue_id=issue_id, article_id=article_id, kind=kind,
        prompt=prompt, choices=json.dumps(choices, ensure_ascii=False), answer=answer,
        sentence=sentence, state=state, origin=origin, position=(last or 0) + 1,
        created_at=now, updated_at=now, updated_by=by)))


def drop_unreviewed(conn: Connection, column_id: int, issue_id: int | None) -> None:
    """Remove the proposals nobody reviewed yet (before proposing anew); kept, dropped
    and the editor's own stay."""
    q = quiz_questions.c
    conn.execute(delete(quiz_questions).where(_scope(column_id, issue_id),
                                              q.state == "proposed", q.origin == "auto"))


def update_question(conn: Connection, question_id: int, now: datetime, by: str,
                    **values) -> None:
    if "choices" in values:
        values["choices"] = json.dumps(values["choices"], ensure_ascii=False)
    published = conn.execute(update(quiz_questions).where(quiz_questions.c.id == question_id)
                             .values(updated_at=now, updated_by=by, **values)
                             .returning(quiz_questions.c.issue_id)).scalar()
    if published is not None:
        bump(conn)


def reorder(conn: Connection, ids: list[int]) -> None:
    for i, qid in enumerate(ids):
        conn.execute(update(quiz_questions).where(quiz_questions.c.id == qid)
                     .values(position=i + 1))
    bump(conn)


def bind_to_issue(conn: Connection, column_id: int, issue_id: int,
                  article_ids: Iterable[int]) -> int:
    """Publishing: the column's kept questions still waiting (``issue_id`` NULL) whose
    article is in the issue go with it, and so do the editor's own questions that cite no
    article; questions about other articles stay for later. Returns how many."""
    q = quiz_questions.c
    ids = list(conn.execute(
        update(quiz_questions)
        .where(q.column_id == column_id, q.issue_id.is_(None), q.state == "kept",
               q.article_id.in_(list(article_ids)) | q.article_id.is_(None))
        .values(issue_id=issue_id).returning(q.id)).scalars())
    return len(ids)


def kept_of_issue(conn: Connection, issue_id: int) -> list[dict]:
    """What readers see: the issue's kept questions in order."""
    q = quiz_questions.c
    rows = conn.execute(
        select(quiz_questions, articles.c.title.label("article_title"))
        .outerjoin(articles, articles.c.id == q.article_id)
        .where(q.issue_id == issue_id, q.state == "kept")
        .order_by(q.position, q.id)).mappings()
    return [_row(r) for r in rows]


def record_answer(conn: Connection, *, question_id: int, issue_id: int, subscriber_id: int,
                  answer: str, correct: bool, now: datetime) -> dict:
    """The person's answer: the first one is kept for the record; a later one only
    counts an attempt (it never replaces the first). Returns the recorded row."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # RETURNING tells whether this was the first answer (psycopg's rowcount cannot).
    inserted = conn.execute(
        dialect.insert(quiz_answers).values(
            question_id=question_id, issue_id=issue_id, subscriber_id=subscriber_id,
            answer=answer, correct=correct, attempts=1, answered_at=now)
        .on_conflict_do_nothing(index_elements=["question_id", "subscriber_id"])
        .returning(quiz_answers.c.id)).first()
    a = quiz_answers.c
    mine = and_(a.question_id == question_id, a.subscriber_id == subscriber_id)
    if inserted is None:
        conn.execute(update(quiz_answers).where(mine).values(attempts=a.attempts + 1))
    return dict(conn.execute(select(quiz_answers).where(mine)).mappings().one())


def answers_of(conn: Connection, issue_id: int, subscriber_id: int) -> dict[int, dict]:
    """The person's recorded answers to the issue, by question id."""
    a = quiz_answers.c
    return {r["question_id"]: dict(r) for r in conn.execute(
        select(quiz_answers).where(a.issue_id == issue_id, a.subscriber_id == subscriber_id)
    ).mappings()}


def issue_articles(conn: Connection, issue_id: int) -> list[tuple[int, str, str]]:
    """(id, title, text) of the issue's articles in its order."""
    return [(r.id, r.title or "", r.text or "") for r in conn.execute(
        select(articles.c.id, articles.c.title, articles.c.text)
        .join(issue_items, issue_items.c.article_id == articles.c.id)
        .where(issue_items.c.issue_id == issue_id).order_by(issue_items.c.position))]


def issue_row(conn: Connection, issue_id: int) -> dict:
    return dict(conn.execute(select(issues).where(issues.c.id == issue_id)).mappings().one())


def corpus_df(conn: Connection, words: Iterable[str]) -> tuple[dict[str, int], int]:
    """Document frequencies of ``words`` (``word_df``) and the number of documents."""
    listed = sorted(set(words))
    df: dict[str, int] = {}
    for i in range(0, len(listed), 500):
        df.update(conn.execute(select(word_df.c.word, word_df.c.df)
                               .where(word_df.c.word.in_(listed[i:i + 500]))).all())
    n_docs = conn.execute(select(corpus_totals.c.n_docs)
                          .where(corpus_totals.c.id == 1)).scalar()
    return df, int(n_docs or 0)


def answered(conn: Connection, question_id: int) -> bool:
    """Whether anyone's answer to the question is on record."""
    return conn.execute(select(quiz_answers.c.id).where(quiz_answers.c.question_id == question_id)
                        .limit(1)).first() is not None
