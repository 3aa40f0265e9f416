from datetime import UTC, datetime

import opencc
import pytest

from zhuanlan.dedup.minhash import signature
from zhuanlan.dedup.stories import (
    DocRef,
    choose_representative,
    cluster,
    match_story,
    source_rank,
    verify,
)

from .articles import ORIGINAL, OTHER, SAME_TOPIC

PARAS = ORIGINAL.split("\n")

VARIANTS = {
    "dateline": "新华社北京9月10日电（记者 张三 李四）" + ORIGINAL,
    "editor": ORIGINAL + "\n（责任编辑：王某）\n【纠错】",
    "cut": "\n".join(PARAS[:2] + PARAS[3:]),
    "caption": "\n".join(PARAS[:1] + ["9月10日，国家主席习近平在北京同巴西总统卢拉举行会谈。新华社记者 李学仁 摄"]
                         + PARAS[1:]),
    "traditional": opencc.OpenCC("s2t").convert(ORIGINAL),
    "respace": "  ".join(p.replace("，", ",").replace("。", ". ") for p in PARAS),
    "repost": ("人民网北京9月10日电 " + "\n\n".join(PARAS[:3] + PARAS[4:])
               + "\n来源：新华社\n编辑：李四"),
}
FIRST_HALF = "\n".join(PARAS[:3])


def _ref(doc_id, text, **kw):
    return DocRef(id=doc_id, signature=signature(text), **kw)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_repost_variants_are_the_same_story(variant):
    orig = _ref("orig", ORIGINAL, story="S1")
    story, relation, score = match_story(_ref("new", VARIANTS[variant]), [orig])
    assert story == "S1" and relation == "same" and score >= 0.5, (relation, score)


def test_hard_negatives_are_new_stories():
    cands = [_ref("orig", ORIGINAL, story="S1"), _ref("other", OTHER, story="S2")]
    assert match_story(_ref("topic", SAME_TOPIC), cands) == (None, None, 0.0)
    rel, score = verify(signature(SAME_TOPIC), signature(ORIGINAL))
    assert rel is None and score < 0.2


def test_excerpt_is_contained_and_full_text_contains_it():
    orig = _ref("orig", ORIGINAL, story="S1")
    excerpt = _ref("ex", "新华社北京9月10日电 " + FIRST_HALF)
    story, relation, score = match_story(excerpt, [orig])
    assert (story, relation) == ("S1", "contained") and score >= 0.7
    _, relation, _ = match_story(_ref("full", ORIGINAL), [_ref("ex", FIRST_HALF, story="S9")])
    assert relation == "contains"


def test_same_beats_containment_and_candidate_without_story_is_its_own():
    cands = [_ref("ex", FIRST_HALF, story="S_ex"), _ref("copy", VARIANTS["editor"])]
    story, relation, _ = match_story(_ref("new", ORIGINAL), cands)
    assert (story, relation) == ("copy", "same")


def test_match_story_skips_itself_and_empty():
    me = _ref("me", ORIGINAL)
    assert match_story(me, [me]) == (None, None, 0.0)
    assert match_story(_ref("e", ""), [me]) == (None, None, 0.0)


def test_cluster_union_find():
    docs = [_ref("orig", ORIGINAL), _ref("other", OTHER), _ref("topic", SAME_TOPIC)]
    docs += [_ref(f"v-{k}", t) for k, t in sorted(VARIANTS.items())]
    docs += [_ref("excerpt", FIRST_HALF), _ref("orig", ORIGINAL)]   # a repeated id is ignored
    groups = cluster(docs)
    assert groups[0] == ["orig"] + [f"v-{k}" for k in sorted(VARIANTS)] + ["excerpt"]
    assert groups[1:] == [["other"], ["topic"]]
    assert sorted(i for g in groups for i in g) == sorted({d.id for d in docs})


def test_representative_by_authority_then_completeness():
    t = datetime(2024, 9, 10, tzinfo=UTC)
    members = [
        _ref("cctv", VARIANTS["caption"], source="央视网", published=t),
        _ref("xinhua", VARIANTS["dateline"], source="新华社"),
        _ref("ppl", VARIANTS["cut"], source="人民网", published=t, author="张三"),
        _ref("xinhua-excerpt", FIRST_HALF, source="新华社"),
    ]
    assert choose_representative(members) == "xinhua"
    # Excerpts never represent, whatever the source.
    assert choose_representative([members[3], _ref("ppl", ORIGINAL, source="人民网")]) == "ppl"
    # Equal authority: the more complete text, then the one with a date.
    a = _ref("a", ORIGINAL, source="人民网")
    b = _ref("b", ORIGINAL, source="人民网", published=t)
    assert choose_representative([a, b]) == "b"
    # A preset's own ranks, and a rank on the doc, win over the defaults.
    assert choose_representative(members[:3], ranks={"央视网": 0}) == "cctv"
    assert choose_representative([members[1], _ref("x", ORIGINAL, rank=-1)]) == "x"
    with pytest.raises(ValueError):
        choose_representative([])


def test_source_rank_prefix_and_unknown():
    assert source_rank(DocRef("a", signature(""), source="新华社客户端")) == 0
    assert source_rank(DocRef("a", signature(""), source="某某网")) == 9


def test_cluster_ignores_entries_already_in_the_index():
    from zhuanlan.dedup.index import LSHIndex

    idx = LSHIndex()
    idx.add("old", signature(ORIGINAL))
    assert cluster([_ref("new", VARIANTS["editor"])], index=idx) == [["new"]]


def test_verified_candidates_decide_as_verify_does_on_every_candidate():
    """The vectorised path (estimates over the index's matrix, then relation() on the few
    that can pass) keeps exactly the candidates, relations and scores that verify() on
    each candidate keeps, over copies, excerpts both ways, hard negatives and chance
    collisions (a low band threshold makes many candidates that do not verify)."""
    from zhuanlan.dedup.index import LSHIndex
    from zhuanlan.dedup.stories import verified_candidates

    texts = {"orig": ORIGINAL, "topic": SAME_TOPIC, "other": OTHER, "half": FIRST_HALF,
             "para": PARAS[0], **VARIANTS}
    sigs = {k: signature(t) for k, t in texts.items()}
    for bands, rows in ((42, 3), (64, 1)):            # rows=1: nearly everything collides
        index = LSHIndex(bands, rows)
        for k, s in sigs.items():
            index.add(k, s)
        for k, s in sigs.items():
            expected = []
            for cid in index.query(s):
                rel, score = verify(s, index.get(cid).signature)
                if rel is not None:
                    expected.append((cid, rel, score))
            assert verified_candidates(index, s) == expected, (bands, rows, k)
    # The test is only worth something if it saw every kind of outcome.
    index = LSHIndex(64, 1)
    for k, s in sigs.items():
        index.add(k, s)
    rels = {r for s in sigs.values() for _c, r, _s in verified_candidates(index, s)}
    assert {"same", "contained", "contains"} <= rels
    assert len(index.query(sigs["topic"])) > len(verified_candidates(index, sigs["topic"]))
