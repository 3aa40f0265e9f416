"""The cross-validation of bench/extraction.py: folds and a tuner that never sees the
held-out pages (issue 17)."""

from pathlib import Path

from zhuanlan.extract.crossval import catastrophic, cross_validate, date_by_source, folds
from zhuanlan.extract.evaluation import CorpusPage, PageScore
from zhuanlan.extract.params import DEFAULT_PARAMS, ExtractParams


def page(pid: str) -> CorpusPage:
    return CorpusPage(pid, Path("x.html"), "http://x/", "zh", "正文", None, None, None, True)


PAGES = [page(f"a:{i}") for i in range(12)] + [page(f"b:{i}") for i in range(8)]


def test_folds_are_seeded_stratified_and_cover_every_page_once():
    split = folds(PAGES, 4, seed=17)
    assert split == folds(PAGES, 4, seed=17)
    assert split != folds(PAGES, 4, seed=18)
    assert sorted(pid for fold in split for pid in fold) == sorted(p.id for p in PAGES)
    for fold in split:
        assert sum(pid.startswith("a:") for pid in fold) == 3
        assert sum(pid.startswith("b:") for pid in fold) == 2


def test_the_tuner_chooses_on_the_training_folds_only():
    # A setting perfect on fold 1 and useless elsewhere, against defaults that miss one
    # page of fold 1: a tuner that looked at the held-out fold would take it there.
    lucky = ExtractParams(widen_levels=0)
    split = folds(PAGES, 4, seed=1)
    target = set(split[0])

    def run(params):
        out = []
        for p in PAGES:
            if params == lucky:
                good = p.id in target
            else:
                good = True if p.id not in target else p.id != split[0][0]
            out.append(PageScore(p.id, True, True, tp=1.0 if good else 0.0,
                                 fp=0.0 if good else 1.0, fn=0.0 if good else 1.0))
        return out

    cv = cross_validate(PAGES, run, k=4, seed=1, candidates=[DEFAULT_PARAMS, lucky])
    assert [f.chosen_label for f in cv.folds] == ["defaults"] * 4
    assert cv.worst_f1 < 1.0 == max(f.f1 for f in cv.folds)
    assert cv.default_f1 < 1.0


def test_catastrophic_pages_and_dates_by_source():
    ours = [PageScore("a:1", True, True, tp=0.5, fp=0.5), PageScore("b:1", True, True, tp=1.0)]
    ours[1].date_ok = True
    theirs = {"readability": [PageScore("a:1", True, True, tp=0.9, fp=0.1),
                              PageScore("b:1", True, True, tp=0.2, fp=0.8)]}
    bad = catastrophic(ours, theirs)
    assert [pid for pid, _, _ in bad] == ["a:1"]
    assert date_by_source(PAGES, ours) == {"b": (1, 1)}
