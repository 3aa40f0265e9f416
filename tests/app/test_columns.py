"""Columns with the rule language, scores with reasons, and the learner trained by the
editor's decisions — through the facade, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from zhuanlan.errors import RuleError
from zhuanlan.store.schema import articles, columns
from zhuanlan.web.marks import mark

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def _article(zl, i: int, title: str, text: str) -> None:
    from zhuanlan.jobs.ingest import _propose
    from zhuanlan.model import Article

    art = Article(url=f"http://x/{i}", canonical_url=f"http://x/{i}", title=title, text=text,
                  title_orig=title, text_orig=text, content_hash=f"{i:064d}", published=T0)
    with zl.db.write() as conn:
        aid = conn.execute(articles.insert().values(
            url=art.url, canonical_url=art.url, content_hash=art.content_hash, title=title,
            text=text, title_orig=title, text_orig=text, flags="", created_at=T0,
            published_at=T0)).inserted_primary_key[0]
        _propose(conn, aid, art, None, T0)


def test_invalid_expression_is_refused_with_its_position(zl):
    with pytest.raises(RuleError) as info:
        zl.add_column("c", "专栏", include="(二十大 OR 两会")
    assert info.value.resource == "include"
    assert info.value.position == 10
    with pytest.raises(RuleError) as info:
        zl.add_column("c", "专栏", include="二十大", exclude="体育 AND")
    assert info.value.resource == "exclude"
    assert zl.list_columns() == []


def test_expression_rules_propose_with_reasons(zl):
    zl.add_column("c", "专栏", include='"中国式现代化" OR (二十大 AND 学习)', exclude="体育",
                  min_length=10)
    _article(zl, 1, "推进中国式现代化", "以中国式现代化全面推进中华民族伟大复兴。" * 3)
    _article(zl, 2, "学习二十大精神", "各单位认真学习二十大报告。" * 3)
    _article(zl, 3, "二十大精神进球场", "体育赛事中也在学习二十大。" * 3)
    _article(zl, 4, "二十大", "太短")
    queue = zl.candidates("c")
    assert {c["title"] for c in queue} == {"推进中国式现代化", "学习二十大精神"}
    for c in queue:
        assert c["terms"] and c["reason"].startswith("命中")
    html = str(mark("学习<script>二十大", ["二十大"]))
    assert "<mark>二十大</mark>" in html and "&lt;script&gt;" in html


def test_decisions_train_the_learner_which_then_orders_the_queue(zl):
    zl.add_column("c", "专栏", include="二十大")
    for i in range(40):
        good = i % 2 == 0
        title = f"理论文章{i} 深入学习二十大精神" if good else f"比赛快讯{i} 球队提到二十大"
        text = ("理论学习 党的建设 中国式现代化 " if good else "比分 进球 球迷 联赛 ") * 10 + "二十大"
        _article(zl, i, title, text)
    first = zl.candidates("c")
    theory = [c for c in first if "理论" in c["title"]]
    sports = [c for c in first if "比赛" in c["title"]]
    for c in theory[:12]:
        zl.decide(c["id"], "approve")
    for c in sports[:12]:
        zl.decide(c["id"], "reject")
    assert zl.learner_ready("c")
    with zl.db.read() as conn:
        assert conn.execute(select(columns.c.model)).scalar()
    rest = zl.candidates("c")
    top = [c["title"] for c in rest[:5]]
    assert all("理论" in t for t in top), top
    assert rest[0]["priority"] > rest[-1]["priority"]


def test_auto_approve_above_threshold_only_once_the_model_is_ready(zl):
    zl.add_column("c", "专栏", include="二十大", auto_approve=True, auto_approve_threshold=0.6)
    _article(zl, 1, "学习二十大", "理论学习二十大" * 5)
    [c] = zl.candidates("c", None)
    assert c["state"] == "pending"      # no model yet: the editor decides


def test_editorial_actions_are_in_the_audit_log(zl):
    zl.add_column("c", "专栏", include="二十大", by="admin-1")
    _article(zl, 1, "学习二十大", "理论学习二十大" * 5)
    [c] = zl.candidates("c")
    zl.decide(c["id"], "approve", by="editor-1")
    zl.set_editor_note("c", "本期编者按", by="editor-1")
    zl.publish_now("c", by="editor-1")
    log = zl.audit()
    assert [(e["actor"], e["action"]) for e in reversed(log)] == [
        ("admin-1", "add_column"), ("editor-1", "approve"), ("editor-1", "editor_note"),
        ("editor-1", "publish")]
    assert log[2]["target"] == f"candidate {c['id']}" and log[2]["detail"] == "学习二十大"
