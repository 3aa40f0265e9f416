"""Which part of the department tree a staff user may see in the statistics: the whole
organisation, or one or more subtrees ("集团/一公司" covers 集团/一公司/办公室 too). One
object, made from the user and handed down to the store, so that every page, export, API
call and 催学 asks the same question. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from zhuanlan.errors import PermissionDenied


@dataclass(frozen=True)
class Scope:
    departments: tuple[str, ...] = ()     # canonical paths; empty: the whole organisation

    @classmethod
    def of(cls, paths) -> Scope:
        """The scope of these subtrees, a subtree inside another one dropped."""
        clean = sorted({p.strip("/") for p in paths if p and p.strip("/")})
        kept = [p for p in clean if not any(p.startswith(q + "/") for q in clean if q != p)]
        return cls(tuple(kept))

    @property
    def limited(self) -> bool:
        return bool(self.departments)

    def contains(self, path: str) -> bool:
        """Whether the department (a path; "" is the whole organisation) lies inside."""
        path = path.strip("/")
        if not self.limited:
            return True
        return any(path == d or path.startswith(d + "/") for d in self.departments)

    def require(self, path: str) -> None:
        """PermissionDenied unless the department lies inside. "" asks for everything the
        user may see, which is always allowed."""
        if not path.strip("/") or self.contains(path):
            return
        raise PermissionDenied("您只能查看本人管辖单位（"
                               f"{'、'.join(self.departments)}）的统计", resource="department")

    @property
    def label(self) -> str:
        return "、".join(self.departments) if self.limited else "全部单位"


EVERYTHING = Scope()
