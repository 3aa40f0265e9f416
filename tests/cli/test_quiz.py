"""``zhuanlan quiz propose``: the proposals for the next issue (or a published one) with
the sentences they cite, printed and not stored."""

from __future__ import annotations

from tests.support.quiz_sources import sample_issue
from tests.support.study_seed import SLUG, organisation, seed_articles
from zhuanlan.cli import main


def test_quiz_propose_prints_the_proposals_with_their_sentences(make_zl, tmp_path, capsys):
    zl = make_zl()
    organisation(zl)
    config = tmp_path / "zhuanlan.toml"
    config.write_text(f'[database]\nurl = "{zl.cfg.database_url}"\n')

    def run(*args: str) -> int:
        return main(["--config", str(config), "quiz", "propose", *args])

    assert run(SLUG) == 0
    assert "没有题目" in capsys.readouterr().out
    texts = [(a.title, a.text) for a in sample_issue()]
    seed_articles(zl, len(texts), "cli", texts)
    assert run(SLUG) == 0
    out = capsys.readouterr().out
    expected = zl.quiz.proposals(SLUG)
    assert len(expected) >= 5
    for p, title in expected:
        assert f"原句：{p.sentence}" in out and f"答案：{p.answer}" in out
        assert f"出自：《{title}》" in out
    assert "【单选题】" in out and "选项：A. " in out
    assert zl.quiz.review(SLUG)["questions"] == []          # nothing stored
    zl.publish_now(SLUG)
    assert run(SLUG, "--issue", "1") == 0
    assert capsys.readouterr().out == out
    assert run(SLUG, "--issue", "9") != 0
    assert "没有这一期" in capsys.readouterr().err
