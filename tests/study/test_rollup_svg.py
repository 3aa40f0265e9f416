"""The department roll-up and the SVG charts (pure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from zhuanlan.study.rollup import Person, roll_up, tree_order
from zhuanlan.study.svg import bar_chart, line_chart


def test_figures_roll_up_the_tree():
    people = [
        Person("集团/甲公司/办公室", True, True, True, 600),
        Person("集团/甲公司/办公室", True, True, False, 120),
        Person("集团/甲公司/财务部", True, False, False, 0),
        Person("集团/乙公司", True, True, True, 300),
        Person("集团/乙公司", False, False, False, 0),
        Person("", True, False, False, 0),
    ]
    nodes = roll_up(people)
    assert nodes[""].recipients == 6 and nodes[""].delivered == 5
    assert nodes["集团"].recipients == 5 and nodes["集团"].studied == 2
    jia = nodes["集团/甲公司"]
    assert (jia.recipients, jia.opened, jia.studied) == (3, 2, 1)
    assert round(jia.completion, 3) == round(1 / 3, 3)
    assert jia.avg_minutes == (720 / 2) / 60
    yi = nodes["集团/乙公司"]
    assert yi.completion == 1.0          # of the one it was delivered to
    assert nodes["（未分部门）"].recipients == 1
    order = [f.path for f in tree_order(nodes)]
    assert order[0] == "" and order.index("集团") < order.index("集团/甲公司") \
        < order.index("集团/甲公司/办公室")
    assert [f.depth for f in tree_order(nodes)][:3] == [0, 1, 2]


def test_empty_tree_has_a_root_with_zero_rates():
    nodes = roll_up([])
    assert nodes[""].completion == 0.0 and nodes[""].avg_minutes == 0.0


def test_charts_are_well_formed_svg_and_escape_labels():
    bars = bar_chart([("办公室<script>", 50.0), ("财务部", 100.0)], title="完成率 & 部门")
    root = ET.fromstring(bars)
    assert root.tag.endswith("svg")
    assert "<script>" not in bars and "&lt;script&gt;" in bars
    widths = [float(r.get("width")) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert widths[1] == 2 * widths[0]
    line = line_chart(["第1期", "第2期", "第3期"], {"打开率": [10, 50, 90], "完成率": [0, 20, 60]},
                      title="趋势", max_value=100)
    root = ET.fromstring(line)
    polylines = list(root.iter("{http://www.w3.org/2000/svg}polyline"))
    assert len(polylines) == 2
    ys = [float(p.split(",")[1]) for p in polylines[0].get("points").split()]
    assert ys[0] > ys[1] > ys[2]        # rising rates go up the chart
    assert ET.fromstring(line_chart([], {}, title="空"))  # no data still draws
