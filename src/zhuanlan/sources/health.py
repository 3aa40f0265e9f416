"""A source's health as the editor reads it (zh-CN): the reasons of fetch failures, the
status shown beside each source, and the "suddenly yields nothing" alarm — a layout
change shows up as a list that parses fine and yields no items, which no exception
reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zhuanlan.explain import REASONS, explain
from zhuanlan.sources.spec import SourceSpec

__all__ = ["yield_alarm", "RECENT_POLLS", "REASONS", "Status", "source_status"]

# How many earlier polls count as "used to yield": a list that was empty for the last
# RECENT_POLLS polls has already been alarmed about (or is a dormant channel).
RECENT_POLLS = 5


def yield_alarm(spec: SourceSpec, entries_count: int,
                previous_counts: Sequence[int]) -> str | None:
    """A message in Chinese for the editor when this poll's ``entries_count`` looks like
    a broken preset, else None.

    ``previous_counts`` are the entry counts of earlier successful polls, oldest first.
    Alarms when the list yields nothing although one of the last polls yielded items,
    and when it yields fewer than ``spec.expect_min_items`` (on the first poll too).
    A list that has always been empty and expects nothing raises no alarm.
    """
    recent = [c for c in previous_counts if c is not None][-RECENT_POLLS:]
    usual = max(recent) if recent else 0
    where = f"（{spec.url}）"
    if entries_count == 0 and usual > 0:
        return (f"该信息源此前每次能取到 {usual} 条左右，本次一条也没有取到。"
                f"网站可能已改版或更换了地址，请检查预设的选择器或参数{where}。")
    minimum = spec.expect_min_items
    if minimum and entries_count < minimum:
        if not recent:
            return (f"该信息源首次读取只取到 {entries_count} 条，少于预期的至少 {minimum} 条，"
                    f"请检查地址、参数和选择器{where}。")
        if usual >= minimum:
            return (f"该信息源本次只取到 {entries_count} 条，少于预期的至少 {minimum} 条"
                    f"（此前最多 {usual} 条）。网站可能已改版，请检查预设{where}。")
        if entries_count == 0:
            return (f"该信息源仍然取不到任何条目（预期至少 {minimum} 条），"
                    f"请检查地址、参数和选择器{where}。")
    return None


@dataclass(frozen=True)
class Status:
    level: str   # ok, warn, error, new, off
    label: str
    detail: str = ""
    technical: str = ""   # the original error text, shown folded


def source_status(source: dict) -> Status:
    if not source.get("enabled", True):
        return Status("off", "已停用")
    if source.get("last_error"):
        why = explain(source["last_error"], source.get("last_error_kind"))
        n = source.get("consecutive_failures") or 1
        return Status("error", f"无法抓取（连续 {n} 次）", why.text, why.detail)
    if source.get("alarm"):
        return Status("warn", "需要检查", source["alarm"])
    if source.get("last_note"):
        return Status("warn", "有积压", source["last_note"])
    if source.get("last_success_at"):
        return Status("ok", "正常")
    return Status("new", "等待首次抓取")
