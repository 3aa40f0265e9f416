"""Portal boilerplate removed from an article body, line by line, and the metadata it
carried (责任编辑, 来源, 作者, 原标题) kept.

Extractors leave the frame of a portal page in the body: share bars (分享到：微信 微博
QQ空间), 【纠错】, 打印本页 / 关闭窗口, 字号：大 中 小, 上一篇 / 下一篇, 返回顶部, the editor
(责任编辑：赵敏, （责编：赵欣悦、牛镛）, 【编辑：王辉】, 编辑/倪家宁), the copyright and ICP
lines, and the 来源 / 本文来源 / 原标题 lines that reposts put at the top or the bottom.
All of these were met in the extraction corpus's ground truth or in the pages around it.

Only whole lines are removed, and only by anchored patterns: a line goes when *all* of
it is widgets and separators, or a label with its colon and a short value, so a body
sentence that mentions 分享 or 编辑 (``编辑部的同志们分享了经验。``) stays. Labels that can
also be content (来源, 作者, 原标题, copyright and reprint notices) are removed only near the
edges: in the first :data:`HEAD_LINES` or the last :data:`TAIL_LINES` non-empty lines.
``数据来源`` and ``图片来源`` are credits of a chart or a photo and always stay.

The text is expected in its clean form (:func:`zhuanlan.text.normalize.clean_text`:
Simplified, half-width letters, one space at most), so the patterns need only the
Simplified spellings.
"""

from __future__ import annotations

import re

__all__ = ["strip_boilerplate", "BOILERPLATE_REMOVED", "HEAD_LINES", "TAIL_LINES"]

BOILERPLATE_REMOVED = "boilerplate_removed"

# How far from the edges the labels that can also be content are looked for. The corpus
# has 原标题 and （来源：梨视频） within the first three lines, and up to five lines of frame
# (免责声明, 【纠错】, 责任编辑, 阅读下一篇) at the end.
HEAD_LINES = 3
TAIL_LINES = 8

# --- Widget lines: all of the line is widgets and separators. -----------------------
_STRONG = (r"分享到|分享至|打印本页|打印此页|打印本文|打印|关闭窗口|关闭本页|关闭|我要纠错|纠错|"
           r"收藏本文|加入收藏|收藏|字号|字体|返回顶部|回到顶部|返回首页|上一篇|下一篇|"
           r"扫一扫在手机(?:上)?打开(?:当前|本)页|扫一扫在手机阅读|手机扫一扫|扫一扫|复制链接|"
           r"推荐给朋友|发送给朋友|举报")
_WEAK = (r"分享|微信朋友圈|朋友圈|微信好友|微信|新浪微博|腾讯微博|人民微博|微博|QQ空间|QQ好友|QQ|"
         r"豆瓣|人人网|评论|点赞|默认|放大|缩小|大|中|小|TOP|Top|T")
_SHARE_TARGETS = re.compile(r"微信|微博|QQ|朋友圈|豆瓣|人人网")
_WIDGET = re.compile(rf"(?:{_STRONG})|(?:{_WEAK})")
_STRONG_RE = re.compile(_STRONG)
_SEPARATORS = re.compile(r"[\s|｜丨/:：,，、·•\-—>»\[\]【】()（）<>《》「」]+")

# --- Labelled lines: label, colon, short value. -----------------------------------------
_EDITOR_LABELS = r"责任编辑|责编|网络编辑|值班编辑|编辑"
_STAFF_LABELS = r"审核|审校|校对|监制|主编|终审|初审|复审|二审|三审|美编|编审|统筹|制作|策划"
_SOURCE_LABELS = r"本文来源|文章来源|稿件来源|新闻来源|信息来源|稿源|来源|出处|转自"
_AUTHOR_LABELS = r"作者|撰文"
_OTHER_LABELS = (r"发布时间|发布日期|发表时间|发表日期|更新时间|浏览次数|阅读次数|"
                 r"点击数|点击量|浏览量|阅读量|访问量|时间|日期")
