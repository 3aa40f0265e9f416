"""Selection: which articles each column proposes, how relevant they are, and — learnt
from the editor's decisions — in which order the queue shows them.

* :mod:`~zhuanlan.selection.rules` — keyword lists and the word-boundary matching rule;
* :mod:`~zhuanlan.selection.expr` — the rule language (AND / OR / NOT, phrases, title:);
* :mod:`~zhuanlan.selection.column_rules` — a column's rules and :func:`evaluate`;
* :mod:`~zhuanlan.selection.score` — BM25F relevance, corpus statistics, highlighting;
* :mod:`~zhuanlan.selection.learn` — the online model trained by approve / reject.
"""

from zhuanlan.selection.column_rules import Doc, Rules, evaluate, match, parse_rules
from zhuanlan.selection.learn import Learner, featurize
from zhuanlan.selection.rules import parse_keywords, validate_rules
from zhuanlan.selection.score import CorpusStats, Relevance, highlight, relevance

__all__ = ["match", "parse_keywords", "validate_rules", "Rules", "Doc", "parse_rules",
           "evaluate", "CorpusStats", "Relevance", "relevance", "highlight", "Learner",
           "featurize"]
