"""One person as an administrator types them in: the fields, their checks (the same as
an import's, per field, in Chinese), and the changes of an edit in words. Pure: whether an
e-mail or 工号 is someone else's is the directory's to ask the store."""

from __future__ import annotations

from collections.abc import Mapping

from zhuanlan.errors import ZhuanlanError
from zhuanlan.people.departments import PathError, canonical, display
from zhuanlan.people.importing import CHAT_FIELDS, LABELS, MAX_LENGTH, valid_email

FIELDS = ("name", "email", "employee_no", "department", *CHAT_FIELDS)


class PersonInvalid(ZhuanlanError):
    """The form has mistakes: ``errors`` maps each field to what is wrong (zh-CN)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()), resource="person")
        self.errors = errors


def check_person(form: Mapping[str, str], departments: set[str]) -> tuple[dict, dict[str, str]]:
    """(the person's values, errors by field). ``department`` must be one of
    ``departments`` (a path of the tree) or empty."""
    values: dict[str, str | None] = {f: " ".join(str(form.get(f) or "").split())
                                     for f in FIELDS}
    errors: dict[str, str] = {}
    name, email, department = (str(values[f]) for f in ("name", "email", "department"))
    if not name:
        errors["name"] = "请填写姓名"
    if not email:
        errors["email"] = "请填写邮箱"
    elif not valid_email(email):
        errors["email"] = f"邮箱格式不正确：{email[:100]}"
    for f, limit in MAX_LENGTH.items():
        if f not in errors and len(values.get(f) or "") > limit:
            errors[f] = f"{LABELS[f]}超过 {limit} 个字符"
    if department:
        try:
            values["department"] = department = canonical(department)
        except PathError as exc:
            errors["department"] = str(exc)
        else:
            if department not in departments:
                errors["department"] = (f"没有这个部门：{display(department)[:100]}"
                                        "（请从部门树中选择）")
    for f in ("employee_no", *CHAT_FIELDS):
        values[f] = values[f] or None
    return values, errors


def change_words(before: Mapping, after: Mapping) -> list[str]:
    """The fields that change, as 「姓名：张三 → 张叁」."""
    out = []
    for f in FIELDS:
        old, new = before.get(f) or "", after.get(f) or ""
        if old != new:
            if f == "department":
                old, new = display(old), display(new)
            out.append(f"{LABELS[f]}：{old or '（空）'} → {new or '（空）'}")
    return out