# 时间：/ 日期： alone head a notice's own lines (时间：5月1日 地点：…), not the frame.
_BARE_LABELS = frozenset({"时间", "日期"})
_ANY_LABEL = (rf"(?:{_EDITOR_LABELS}|{_STAFF_LABELS}|{_SOURCE_LABELS}|{_AUTHOR_LABELS}|"
              rf"{_OTHER_LABELS})")
# 数据来源, 图片来源, 资料来源 … are not sources of the article.
_NOT_A_LABEL = re.compile(r"(?:数据|图片|图像|图表|资料|素材|照片|视频|音频)(?:来源|出处)")
# A label, a colon (or 编辑/倪家宁's slash), the value up to the next label or the end.
_PAIR = re.compile(rf"(?P<label>{_ANY_LABEL})\s*(?:[:：]|(?<=编辑)/)\s*"
                   rf"(?P<value>.*?)\s*(?=(?:{_ANY_LABEL})\s*[:：]|$)")
# （松花江网编辑 孙桂芳）: a bracketed editor with a space instead of the colon.
_BRACKETED_EDITOR = re.compile(rf"^\S{{0,10}}?(?:{_EDITOR_LABELS})\s+(?P<value>\S.{{0,30}})$")
_DATE = re.compile(r"\d{4}\s*[-/年.]\s*\d{1,2}\s*[-/月.]\s*\d{1,2}\s*日?"
                   r"(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?")
_OPENERS, _CLOSERS = "【[（(〔", "】]）)〕"
_SENTENCE_END = re.compile(r"[。！？!?]")
_MAX_VALUE = 60      # 作者：中国国际经济交流中心世界经济研究部部长、研究员徐占忱

# A trailing （责任编辑：张三） stuck to the last paragraph.
_TRAILING_EDITOR = re.compile(rf"\s*[【\[（(]\s*(?:{_EDITOR_LABELS})\s*[:：/]\s*"
                              rf"(?P<value>[^。！？()（）\[\]【】]{{1,30}}?)\s*[】\]）)]\s*$")
# 163.com's editor ids: 杨倩_NF4425.
_EDITOR_ID = re.compile(r"_[A-Za-z]{1,4}\d+$")

# --- Edge lines. ----------------------------------------------------------------------
_ORIGINAL_TITLE = re.compile(r"^[【\[（(]?\s*原标题\s*[:：]\s*(?P<value>.+?)\s*[】\]）)]?$")
_NEXT_PREV = re.compile(r"^(?:阅读)?(?:上一篇|下一篇|上一条|下一条|上一页|下一页)(?:\s*[:：].{0,80})?$")
_COPYRIGHT = re.compile(r"版权所有|版權所有|Copyright|©|All Rights Reserved|ICP备|ICP证|"
                        r"公网安备|网安备|违法和不良信息举报", re.IGNORECASE)
_REPRINT = re.compile(r"转载请注明|未经授权|未经许可|不得转载|禁止转载|谢绝转载|版权归|转载请联系")
_DISCLAIMER = re.compile(r"^[【\[（(]?\s*(?:免责声明|版权声明|特别声明|声明)\s*[:：]")
_MAX_EDGE_LINE = 160
_NO_NAME = frozenset({"", "佚名", "未知", "无", "本站", "网络"})


def _unwrap(line: str) -> str:
    """``line`` without one pair of enclosing brackets (【编辑：王辉】 → 编辑：王辉)."""
    if len(line) >= 2 and line[0] in _OPENERS and line[-1] in _CLOSERS:
        return line[1:-1].strip()
    return line


def _clean_value(value: str) -> str:
    value = value.strip(" :：,，;；、|")
    return _EDITOR_ID.sub("", value).strip()


