"""Quality gate for article extraction (after trafilatura's ``tests/eval_gate.py``).

Runs our pipeline (decode → extract → clean, as ``zhuanlan extract`` does) over the
Chinese pages of the extraction corpus and over our fixtures, and fails when body F1 on
the human-labelled pages, date accuracy or title accuracy fall below the floors pinned in
``floors.json``. No baselines, no network. The corpus's Chinese pages are in the
repository (``tests/fixtures/corpus/extraction``, gzipped, each source with its licence);
when they are missing the gate fails rather than skips, so that a broken checkout cannot
pass for a good one. ``ZHUANLAN_EXTRACTION_CORPUS`` points elsewhere.

Raise a floor when a change lifts the figures for good (re-run ``bench/extraction.py``
and keep the floors a little below what it reports); never lower one to make a change pass
without saying why in ``floors.json``'s ``comment``.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from zhuanlan.extract.evaluation import (
    CorpusPage,
    PageScore,
    date_match,
    load_corpus,
    read_page,
    score_page,
    summarize,
    title_match,
)

REPO = Path(__file__).resolve().parents[2]
FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text("utf-8"))
FIXTURES = REPO / "tests" / "fixtures" / "pages"
TZ = "Asia/Shanghai"


def _corpus_dir() -> Path:
    return Path(os.environ.get("ZHUANLAN_EXTRACTION_CORPUS")
                or REPO / "tests" / "fixtures" / "corpus" / "extraction")


def _run(page: CorpusPage) -> tuple[PageScore, bool]:
    import logging
    import warnings
    warnings.filterwarnings("ignore")
    logging.disable(logging.CRITICAL)
    from zhuanlan.errors import ZhuanlanError
    from zhuanlan.jobs.extraction import extract_one
    try:
        rec = extract_one(read_page(page), page.content_type, page.url, TZ)
        text, title, published = rec["text"], rec["title"], rec["published"]
    except ZhuanlanError:
        text = title = published = None
    return score_page(page, text=text, title=title, published=published), page.human


@pytest.fixture(scope="module")
def corpus_scores() -> list[tuple[PageScore, bool]]:
    corpus = _corpus_dir()
    if not (corpus / "index.jsonl").is_file():
        pytest.fail(f"extraction corpus not found at {corpus}: the checkout is incomplete "
                    f"(tests/fixtures/corpus) or ZHUANLAN_EXTRACTION_CORPUS is wrong",
                    pytrace=False)
    pages = load_corpus(corpus, lang="zh")
    assert len(pages) >= FLOORS["min_pages"], f"only {len(pages)} Chinese pages in {corpus}"
    # Both cores: the gate must stay under a minute.
    with ProcessPoolExecutor(2) as pool:
        return list(pool.map(_run, pages, chunksize=4))


def _floor(name: str, value: float) -> None:
    floor = FLOORS[name]
    assert value >= floor, f"{name} = {value:.3f} is below its floor {floor} (floors.json)"


def test_body_f1_human_zh(corpus_scores):
    summary = summarize([s for s, human in corpus_scores if human])
    _floor("body_f1_human_zh", summary.f1)


def test_body_f1_all_zh(corpus_scores):
    # extractor_output pages are a regression check only (they favour their extractor).
    _floor("body_f1_all_zh", summarize([s for s, _ in corpus_scores]).f1)


def test_date_accuracy(corpus_scores):
    summary = summarize([s for s, _ in corpus_scores])
    _floor("date_accuracy", summary.date_acc or 0.0)


def test_title_accuracy(corpus_scores):
    summary = summarize([s for s, _ in corpus_scores])
    _floor("title_accuracy", summary.title_acc or 0.0)


def test_fixtures_titles_and_dates():
    from zhuanlan.jobs.extraction import extract_one
    for path in sorted(FIXTURES.glob("*.expected.json")):
        expected = json.loads(path.read_text("utf-8"))
        raw = (FIXTURES / path.name.replace(".expected.json", ".html")).read_bytes()
        rec = extract_one(raw, None, expected["url"], TZ)
        assert title_match(rec["title"], expected["title"]), path.name
        assert date_match(rec["published"], expected["published"][:10]), path.name
