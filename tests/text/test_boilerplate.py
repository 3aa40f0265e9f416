import json
from pathlib import Path

import pytest

from zhuanlan.text.boilerplate import TAIL_LINES, strip_boilerplate
from zhuanlan.text.normalize import clean_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text"
BODY = "各地各部门认真学习贯彻党中央部署，扎实推进党纪学习教育。"
HALF = "\n\n".join([BODY] * (TAIL_LINES + 1))
LONG_BODY = f"{HALF}\n\n{HALF}"


def _middle(line: str) -> str:
    """``line`` in the middle of a long body, away from both edges."""
    return f"{HALF}\n\n{line}\n\n{HALF}"


# (line, meta it yields). Each is removed wherever it stands in a body.
ANYWHERE = [
    ("分享到：微信 微博 QQ空间", {}),
    ("分享到:", {}),
    ("微信 微博 QQ空间", {}),
    ("打印本页 关闭窗口", {}),
    ("【打印】【关闭】", {}),
    ("[打印本页] [关闭窗口]", {}),
    ("【纠错】", {}),
    ("【我要纠错】", {}),
    ("我要纠错 | 收藏", {}),
    ("字号：大 中 小", {}),
    ("【字号 大 中 小】【打印】【关闭窗口】", {}),
    ("【字体：大 中 小】", {}),
    ("扫一扫在手机打开当前页", {}),
    ("返回顶部", {}),
    ("上一篇：坚持以人民为中心的发展思想", {}),
    ("下一篇：推动高质量发展取得新成效！", {}),
    ("阅读下一篇：", {}),
    ("责任编辑：赵敏", {"editor": "赵敏"}),
    ("责任编辑:王頔", {"editor": "王頔"}),
    ("【责任编辑：刘峻凌】", {"editor": "刘峻凌"}),
    ("[责任编辑:肖春芳]", {"editor": "肖春芳"}),
    ("（责编：赵欣悦、牛镛）", {"editor": "赵欣悦、牛镛"}),
    ("(责编：杨煜)", {"editor": "杨煜"}),
    ("【编辑：张三】", {"editor": "张三"}),
    ("(编辑：文静)", {"editor": "文静"}),
    ("编辑/倪家宁", {"editor": "倪家宁"}),
    ("（松花江网编辑 孙桂芳）", {"editor": "孙桂芳"}),
    ("责任编辑：杨倩_NF4425", {"editor": "杨倩"}),      # 163.com's editor id dropped
    ("责任编辑：", {}),
    ("责任编辑：张三 审核：李四", {"editor": "张三"}),
    ("审核：李四 校对：王五", {}),
]

# Removed only in the first or last lines of a body.
AT_EDGES = [
    ("来源：新华社", {"source_name": "新华社"}),
    ("（来源：梨视频）", {"source_name": "梨视频"}),
    ("信息来源： 内蒙古日报", {"source_name": "内蒙古日报"}),
    ("本文来源：证券市场红周刊", {"source_name": "证券市场红周刊"}),
    ("（本文来源：经济日报 作者：徐占忱）", {"source_name": "经济日报", "author": "徐占忱"}),
    ("2024-05-01 10:30 来源：人民网-人民日报", {"source_name": "人民网-人民日报"}),
    ("发布时间：2024年05月01日 来源：国务院国资委 浏览次数：1234",
     {"source_name": "国务院国资委"}),
    ("作者：陈志坚", {"author": "陈志坚"}),
    ("作者：佚名", {}),
    ("原标题：最强“中国芯”本月商用 华为抢跑5G芯片大战",
     {"original_title": "最强“中国芯”本月商用 华为抢跑5G芯片大战"}),
    ("（原标题：姚明对周琦说了啥？周琦上下半场判若两人）",
     {"original_title": "姚明对周琦说了啥？周琦上下半场判若两人"}),
]

