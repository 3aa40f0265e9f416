"""``zhuanlan stats rebuild``: the statistics' roll-up recomputed from the records — a
table emptied by hand (a restored copy without it) comes back whole, with an audit entry."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support.study_seed import mark_sent, organisation, publish
from zhuanlan.cli import main
from zhuanlan.store.schema import audit_log, study_progress
from zhuanlan.study.records import Reader, confirm_studied


def test_rebuild_restores_the_roll_up(tmp_path, capsys, make_zl):
    zl = make_zl()
    people = organisation(zl)
    issue_id, arts = publish(zl, 1, "一")
    mark_sent(zl, issue_id)
    confirm_studied(zl.db, Reader.person(people["甲"]), arts[0], zl.clock(), issue_id)
    before = zl.statistics.issue_by_id(issue_id).total
    with zl.db.write() as conn:
        conn.execute(study_progress.delete())
    assert zl.statistics.issue_by_id(issue_id).total.recipients == 0
    config = tmp_path / "zhuanlan.toml"
    config.write_text(f'[database]\nurl = "{zl.cfg.database_url}"\n')
    assert main(["--config", str(config), "stats", "rebuild"]) == 0
    assert "统计汇总已重建：4 行" in capsys.readouterr().out
    after = zl.statistics.issue_by_id(issue_id).total
    assert (after.recipients, after.delivered, after.studied) == (4, 4, 1)
    assert (after.recipients, after.studied) == (before.recipients, before.studied)
    with zl.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)
                            .where(audit_log.c.action == "stats.rebuild")).scalar() == 1
