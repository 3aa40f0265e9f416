"""The bundled sample: a local site with a feed and article pages, and the sample
column "学习二十大" fed from it, so that a fresh machine without internet shows a
filled column after ``make run``.

The articles are written for the project (not copied from any outlet); two of them
(weather, sports) are deliberately off-topic, so that the column's rules are seen to
leave them out.
"""

from __future__ import annotations

from zhuanlan.sample.server import SampleSite

__all__ = ["SampleSite", "SAMPLE_SOURCE_NAME", "SAMPLE_COLUMN"]

SAMPLE_SOURCE_NAME = "示例站点（本地）"

SAMPLE_COLUMN = {
    "slug": "xuexi-ershida",
    "name": "学习二十大",
    "description": "围绕党的二十大和二十届三中全会精神，精选权威媒体的理论文章和集团各单位的"
                   "学习动态，每周一推送。",
    "editor_note": "深入学习贯彻党的二十大精神，是当前和今后一个时期的重要政治任务。"
                   "本专栏每周一推送一期，精选权威媒体的理论文章和集团各单位的经验做法，"
                   "内容涵盖二十届三中全会精神、中国式现代化、新质生产力和基层党建等方面。"
                   "请各位同事结合岗位实际认真研读，读完后点击“已学习”确认；"
                   "欢迎把学习体会发给党委宣传部，优秀心得将在后续各期中刊发。",
    "include": "二十大, 三中全会, 中国式现代化, 新质生产力, 学习贯彻",
    "exclude": "",
    "schedule": "0 9 * * 1",
}
