"""The generic extractor's tunable thresholds and weights, in one place.

Production uses :data:`DEFAULT_PARAMS`. ``bench/extraction.py`` cross-validates them: for
each fold of the human-labelled Chinese pages it lets :func:`candidate_params` compete on
the other folds and scores the winner on the held-out one, so a default is only believed
when it also holds on pages it was not chosen on. A default changes only when the
cross-validated figure says so (docs/benchmarks.md keeps the history).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

__all__ = ["ExtractParams", "DEFAULT_PARAMS", "candidate_params"]


@dataclass(frozen=True)
class ExtractParams:
    """Knobs of the body finder (:mod:`zhuanlan.extract.density`) and of the choice
    between its body and the alternatives (:mod:`zhuanlan.extract.evidence`)."""

    # A candidate sharing an ancestor with the headline at most this many levels up has
    # its score multiplied by near_headline_boost: a long teaser or comment in a sidebar
    # otherwise wins over a short article.
    near_headline_levels: int = 4
    near_headline_boost: float = 1.5
    # Candidates whose (tag, class) repeats this often are list items (teasers,
    # comments); their score is multiplied by repeated_penalty.
    repeated: int = 3
    repeated_penalty: float = 0.5
    # A sibling of the best candidate joins the body when it scores this share of it.
    sibling_ratio: float = 0.2
    # Fewer sentences than this in the scorer's body: it took a caption or a fragment,
    # and trafilatura's body wins when it holds this many sentences more.
    weak_prose: float = 3.0
    # Widening: an ancestor of the body at most widen_levels up replaces it when it holds
    # widen_gain times its text and at most widen_max_links of that text in links (an
    # article split into sections, a table that continues the text). 0 levels: off.
    widen_levels: int = 2
    widen_gain: float = 1.8
    widen_max_links: float = 0.05


DEFAULT_PARAMS = ExtractParams()


def candidate_params() -> list[ExtractParams]:
    """The settings the cross-validation tuner chooses among: the defaults and a small
    grid around the knobs that moved F1 on the corpus. Kept small on purpose: the more
    settings compete on ~50 training pages, the more the winner fits them by chance."""
    grid = itertools.product((0, 2), (1.5, 1.8, 2.5), (0.05, 0.1), (0.2, 0.3), (3.0, 5.0))
    out = [DEFAULT_PARAMS]
    for levels, gain, links, sibling, weak in grid:
        if not levels:   # widening off: its two knobs mean nothing
            gain, links = DEFAULT_PARAMS.widen_gain, DEFAULT_PARAMS.widen_max_links
        candidate = replace(DEFAULT_PARAMS, widen_levels=levels, widen_gain=gain,
                            widen_max_links=links, sibling_ratio=sibling, weak_prose=weak)
        if candidate not in out:
            out.append(candidate)
    return out
