"""答题 figures per department, rolled up the tree like the reading figures
(``study.rollup``): a company's figures include every department under it. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from zhuanlan.study.rollup import chain, tree_order
from zhuanlan.study.scope import Scope


@dataclass
class QuizFigures:
    path: str                   # "集团/公司/部门"; "" is the whole organisation
    name: str
    depth: int
    recipients: int = 0         # people the issue was pushed to
    participants: int = 0       # … who answered at least one question for the record
    answers: int = 0            # answers on record (the first attempt of each person)
    correct: int = 0            # … of which right
    children: list[str] = field(default_factory=list)

    @property
    def participation(self) -> float:
        """Participants as a share of the recipients (0–1)."""
        return self.participants / self.recipients if self.recipients else 0.0

    @property
    def score(self) -> float:
        """Average score: the share of answers on record that are right (0–1)."""
        return self.correct / self.answers if self.answers else 0.0


@dataclass(frozen=True)
class QuizGroup:
    """People of one department counted together (the store groups them)."""
    department: str             # path; "" when the people have none
    recipients: int             # pushed the issue
    participants: int           # … and answered at least one question for the record
    answers: int                # answers on record of everyone in the group (a reader
    correct: int                # of a forwarded link adds answers, not a participant)


@dataclass
class QuizStats:
    questions: int
    nodes: dict[str, QuizFigures]
    scope: Scope = Scope()

    @property
    def total(self) -> QuizFigures:
        return self.nodes[""]

    @property
    def tree(self) -> list[QuizFigures]:
        """Depth first; for a limited scope the total and the units inside it only."""
        # tree_order only walks ``path`` and ``children``, which these figures share.
        ordered = cast(list[QuizFigures], tree_order(cast(dict, self.nodes)))
        return [f for f in ordered if not f.path or self.scope.contains(f.path)]


def roll_up_quiz(groups: list[QuizGroup], *, root_name: str = "全部"
                 ) -> dict[str, QuizFigures]:
    """Figures per department path, each including its whole subtree, plus "" for all.
    Participation is a share of the recipients."""
    nodes: dict[str, QuizFigures] = {"": QuizFigures("", root_name, 0)}
    for g in groups:
        for f in chain(nodes, g.department, QuizFigures):
            f.recipients += g.recipients
            f.participants += g.participants
            f.answers += g.answers
            f.correct += g.correct
    return nodes