# Removed only at the end of a body.
AT_END = [
    "新华网版权所有 未经授权不得转载",
    "Copyright © 2000-2024 XINHUANET.com All Rights Reserved.",
    "京ICP备10001234号 京公网安备11010502000001号",
    "免责声明：本文来自腾讯新闻客户端自媒体，不代表腾讯网的观点和立场。",
    "【美国The Next Web作品的中文相关权益归腾讯公司独家所有。未经授权，不得转载、摘编等。】",
    "本文为人民网原创，转载请注明出处",
]

# Never removed, wherever they stand.
KEPT = [
    "编辑部的同志们在座谈会上分享了各自的学习体会。",
    "分享经验",
    "他说：“请把这篇文章分享到微信群里。”",
    "编辑：让每一篇稿件都经得起检验，是我们的责任。",
    "数据来源：国家统计局",
    "图片来源：珠海现代有轨电车官网",
    "来源：本报记者整理的一份材料显示，参加学习的人数超过十万人。",
    "中青报·中青网记者 魏其濛 来源：中国青年报",
    "时间：2024年5月1日上午9时",
    "打印机、复印机等办公设备的采购",
    "中国",
    "下一篇文章将介绍具体做法。",
    "其次，播客使互联网版权问题更加复杂。美国唱片工会表示：“播客在使用音乐时，一定要获得版权所有者的许可。”",
]


@pytest.mark.parametrize("line, meta", ANYWHERE)
def test_removed_anywhere(line, meta):
    for text in (f"{line}\n\n{LONG_BODY}", _middle(line), f"{LONG_BODY}\n\n{line}"):
        out, found = strip_boilerplate(text)
        assert out == LONG_BODY
        assert found == meta


@pytest.mark.parametrize("line, meta", AT_EDGES)
def test_removed_at_edges(line, meta):
    for text in (f"{line}\n\n{LONG_BODY}", f"{LONG_BODY}\n\n{line}"):
        out, found = strip_boilerplate(text)
        assert out == LONG_BODY
        assert found == meta
    middle = _middle(line)
    assert strip_boilerplate(middle) == (middle, {})


@pytest.mark.parametrize("line", AT_END)
def test_removed_at_end(line):
    assert strip_boilerplate(f"{LONG_BODY}\n\n{line}") == (LONG_BODY, {})
    middle = _middle(line)
    assert strip_boilerplate(middle)[0] == middle


@pytest.mark.parametrize("line", KEPT)
def test_body_lines_kept(line):
    for text in (f"{line}\n\n{LONG_BODY}", _middle(line), f"{LONG_BODY}\n\n{line}"):
        out, meta = strip_boilerplate(text)
        assert out == text and meta == {}


def test_trailing_editor_stuck_to_the_last_paragraph():
    out, meta = strip_boilerplate(f"{LONG_BODY}\n\n会议强调，推动高质量发展。（责任编辑：张三）")
    assert out == f"{LONG_BODY}\n\n会议强调，推动高质量发展。"
    assert meta == {"editor": "张三"}


def test_responsible_editor_wins_over_editor():
    out, meta = strip_boilerplate(f"{LONG_BODY}\n\n（编辑：严玉洁 王辉）\n\n【责任编辑：严玉洁】")
    assert out == LONG_BODY
    assert meta == {"editor": "严玉洁"}


def test_unchanged_text_is_the_same_object():
    assert strip_boilerplate(LONG_BODY)[0] is LONG_BODY
    assert strip_boilerplate("") == ("", {})


def test_portal_body_fixture():
    raw = (FIXTURES / "portal_body.txt").read_text("utf-8")
    expected = json.loads((FIXTURES / "portal_body.expected.json").read_text("utf-8"))
    out, meta = strip_boilerplate(clean_text(raw).text)
    assert out == expected["text"]
    assert meta == expected["meta"]


def test_traditional_frame_after_cleaning():
    text = clean_text(f"{LONG_BODY}\n\n【責任編輯：陳志堅】\n\n分享到：微信 微博").text
    assert strip_boilerplate(text) == (LONG_BODY, {"editor": "陈志坚"})
