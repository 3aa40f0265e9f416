"""Articles to propose 答题 from: the bundled sample site's articles (extracted and
cleaned as the pipeline does) and the Chinese pages of the extraction corpus (their
ground-truth bodies)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from zhuanlan.extract.article import extract_article
from zhuanlan.quiz.propose import QuizSource
from zhuanlan.text.article import clean_article

CORPUS = Path(__file__).parents[1] / "fixtures" / "corpus" / "extraction" / "index.jsonl"
# The sample's two off-topic articles (weather, sports) never reach an issue.
OFF_TOPIC = ("tianqi-lengkongqi.html", "tiyu-zhigong-lanqiu.html")


@lru_cache(maxsize=1)
def sample_articles() -> tuple[tuple[str, str, str], ...]:
    """(file name, clean title, clean text) of the sample site's articles."""
    site = resources.files("zhuanlan.sample").joinpath("site").joinpath("articles")
    out = []
    for page in sorted(site.iterdir(), key=lambda p: p.name):
        if not page.name.endswith(".html"):
            continue
        raw = page.read_bytes()
        try:
            html = raw.decode("utf-8")
        except UnicodeDecodeError:
            html = raw.decode("gb18030")
        article = clean_article(extract_article(html, f"http://127.0.0.1/articles/{page.name}"))
        out.append((page.name, article.title, article.text))
    return tuple(out)


def sample_issue() -> list[QuizSource]:
    """The sample column's on-topic articles as one issue."""
    return [QuizSource(i + 1, title, text) for i, (name, title, text)
            in enumerate(sample_articles()) if name not in OFF_TOPIC]


def corpus_issues(size: int = 6) -> list[list[QuizSource]]:
    """The corpus's Chinese articles with a real body, cut into issues of ``size``."""
    rows = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines() if line]
    rows = [r for r in rows if (r.get("lang") or "").startswith("zh")
            and len(r.get("body") or "") > 300]
    arts = [QuizSource(i + 1, r.get("title") or "", r["body"]) for i, r in enumerate(rows)]
    return [arts[i:i + size] for i in range(0, len(arts), size)]
