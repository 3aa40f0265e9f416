"""Department paths (集团 › 公司 › 部门) and the tree with head counts. Pure.

A path is written with "/", "›" or ">" between the names (full-width "／" and "＞" too);
its canonical form joins the trimmed names with "/": "集团/公司/部门".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SEPARATORS = re.compile(r"\s*(?:/|›|>|／|＞|»)\s*")
MAX_PATH = 300
MAX_NAME = 200


class PathError(ValueError):
    """A department path that cannot be stored."""


def split_path(text: str | None) -> tuple[str, ...]:
    """The names of a path, root first; () for an empty one."""
    if not text:
        return ()
    parts = [" ".join(p.split()) for p in SEPARATORS.split(str(text).strip())]
    return tuple(p for p in parts if p)


def canonical(text: str | None) -> str:
    """"A › B > C" → "A/B/C"; raises PathError for a path that is too long."""
    parts = split_path(text)
    path = "/".join(parts)
    if len(path) > MAX_PATH:
        raise PathError(f"部门路径超过 {MAX_PATH} 个字符")
    if any(len(p) > MAX_NAME for p in parts):
        raise PathError(f"部门名称超过 {MAX_NAME} 个字符")
    return path


def prefixes(path: str) -> list[str]:
    """"A/B/C" → ["A", "A/B", "A/B/C"]: the path and its ancestors, root first."""
    parts = split_path(path)
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def parent_of(path: str) -> str | None:
    parts = split_path(path)
    return "/".join(parts[:-1]) if len(parts) > 1 else None


def in_subtree(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or below it."""
    return path == root or path.startswith(root + "/")


def display(path: str) -> str:
    """"集团/公司/部门" → "集团 › 公司 › 部门"."""
    return " › ".join(split_path(path))


@dataclass
class DepartmentNode:
    id: int | None
    name: str
    path: str
    direct: int = 0           # active people placed directly in this department
    total: int = 0            # active people in the whole subtree
    children: list[DepartmentNode] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(split_path(self.path)) - 1

    def walk(self):
        """The node and its descendants, depth first, children by name."""
        yield self
        for child in self.children:
            yield from child.walk()


def build_tree(departments: list[tuple[int, str]], counts: dict[int, int]) -> list[DepartmentNode]:
    """The forest of ``departments`` ((id, path) pairs) with head counts: ``counts`` maps a
    department id to the people placed directly in it; each node's ``total`` adds its
    subtree. Roots and children are ordered by name."""
    nodes = {path: DepartmentNode(did, split_path(path)[-1], path, counts.get(did, 0))
             for did, path in departments if path}
    roots: list[DepartmentNode] = []
    for path in sorted(nodes):
        parent = parent_of(path)
        while parent is not None and parent not in nodes:   # a gap in the tree: bridge it
            parent = parent_of(parent)
        (nodes[parent].children if parent is not None else roots).append(nodes[path])

    def total(node: DepartmentNode) -> int:
        node.children.sort(key=lambda n: n.name)
        node.total = node.direct + sum(total(c) for c in node.children)
        return node.total

    roots.sort(key=lambda n: n.name)
    for r in roots:
        total(r)
    return roots
