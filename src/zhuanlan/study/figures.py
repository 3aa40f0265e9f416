"""An issue's figures as the statistics pages and exports show them: one row per person
and the department tree rolled up (``rollup``). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from zhuanlan.study.rollup import Figures, tree_order
from zhuanlan.study.scope import Scope


@dataclass
class PersonRow:
    subscriber_id: int
    name: str
    employee_no: str
    email: str
    department: str
    delivered: bool
    opened: int            # articles opened
    studied: int           # articles confirmed
    seconds: int
    items: int             # articles in the issue
    too_quick: int = 0     # confirmations with too little reading time

    @property
    def done(self) -> bool:
        return self.items > 0 and self.studied >= self.items


@dataclass
class IssueStats:
    issue: dict
    column: dict
    items: int
    nodes: dict[str, Figures]
    people: list[PersonRow]

    @property
    def tree(self) -> list[Figures]:
        """Depth first; for a limited scope the total and the units inside it only (the
        ancestors above it would count the same people again under another name)."""
        return [f for f in tree_order(self.nodes)
                if not f.path or self.scope.contains(f.path)]

    @property
    def total(self) -> Figures:
        return self.nodes[""]

    anonymous: int = 0     # anonymous browsers that opened an article of the issue
    min_seconds: int = 0   # the column's minimum reading time per article (0: none)
    scope: Scope = Scope()  # the units these figures cover
    # How many have not studied, when ``people`` holds only the first of them (a page).
    pending_count: int | None = None

    def not_studied(self, department: str = "") -> list[PersonRow]:
        """Recipients who have not confirmed every article, in the department's subtree."""
        prefix = department.strip("/")
        return [p for p in self.people if p.delivered and not p.done and (
            not prefix or p.department == prefix or p.department.startswith(prefix + "/"))]
