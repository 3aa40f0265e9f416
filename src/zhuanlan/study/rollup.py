"""Rolling per-person study figures up the department tree (集团 › 公司 › 部门): a
company's figures include every department under it. Pure: the store gives the people
and their department paths, this adds them up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Figures:
    path: str                   # "集团/公司/部门"; "" is the whole organisation
    name: str
    depth: int
    recipients: int = 0         # people the issue was meant for
    delivered: int = 0          # … whose push was sent
    opened: int = 0             # … who opened at least one article
    studied: int = 0            # … who confirmed every article (我已学习)
    seconds: int = 0            # active reading time, summed over the people
    too_quick: int = 0          # 我已学习 with too little reading time (see store.readings)
    children: list[str] = field(default_factory=list)

    @property
    def completion(self) -> float:
        """Studied as a share of the people it was delivered to (0–1)."""
        base = self.delivered or self.recipients
        return self.studied / base if base else 0.0

    @property
    def open_rate(self) -> float:
        base = self.delivered or self.recipients
        return self.opened / base if base else 0.0

    @property
    def avg_minutes(self) -> float:
        """Average active reading time of those who opened, in minutes."""
        return self.seconds / self.opened / 60 if self.opened else 0.0


# The figures that add up the tree; a figure added to ``Figures`` and ``Group`` and named
# here is rolled up like the others.
COUNTED = ("recipients", "delivered", "opened", "studied", "seconds", "too_quick")


@dataclass(frozen=True)
class Person:
    department: str             # path; "" when the person has none
    delivered: bool
    opened: bool
    studied: bool
    seconds: int
    too_quick: int = 0


@dataclass(frozen=True)
class Group:
    """The people of one department, already counted (by the store)."""
    department: str             # path; "" when the people have none
    recipients: int
    delivered: int = 0
    opened: int = 0
    studied: int = 0
    seconds: int = 0
    too_quick: int = 0


def roll_up(people: list[Person], *, root_name: str = "全部") -> dict[str, Figures]:
    """Figures per department path, each including its whole subtree, plus "" for all."""
    return roll_up_groups([Group(p.department, 1, int(p.delivered), int(p.opened),
                                 int(p.studied), p.seconds, p.too_quick) for p in people],
                          root_name=root_name)


def roll_up_groups(groups: list[Group], *, root_name: str = "全部") -> dict[str, Figures]:
    """Figures per department path, each including its whole subtree, plus "" for all,
    from the figures of each department's own people."""
    nodes: dict[str, Figures] = {"": Figures("", root_name, 0)}
    for g in groups:
        for f in chain(nodes, g.department, Figures):
            for name in COUNTED:
                setattr(f, name, getattr(f, name) + getattr(g, name))
    return nodes


def chain(nodes: dict, department: str, make: Callable) -> list:
    """The node of ``department`` (a path) and its ancestors up to the root "", made with
    ``make(path, name, depth)`` where missing: the units a department's figures add to."""
    path = department.strip("/") or "（未分部门）"
    missing = []
    while path not in nodes:
        missing.append(path)
        path = path.rsplit("/", 1)[0] if "/" in path else ""
    for new in reversed(missing):
        parent = nodes[new.rsplit("/", 1)[0] if "/" in new else ""]
        nodes[new] = make(new, new.rsplit("/", 1)[-1], parent.depth + 1)
        parent.children.append(new)
    out = [nodes[missing[0] if missing else path]]
    while out[-1].path:
        out.append(nodes[out[-1].path.rsplit("/", 1)[0] if "/" in out[-1].path else ""])
    return out


def tree_order(nodes: dict[str, Figures]) -> list[Figures]:
    """Depth-first, children by name: the order of an indented table."""
    out: list[Figures] = []

    def walk(path: str) -> None:
        out.append(nodes[path])
        for child in sorted(nodes[path].children):
            walk(child)

    walk("")
    return out
