"""归档 stops what a column does by itself — scheduled issues, new candidates, automatic
催学 of its issues still in their study time — and 恢复 starts it again."""

from __future__ import annotations

from datetime import timedelta

from tests.support.stories import add_copy
from tests.support.study_seed import SLUG, organisation, publish
from zhuanlan.jobs.ingest import propose_stored
from zhuanlan.store.reminders import due_automatic


def test_an_archived_column_is_not_reminded_nor_offered_and_restores(zl):
    organisation(zl)
    zl.reminders.set_deadline(SLUG, 7, 24, by="chief")
    publish(zl, 1, "本期")
    at = zl.clock() + timedelta(days=6, hours=12)
    with zl.db.read() as conn:
        assert len(due_automatic(conn, at)) == 1
    zl.columns.archive(SLUG, by="chief")
    with zl.db.read() as conn:
        assert due_automatic(conn, at) == []
    article = add_copy(zl, "新华社", zl.clock(), title="学习二十大精神的新文章")
    with zl.db.write() as conn:       # offered as ingest offers a new article
        assert propose_stored(conn, article, zl.clock()) == 0
    assert zl.candidates(SLUG, "pending") == []
    zl.columns.unarchive(SLUG, by="chief")
    with zl.db.read() as conn:
        assert len(due_automatic(conn, at)) == 1
    assert zl.get_column(SLUG)["next_run_at"] > zl.clock()
    with zl.db.write() as conn:
        propose_stored(conn, article, zl.clock())
    assert [c["article_id"] for c in zl.candidates(SLUG, "pending")] == [article]
