"""学习心得 as plain text: what a reader typed, made safe and checked, and who may still
change it. Pure: no store, no web.

A reflection is plain text. Any markup is dropped (the contents of ``<script>`` and
``<style>`` with it), control characters go, line breaks stay; the pages escape it
again on display, so nothing a reader writes can become markup on someone else's page.
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

from zhuanlan.errors import RuleError

MIN_CHARS = 20
MAX_CHARS = 2000
# What a reader may paste before it is even cleaned: a long page of markup may clean down
# to little, but a megabyte is no reflection.
MAX_INPUT = 20_000

CONSENT_NAMES = {None: "", "asked": "已征求作者意见，待答复", "granted": "作者同意署名选登",
                 "refused": "作者不同意选登"}
QUESTION = "编辑部拟在下一期选登您的心得，署名显示姓名和部门，是否同意？"

_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_TAG_BREAK = re.compile(r"<\s*br\s*/?\s*>|<\s*/\s*(p|div|li|h[1-6])\s*>", re.I)
_BLANK_RUN = re.compile(r"\n{3,}")


def clean_body(text: str) -> str:
    """The reflection as it is kept: tags and control characters removed, line breaks
    kept (at most one blank line in a row), each line's surrounding blanks trimmed."""
    text = _TAG_BREAK.sub("\n", _BREAKS.sub("\n", text[:MAX_INPUT]))
    text = html.unescape(nh3.clean(text, tags=set()))
    text = "".join(ch for ch in text
                   if ch == "\n" or not unicodedata.category(ch).startswith("C"))
    lines = [line.strip().replace("\u00a0", " ") for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def check_length(body: str) -> None:
    """Raises RuleError (the message the form shows) when the cleaned text is too short
    or too long."""
    if len(body) < MIN_CHARS:
        raise RuleError(f"学习心得至少 {MIN_CHARS} 个字（现有 {len(body)} 个字），请补充后再提交",
                        resource="reflection")
    if len(body) > MAX_CHARS:
        raise RuleError(f"学习心得最多 {MAX_CHARS} 个字（现有 {len(body)} 个字），请删减后再提交",
                        resource="reflection")


def editable(row: dict) -> bool:
    """The author may change a reflection until the editor acted on it (优秀, hidden or
    选登): what the editor judged must stay what they judged."""
    return not (row["excellent"] or row["hidden"] or row["feature_column_id"]
                or row["featured_issue_id"])


def department_label(path: str) -> str:
    """The department as a 选登 names it: the path without the group's root
    ("集团/一公司/办公室" → "一公司 办公室")."""
    parts = [p for p in (path or "").split("/") if p]
    return " ".join(parts[1:] if len(parts) > 1 else parts)
