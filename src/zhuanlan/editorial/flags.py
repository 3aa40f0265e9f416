"""What an article's extraction and cleaning flags mean to the editor deciding on it.

The flags are written by the extractor and the cleaner (``articles.flags``, comma
separated). Only those that should change a decision or a second look are shown: damaged
text, a short piece, a body whose extent was judged. Routine ones (Traditional converted,
pinyin removed) are not news to an editor and stay in the data.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FlagNote", "flag_notes"]


@dataclass(frozen=True)
class FlagNote:
    flag: str
    level: str    # warn: look before approving; info: worth knowing
    text: str


NOTES = {
    "mojibake": ("warn", "正文有乱码（字符集错误或字节丢失），无法完全修复；"
                         "可改用其他媒体刊发的同一报道"),
    "mojibake_repaired": ("info", "正文的乱码已自动修复，请核对"),
    "short": ("info", "短文：正文较短，但判断为页面的主要内容"),
    "body_widened": ("info", "正文范围由程序扩大判断（含表格或分段内容），请核对是否完整"),
    "body_trafilatura": ("info", "本站规则未找到正文，正文由通用提取器给出，请核对"),
}


def flag_notes(flags: str | None) -> list[FlagNote]:
    """The notes for ``flags`` (comma separated), warnings first."""
    found = [f for f in (flags or "").split(",") if f in NOTES]
    notes = [FlagNote(f, *NOTES[f]) for f in found]
    return sorted(notes, key=lambda n: n.level != "warn")
