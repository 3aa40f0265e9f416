"""Where the benchmarks find the extraction corpus.

The whole corpus (Chinese and English pages, ~30 MB) lives beside the repository on the
team's machines, at ``../shared/corpus/extraction``; elsewhere point
``ZHUANLAN_CORPUS`` (or ``--corpus``) at a copy. Its 132 Chinese pages are also in the
repository, at ``tests/fixtures/corpus/extraction`` (gzipped), which the tests use.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IN_REPO = REPO / "tests" / "fixtures" / "corpus" / "extraction"


def corpus_dir(given: str | os.PathLike | None = None) -> Path:
    """The corpus asked for, else ``$ZHUANLAN_CORPUS``, else the one beside the repo."""
    if given:
        return Path(given)
    if os.environ.get("ZHUANLAN_CORPUS"):
        return Path(os.environ["ZHUANLAN_CORPUS"])
    return REPO.parent / "shared" / "corpus" / "extraction"


def require(corpus: Path, bench: str) -> Path:
    """``corpus`` when it holds an index; else say where to get it and stop (exit 0: a
    benchmark that cannot run is skipped, not failed)."""
    if (corpus / "index.jsonl").is_file():
        return corpus
    print(f"{bench}: SKIPPED — the extraction corpus is not at {corpus}. The whole corpus is "
          f"kept beside the repository at ../shared/corpus/extraction on the team's "
          f"machines; elsewhere set ZHUANLAN_CORPUS or pass --corpus. Its Chinese pages "
          f"alone are in the repository: --corpus {IN_REPO.relative_to(REPO)}")
    print("RESULT skipped=1")
    sys.exit(0)
