"""Bounds on the numbers that URLs and forms carry.

Ids are 32-bit integers in the PostgreSQL schema (and any id a visitor types is
untrusted), so a number outside 1 … 2³¹−1 can name nothing: it is refused at the door
with a 422 instead of reaching the database as an overflow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Form, Path, Query

MAX_ID = 2**31 - 1

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
OptionalFormId = Annotated[int | None, Form(ge=1, le=MAX_ID)]
OptionalQueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]


_REASONS = {
    "missing": "缺少此项",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是或否",
    "greater_than_equal": "超出范围",
    "greater_than": "超出范围",
    "less_than_equal": "超出范围",
    "less_than": "超出范围",
    "string_too_long": "太长",
    "string_too_short": "太短",
    "string_pattern_mismatch": "格式不对",
    "literal_error": "不是可选的值",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "格式不对",
    "dict_type": "格式不对",
    "list_type": "格式不对",
}

_PLACES = {"path": "地址中的", "query": "查询参数", "body": "提交的", "header": "请求头"}


def validation_message(errors: Sequence[dict]) -> str:
    """One Chinese line for FastAPI's validation errors: which value, what is wrong."""
    parts = []
    for err in errors[:5]:
        loc = [str(x) for x in err.get("loc", ())]
        place = _PLACES.get(loc[0], "") if loc else ""
        name = ".".join(loc[1:]) or "请求"
        parts.append(f"{place}「{name}」{_REASONS.get(err.get('type', ''), '无效')}")
    return "请求参数无效：" + "；".join(parts)


def validation_detail(errors: Sequence[dict]) -> list[dict]:
    """The errors without the offending input (it may be megabytes of an attacker's)."""
    return [{"loc": list(e.get("loc", ())), "type": e.get("type"), "msg": e.get("msg")}
            for e in errors[:20]]