def _labelled(line: str) -> list[tuple[str, str]] | None:
    """The (label, value) pairs of a line made only of them (and dates), else None."""
    inner = _unwrap(line)
    if _NOT_A_LABEL.search(inner):
        return None
    m = _BRACKETED_EDITOR.match(inner)
    if m and inner is not line and not _SENTENCE_END.search(inner):
        return [("编辑", m.group("value"))]
    rest = _DATE.sub(" ", inner) if _DATE.search(inner) else inner
    start = len(rest) - len(rest.lstrip())
    pairs, pos = [], start
    for m in _PAIR.finditer(rest, start):
        if m.start() != pos and rest[pos:m.start()].strip():
            return None
        value = m.group("value")
        if len(value) > _MAX_VALUE or _SENTENCE_END.search(value):
            return None
        pairs.append((m.group("label"), _clean_value(value)))
        pos = m.end()
    if not pairs or rest[pos:].strip() or rest[:start].strip():
        return None
    return pairs


def _kind(label: str) -> str:
    if re.fullmatch(_EDITOR_LABELS, label):
        return "editor"
    if re.fullmatch(_STAFF_LABELS, label):
        return "staff"
    if re.fullmatch(_SOURCE_LABELS, label):
        return "source_name"
    if re.fullmatch(_AUTHOR_LABELS, label):
        return "author"
    return "other"


def _is_widgets(line: str) -> bool:
    """Whether all of ``line`` is share / print / font-size widgets and separators."""
    rest = _SEPARATORS.sub("", _WIDGET.sub("", line))
    if rest:
        return False
    return bool(_STRONG_RE.search(line)) or len(_SHARE_TARGETS.findall(line)) >= 2


def _edge_junk(line: str, *, tail: bool) -> bool:
    if not tail or len(line) > _MAX_EDGE_LINE:
        return False
    if _DISCLAIMER.match(line):
        return True
    # A copyright line is a notice, not prose: short, at most one sentence.
    if _COPYRIGHT.search(line) and len(line) <= 100 and len(_SENTENCE_END.findall(line)) <= 1:
        return True
    inner = _unwrap(line)
    return bool(_REPRINT.search(line)) and (inner is not line or len(line) <= 60)


def strip_boilerplate(text: str) -> tuple[str, dict[str, str]]:
    """``text`` without the portal's frame lines, and what they said about the article.

    Returns ``(text, meta)``; ``meta`` may hold ``editor`` (责任编辑 before 编辑, as
    written: ``赵欣悦、牛镛``), ``source_name`` (来源 / 本文来源), ``author`` (作者) and
    ``original_title`` (原标题), each the first one found. The text is unchanged (the same
    object) when nothing was removed. Pure; never raises.
    """
    if not text:
        return text, {}
    lines = text.split("\n")
    content = [i for i, line in enumerate(lines) if line.strip()]
    head = set(content[:HEAD_LINES])
    tail = set(content[-TAIL_LINES:])
    meta: dict[str, str] = {}
    editors: list[tuple[int, str]] = []       # (rank, name): 责任编辑 / 责编 rank first
    drop: set[int] = set()

    for i in content:
        line = lines[i].strip()
        edge = i in head or i in tail
        if _is_widgets(line) or _NEXT_PREV.match(line):
            drop.add(i)
            continue
        pairs = _labelled(line)
        if pairs is not None:
            kinds = {_kind(label) for label, _ in pairs}
            bare = all(label in _BARE_LABELS for label, _ in pairs)
            if kinds <= {"editor", "staff"} or (edge and not bare):
                drop.add(i)
                for label, value in pairs:
                    kind = _kind(label)
                    if kind == "editor" and value:
                        editors.append((0 if label in ("责任编辑", "责编") else 1, value))
                    elif kind in ("source_name", "author") and value not in _NO_NAME:
                        meta.setdefault(kind, value)
            continue
        if edge:
            m = _ORIGINAL_TITLE.match(line)
            if m:
                drop.add(i)
                meta.setdefault("original_title", m.group("value"))
                continue
            if _edge_junk(line, tail=i in tail):
                drop.add(i)
                continue
        if i in tail:
            m = _TRAILING_EDITOR.search(line)
            if m and m.start() > 0:
                editors.append((0, _clean_value(m.group("value"))))
                lines[i] = line[:m.start()].rstrip()

    if editors:
        meta["editor"] = min(editors, key=lambda e: e[0])[1]
    if not drop and not editors:
        return text, meta
    kept = [line for i, line in enumerate(lines) if i not in drop]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return out, meta
