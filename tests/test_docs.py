"""The documentation holds: the README stays a front door, every link and picture in it
and in docs/ resolves (anchors included), every setting is documented, and the pages made
from the code (docs/configuration.md, the module map) are current."""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from pathlib import Path

import pytest

from zhuanlan.config import SETTINGS, env_name

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"""\]\(([^)\s]+)\)|<img[^>]*\ssrc="([^"]+)\"""")


def _gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    kept = "".join(c for c in text
                   if c in " -" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, re.M)}


def _links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [a or b for a, b in LINK.findall(text)]


def test_the_readme_is_a_front_door():
    size = len(README.read_bytes())
    # 18 KB: the issue-18 README shows ten real 答题 proposals as they are.
    assert size <= 18 * 1024, f"README.md is {size} bytes; the manual belongs in docs/"
    text = README.read_text(encoding="utf-8")
    for must in ("make run", "make test", "docs/img/desk.png", "docs/img/issue-phone.png"):
        assert must in text


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = []
    for link in _links(page):
        if re.match(r"[a-z]+:", link):        # http:, https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.exists():
            broken.append(link)
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(link)
    assert not broken, f"{page.relative_to(ROOT)}: broken links {broken}"


def test_the_slug_rule_matches_github():
    assert _slug("Stories: one article, many outlets") == "stories-one-article-many-outlets"
    assert _slug("Group robots and webhooks (企业微信 · 钉钉 · 飞书 · Webhook)") == \
        "group-robots-and-webhooks-企业微信--钉钉--飞书--webhook"


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS
               if f"`{s.name}`" not in text or f"`{env_name(s.name)}`" not in text]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"
    assert all(s.help for s in SETTINGS)


def test_generated_pages_are_current():
    gen = _gen_docs()
    stale = [str(path.relative_to(ROOT)) for path, text in gen.outputs().items()
             if path.read_text(encoding="utf-8") != text]
    assert not stale, f"run scripts/gen_docs.py: {stale} out of date"


def test_the_module_map_names_every_module():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    src = ROOT / "src" / "zhuanlan"
    missing = [p.relative_to(src).as_posix() for p in src.rglob("*.py")
               if "migrations" not in p.parts and p.name not in ("__init__.py", "__main__.py")
               and f"`{p.relative_to(src).as_posix()}`" not in text]
    assert not missing, f"modules missing from docs/architecture.md: {missing}"


TEST_PATH = re.compile(r"\btests/[\w/]+(?:\.py|\.json|/)")


def test_every_test_path_named_in_docs_and_code_exists():
    """Docs and comments that point a reader at a test (``tests/jobs/test_delivery_crash.py``,
    ``tests/web/browser/``) point at one that is there."""
    named = [*PAGES, *sorted((ROOT / "src").rglob("*.py")), *sorted((ROOT / "scripts").glob("*"))]
    missing = sorted({f"{page.relative_to(ROOT)}: {path}"
                      for page in named if page.is_file()
                      for path in TEST_PATH.findall(page.read_text(encoding="utf-8"))
                      if not (ROOT / path).exists()})
    assert not missing, "\n".join(missing)
