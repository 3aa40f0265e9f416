"""Mojibake: text damaged by reading bytes with the wrong Chinese charset, found and,
where the bytes allow, repaired.

The kinds met on Chinese pages, and what can be done about each:

- UTF-8 bytes read as GBK / GB18030, ``鍏ㄩ潰鎺ㄨ繘`` for 全面推进: encode GB18030,
  decode UTF-8.
- GBK bytes read as Latin-1 / cp1252, ``ÖÐ¹ú`` for 中国: encode Latin-1, decode GB18030.
- UTF-8 bytes read as Latin-1 / cp1252, ``ä¸­å›½`` for 中国: encode Latin-1, decode UTF-8.
- GBK bytes read as UTF-8 with ``surrogateescape`` (lone surrogates U+DC80–DCFF):
  encode back, decode GB18030.
- GBK out of step after a lost byte (``??萍紕`` for ?科技…): the run's bytes again,
  less one byte where the damage begins, decoded GB18030. Only detectable where the
  text out of step holds rare or private-use characters; a run of common ones that
  happen to pair up is indistinguishable from text by single-character counts.
- Bytes lost to U+FFFD, then perhaps re-encoded (``锟斤拷`` is EF BF BD EF BF BD read as
  GBK; ``烫烫烫`` filler bytes): nothing to repair; flagged only. Any U+FFFD is flagged.
- Bytes lost to ``?`` by an encoder that had no character for them, the rest read out of
  step: the seed's ``深入发展??萍紕?chuàng)新`` (科技创(chuàng)新 with two bytes gone; the
  ``(`` was eaten with them). Flagged, kept as it is: a run of two or more ASCII ``?``
  (three or more ``？``) glued to a Han character, or a toned pinyin annotation closed
  but never opened (``?chuàng)``, ``创chuàng)``). A single ``？`` after a question
  (你好？我很好), a proper ``（chuàng）`` and a ``?`` in a URL are not damage.

A repair is tried one line (or one run of Latin-1 letters) at a time, because a page is
often put together from a template and content stored in different charsets, and it is
kept only when the result is clearly better Chinese than what was there: more of the
*common* characters, fewer rare, private-use and replacement characters
(:func:`quality`). A byte lost before we saw the text stays lost: the character it
belonged to becomes one ``\\ufffd`` and the text keeps the ``mojibake`` flag beside
``mojibake_repaired``. Most losses are the odd last byte of a run (a UTF-8 character is
three bytes, a GBK one two); a GB18030 decoder also has no character for byte 0x80,
which is guessed back when that gives a common character in step with its neighbours
(see :func:`_utf8_read_as_gbk`). A ``?`` written for a lost byte (``??萍紕``) is kept as
it is. On every Chinese ground-truth body of the corpus damaged as UTF-8 read by a
GB18030 decoder, 98.1% of the characters come back (strict GBK decoder: 88.5%), and
about 0.1% come back wrong.

*Common characters* are GB2312's level-1 hanzi (3,755, chosen by frequency of use,
ordered by pinyin; the forerunner of 通用规范汉字表 level 1) together with Big5's 常用字
(5,401, so that a Traditional text is not mistaken for damage), 6,722 in all, read out
of Python's own codecs so no data file is shipped. On the Chinese ground-truth texts of
the extraction corpus (180 k CJK characters) they cover 99.9% of the characters; on UTF-8
text read as GBK, about 40%.

Never repaired, never flagged: clean text. ``tests/text/test_mojibake.py`` checks it on
every ground-truth text of the extraction corpus (Chinese and eight other languages),
among them texts with isolated private-use characters (a CMS's made-up characters for rare
names) and cp1252 quotes read as C1 controls, which are not mojibake in this sense.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["MOJIBAKE", "MOJIBAKE_REPAIRED", "repair_mojibake", "quality", "common_chars"]

MOJIBAKE = "mojibake"
MOJIBAKE_REPAIRED = "mojibake_repaired"


def _pairs(codec: str, leads: range, trails: list[int]) -> set[str]:
    out = set()
    for lead in leads:
        for trail in trails:
            try:
                out.add(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                pass
    return out


@lru_cache(maxsize=1)
def common_chars() -> frozenset[str]:
    """GB2312 level-1 hanzi ∪ Big5 常用字: the characters a clean Chinese text is
    almost entirely made of (see the module docstring)."""
    gb_level1 = _pairs("gb2312", range(0xB0, 0xD8), list(range(0xA1, 0xFF)))
    big5_level1 = _pairs("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)])
    return frozenset(ch for ch in gb_level1 | big5_level1 if "\u4e00" <= ch <= "\u9fff")


# Punctuation and symbols of clean Chinese text: CJK symbols, full-width forms, general
# punctuation (—…“”), and · × ÷ °.
_COMMON_MARKS = frozenset(
    [chr(c) for c in range(0x3000, 0x3040)] + [chr(c) for c in range(0xFF01, 0xFF5F)]
    + [chr(c) for c in range(0x2010, 0x2040)] + list("·×÷°§±¥©®\u00a0")
    + [chr(c) for c in range(0x2460, 0x24A0)] + [chr(c) for c in range(0x2160, 0x2180)]
    + [chr(c) for c in range(0x25A0, 0x2600)] + [chr(c) for c in range(0x2600, 0x2700)])


@lru_cache(maxsize=1)
def _good() -> frozenset[str]:
    return common_chars() | _COMMON_MARKS


@lru_cache(maxsize=1)
def _plain() -> frozenset[str]:
    """Characters that never make a text suspect: ASCII, common hanzi and marks."""
    return _good() | frozenset(chr(c) for c in range(128))


def quality(s: str) -> tuple[int, int]:
    """(good, bad) characters of ``s``: good are common hanzi and Chinese punctuation,
    bad every other non-ASCII character (rare hanzi, private use, U+FFFD, Latin-1
    letters, controls …). ASCII counts as neither: it reads the same in every charset."""
    good_set = _good()
    good = bad = 0
    for ch in s:
        if ch < "\x80":
            continue
        if ch in good_set:
            good += 1
        else:
            bad += 1
    return good, bad


def _better(repaired: str, original: str, *, lossy: bool, short: bool = False) -> bool:
    """Whether ``repaired`` is clearly better Chinese than ``original``.

    Tuned on the cases in test_mojibake.py and the extraction corpus. A repair must give
    at least two common characters (one for a ``short`` run in a line already found
    damaged: ``5ÔÂ1ÈÕ`` is 5月1日), few other characters (a quarter of the good ones;
    in a ``lossy`` repair U+FFFD, one per lost character, is not counted there but the
    good ones must still outnumber all the bad ones), and it must win on good − bad by
    at least two (one for a short run).
    """
    good, bad = quality(repaired)
    lost = repaired.count("\ufffd") if lossy else 0
    if good < (1 if short else 2) or (bad - lost) * 4 > good or (lossy and bad >= good):
        return False
    og, ob = quality(original)
    return good - bad >= og - ob + (1 if short else 2)


_LOST = re.compile("\ufffd+")

# Runs of text read as Latin-1 / cp1252: a high character, then high characters or the
# ASCII letters and signs (0x40–0x7E) that GBK uses as second bytes.
_CP1252_HIGH = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_HIGH = f"\x80-\xff{_CP1252_HIGH}"
_LATIN_RUN = re.compile(f"[{_HIGH}][{_HIGH}\ufffd\x40-\x7e]*")
_CP1252_BYTE = {ch: ch.encode("cp1252")[0] for ch in _CP1252_HIGH}

_SURROGATES = re.compile("[\udc80-\udcff]")
# Replacement characters re-encoded as UTF-8 and read as GBK (EF BF BD EF BF BD); 0xCC and
# 0xCD filler bytes read as GBK.
_LOST_MARKS = re.compile("(?:锟斤拷)+|(?:烫){3,}|(?:屯){3,}|\ufffd")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TONED_VOWELS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# Question marks standing for lost bytes: ASCII runs touching a Han character, or long
# full-width runs between two; and pinyin with a tone mark closed by a bracket that was
# never opened, right after a Han character or a lost-byte mark.
_LOST_QUESTION = re.compile(
    f"(?:[{_HAN}]\\?{{2,}}|\\?{{2,}}[{_HAN}]|[{_HAN}]？{{3,}}[{_HAN}])")
_UNOPENED_PINYIN = re.compile(
    f"(?<=[{_HAN}?？])[a-zü]*[{_TONED_VOWELS}][a-zü{_TONED_VOWELS}]{{0,5}}[)）]")


def _lost_marks(text: str) -> bool:
    return bool(_LOST_MARKS.search(text) or _LOST_QUESTION.search(text)
                or _UNOPENED_PINYIN.search(text))


def _latin_bytes(run: str) -> bytes | None:
    out = bytearray()
    for ch in run:
        code = ord(ch)
        if code < 256:
            out.append(code)
        elif ch in _CP1252_BYTE:
            out.append(_CP1252_BYTE[ch])
        elif ch == "\ufffd":      # a byte cp1252 has no letter for, lost
            out.append(0xFF)
        else:
            return None
    return bytes(out)


def _repair_latin_run(run: str, *, short: bool = False) -> str | None:
    """The Chinese text a Latin-1 run stands for, when it clearly is one.

    UTF-8 is tried first and, when the bytes are valid UTF-8, is the only reading: valid
    UTF-8 is rare by chance, so ``funÃ§Ã£o`` is função read as Latin-1, not 莽茫 in GBK.
    """
    raw = _latin_bytes(run)
    if raw is None:
        return None
    try:
        repaired = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return repaired if _better(repaired, run, lossy=False, short=short) else None
    try:
        repaired = raw.decode("gb18030")
    except UnicodeDecodeError:
        pass
    else:
        if _better(repaired, run, lossy=False, short=short):
            return repaired
    for codec in ("gb18030", "utf-8"):
        repaired = _LOST.sub("\ufffd", raw.decode(codec, errors="replace"))
        if _better(repaired, run, lossy=True, short=short):
            return repaired
    return None


def _repair_latin(line: str) -> str:
    """``line`` with its Latin-1 runs repaired; once one long run was, the short ones
    between digits (``5ÔÂ1ÈÕ``) are judged knowing the line is damaged."""
    found = False

    def long_run(m: re.Match) -> str:
        nonlocal found
        fixed = _repair_latin_run(m.group())
        found = found or fixed is not None
        return fixed or m.group()

    line = _LATIN_RUN.sub(long_run, line)
    if found:
        line = _LATIN_RUN.sub(lambda m: _repair_latin_run(m.group(), short=True) or m.group(),
                              line)
    return line


_GAP = re.compile("[\ufffd€]")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _guess_0x80(raw: bytearray, at: int) -> bool:
    """Whether byte 0x80 at ``at`` makes a common character with its neighbours and
    the bytes after it stay in step (the next character decodes too). A gap of two
    bytes (what Python's strict GBK codec leaves for a user-defined pair) fails the
    second test: 涓 + 0x80 would make 一, but the next bytes are then out of step."""
    good = _good()
    for start in (at - 2, at - 1, at):
        if start < 0:
            continue
        try:
            ch = bytes(raw[start:start + 3]).decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(ch) != 1 or ch not in good:
            continue
        after = raw[start + 3:start + 6]
        if not after or after[0] < 0x80 or after[0] in (0x80, 0xFF):
            return True
        try:
            bytes(after).decode("utf-8")
            return True
        except UnicodeDecodeError:
            return False
    return False


def _utf8_read_as_gbk(line: str) -> tuple[str, bool]:
    """``line`` as it reads when its GB18030 bytes are taken for UTF-8, and whether
    bytes were lost.

    The gaps: a GB18030 decoder has no character for byte 0x80, the commonest UTF-8
    continuation byte; Python's gives U+FFFD for it, browsers and cp936 give €. So €,
    and a U+FFFD between two non-ASCII characters of a line read by a GB18030 decoder,
    are read as 0x80 when that makes a common character with the bytes around it. A
    GB18030 decoder is recognised by the private-use characters it gives for the
    user-defined pairs; a strict GBK decoder leaves U+FFFD for those instead, so there a
    gap can be any of a dozen bytes and is not guessed. Any other U+FFFD (a lead byte that met
    an ASCII character, typically the odd last byte of a run) is a byte UTF-8 never
    has, so its character is lost rather than invented; a run of losses becomes one
    U+FFFD.
    """
    raw = bytearray()
    guesses = []
    pos = 0
    gb18030 = _PRIVATE_USE.search(line) is not None
    for m in _GAP.finditer(line):
        raw += line[pos:m.start()].encode("gb18030", errors="replace")
        nxt = line[m.end():m.end() + 1]
        if m.group() == "€" or (gb18030 and nxt >= "\x80" and nxt != "\ufffd"):
            guesses.append(len(raw))
            raw.append(0x80)
        else:
            raw.append(0xFF)
        pos = m.end()
    raw += line[pos:].encode("gb18030", errors="replace")
    for at in guesses:
        if not _guess_0x80(raw, at):
            raw[at] = 0xFF
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return _LOST.sub("\ufffd", raw.decode("utf-8", errors="replace")), True


# What GBK bytes out of step read as: hanzi, private use, and GBK's symbols (CJK and
# full-width punctuation, ⒄ and the like, box drawing, Greek, Cyrillic). A run must be
# mostly hanzi and private use: a Russian word is not GBK out of step.
_CJK_RUN = re.compile("[\u3000-\u303f\u4e00-\u9fff\ue000-\uf8ff\uff00-\uffef\ufffd"
                      "\u2460-\u257f\u0391-\u03c9\u0401-\u0451]{2,}")
_HANZI_OR_PRIVATE = re.compile("[\u4e00-\u9fff\ue000-\uf8ff]")
# How far before the first odd character a run may have gone out of step: text out of
# step is mostly level-1 hanzi, so a few of them can come before the first rare one.
_REALIGN_BACK = 8


def _gb_bytes(text: str) -> bytes:
    """``text``'s GB18030 bytes, each U+FFFD a byte no GBK character starts with."""
    return b"\xff".join(p.encode("gb18030", errors="replace") for p in text.split("\ufffd"))


def _realign_run(run: str, odd: frozenset[str]) -> str | None:
    """A GBK run out of step (``??萍紕`` is 科技 without its first byte) put back in step:
    one byte dropped where the damage begins; the character that byte belonged to is
    lost."""
    first_odd = next((i for i, ch in enumerate(run) if ch in odd), None)
    if first_odd is None or len(_HANZI_OR_PRIVATE.findall(run)) * 2 < len(run):
        return None
    # From the first odd character back: an earlier start must win by two, or the
    # intact characters before the damage would be thrown away for a chance gain.
    best, best_score = None, None
    starts = [*range(first_odd, max(0, first_odd - _REALIGN_BACK) - 1, -1)]
    if starts[-1] != 0:
        starts.append(0)
    for start in starts:
        raw = _gb_bytes(run[start:])
        tail = _LOST.sub("\ufffd", "\ufffd" + raw[1:].decode("gb18030", errors="replace"))
        candidate = run[:start] + tail
        good, bad = quality(candidate)
        if best_score is None or good - bad >= best_score + 2:
            best, best_score = candidate, good - bad
    return best if best is not None and _better(best, run, lossy=True) else None


def _realign(line: str, odd: frozenset[str]) -> str | None:
    changed = _CJK_RUN.sub(lambda m: _realign_run(m.group(), odd) or m.group(), line)
    return changed if changed != line else None


def _repair_line(line: str, *, short: bool = False) -> str | None:
    """``line`` repaired, or None when no repair is clearly better (``short``: judged
    as a short line of a text already found damaged)."""
    if _SURROGATES.search(line):
        try:
            raw = line.encode("utf-8", errors="surrogateescape")
        except UnicodeEncodeError:      # other lone surrogates: not bytes we can recover
            return None
        repaired = _LOST.sub("\ufffd", raw.decode("gb18030", errors="replace"))
        if _better(repaired, line, lossy=True, short=short):
            return repaired
        return None
    changed = line
    if _LATIN_RUN.search(line):
        changed = _repair_latin(line)
    if changed != line:
        return changed
    repaired, lossy = _utf8_read_as_gbk(line)
    if repaired != line and _better(repaired, line, lossy=lossy, short=short):
        return repaired
    if not short:
        return _realign(line, frozenset(ch for ch in line if ch not in _plain()))
    return None


def repair_mojibake(text: str) -> tuple[str, bool, bool]:
    """(text, damaged, repaired): ``text`` with its mojibake repaired where the bytes
    allow, whether damage was found, and whether any was repaired. Pure; never raises.

    Clean text is returned as is (the same object), quickly: the per-line work only
    starts on a line holding at least two characters outside ASCII, common hanzi and
    Chinese punctuation, or a lost-byte mark.
    """
    if not text or text.isascii():
        return text, False, False
    odd = set(text) - _plain()
    if not odd:
        return text, _lost_marks(text), False
    repaired_any = False
    lines = text.split("\n")
    short: list[int] = []
    for i, line in enumerate(lines):
        if sum(1 for ch in line if ch in odd) < 2 and "\ufffd" not in line:
            if any(ch in odd for ch in line):
                short.append(i)
            continue
        fixed = _repair_line(line)
        if fixed is not None:
            lines[i] = fixed
            repaired_any = True
    # A text with damaged lines has its one-character lines damaged too (脳 is ×).
    if repaired_any:
        for i in short:
            fixed = _repair_line(lines[i], short=True)
            if fixed is not None:
                lines[i] = fixed
    out = "\n".join(lines) if repaired_any else text
    damaged = repaired_any or _lost_marks(out) or bool(_SURROGATES.search(out))
    return out, damaged, repaired_any
