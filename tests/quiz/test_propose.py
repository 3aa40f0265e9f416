"""答题 proposals on real articles: the sample site's and the extraction corpus's. Every
proposal cites a sentence of the issue's articles and its answer is in that sentence;
same input, same output; no trivial or duplicate questions; the kinds are mixed."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.quiz_sources import corpus_issues, sample_issue
from zhuanlan.quiz.propose import (
    BLANK,
    JUDGE_FALSE,
    JUDGE_TRUE,
    PER_ARTICLE,
    PER_ISSUE,
    QuizSource,
    propose,
    sentences,
    vocabulary,
)
from zhuanlan.sample import SAMPLE_COLUMN

TRIVIAL = {"的", "了", "和", "是", "在", "，", "。"}


def check_issue(issue: list[QuizSource], proposals) -> None:
    by_id = {a.article_id: a for a in issue}
    for p in proposals:
        article = by_id[p.article_id]
        # The cited sentence is a sentence of the article the question is about …
        assert p.sentence in sentences(article.text), p
        # … and the answer is in it (a judge's true statement is the sentence itself).
        if p.kind == "judge":
            assert p.choices == (JUDGE_TRUE, JUDGE_FALSE)
            if p.answer == JUDGE_TRUE:
                assert p.prompt == p.sentence
            else:
                assert p.prompt != p.sentence and p.target in p.sentence
                assert p.target not in p.prompt
        else:
            assert p.answer in p.sentence
            assert p.answer not in TRIVIAL and len(p.answer) >= 2
            # Not the article's own headline word: the reader would see it in the title.
            assert p.answer not in article.title
        if p.kind == "blank":
            assert p.prompt.count(BLANK) == 1
            assert p.prompt.replace(BLANK, p.answer) == p.sentence
        if p.kind == "choice":
            assert len(p.choices) == 4 and len(set(p.choices)) == 4
            assert p.answer in p.choices
            assert p.prompt.replace("（　）", p.answer) == p.sentence
            # The distractors are not in the sentence (else two options would be right).
            assert not any(c in p.sentence for c in p.choices if c != p.answer)
    # No duplicate questions: one per sentence, one per answer.
    assert len({p.sentence for p in proposals}) == len(proposals)
    assert len({p.target for p in proposals}) == len(proposals)
    per_article = Counter(p.article_id for p in proposals)
    assert all(n <= PER_ARTICLE for n in per_article.values())
    assert len(proposals) <= PER_ISSUE


def test_sample_issue():
    issue = sample_issue()
    vocab = vocabulary(SAMPLE_COLUMN["include"])
    proposals = propose(issue, vocab=vocab)
    check_issue(issue, proposals)
    assert 5 <= len(proposals) <= PER_ISSUE
    kinds = Counter(p.kind for p in proposals)
    assert set(kinds) == {"blank", "choice", "judge"}
    assert max(kinds.values()) - min(kinds.values()) <= 2       # balanced
    # Every article of the issue is asked about before any gets a second question.
    assert len({p.article_id for p in proposals}) == len(issue)
    # Deterministic: the same issue gives the same questions.
    assert propose(issue, vocab=vocab) == proposals
    # The column's vocabulary is what it asks about: terms and figures.
    assert any(p.answer in ("党的二十大", "高质量发展", "中国特色社会主义") for p in proposals)


@pytest.mark.parametrize("index", range(0, 13))
def test_corpus_issues(index):
    issues = corpus_issues()
    if index >= len(issues):
        pytest.skip("fewer corpus issues")
    issue = issues[index]
    proposals = propose(issue, vocab=vocabulary())
    check_issue(issue, proposals)
    assert proposals == propose(issue, vocab=vocabulary())


def test_figures_are_blanked_as_digits_with_the_unit_kept():
    text = "我国已与170多个国家和地区建立科技合作关系。"
    (p,) = propose([QuizSource(1, "科技合作", text)], limit=1)
    assert p.kind == "blank" and p.answer == "170"
    assert p.prompt == "我国已与____多个国家和地区建立科技合作关系。"


def test_choice_distractors_are_figures_of_the_same_unit_from_other_articles():
    issue = [QuizSource(1, "甲", "今年全市新增就业岗位12万个，同比增长15%。"),
             QuizSource(2, "乙", "全年共接待游客35万个团次，增长8%。"),
             QuizSource(3, "丙", "集团现有员工48万个岗位，利润增长21%。"),
             QuizSource(4, "丁", "园区入驻企业56万个，税收增长9%。")]
    proposals = propose(issue, per_article=2, limit=8)
    choice = [p for p in proposals if p.kind == "choice"]
    assert choice
    for p in choice:
        unit = p.sentence[p.sentence.index(p.answer) + len(p.answer)]
        for c in p.choices:
            assert c.isdigit()
        assert unit in "万%"


def test_headings_captions_and_trivial_sentences_give_nothing():
    issue = [QuizSource(1, "标题", "女民警1天拨100个电话\n新华社发（刘满仓摄）\n好。")]
    assert propose(issue) == []


def test_sentences():
    assert sentences("第一句。第二句！“第三句？”第四句\n第五句；") == [
        "第一句。", "第二句！", "“第三句？”", "第四句", "第五句；"]
