"""答题 on the command line: ``quiz propose`` prints the questions zhuanlan would propose
for a column's next issue (or a published one), each with the sentence it cites. Nothing
is stored; the desk's 生成题目 stores them for review."""

from __future__ import annotations

import argparse

from zhuanlan.app.quiz import KIND_NAMES
from zhuanlan.cli.base import command, facade


def add_parser(sub) -> None:
    s = sub.add_parser("quiz", help="答题: show the questions proposed from an issue's articles")
    ss = s.add_subparsers(dest="action", required=True)
    a = ss.add_parser("propose", help="print the proposals for the next issue (its approved "
                      "articles) or issue N, with their sentences; nothing is stored")
    a.add_argument("slug")
    a.add_argument("--issue", type=int, metavar="N", help="a published issue's number")


@command("quiz")
def cmd_quiz(args: argparse.Namespace) -> int:
    zl = facade(args)
    proposals = zl.quiz.proposals(args.slug, args.issue)
    if not proposals:
        print("没有题目：本期文章中没有找到合适的句子（下一期需要已通过的稿件）")
    for i, (p, title) in enumerate(proposals, 1):
        print(f"{i}. 【{KIND_NAMES[p.kind]}】{p.prompt}")
        if p.kind == "choice":
            print("   选项：" + "　".join(f"{chr(65 + k)}. {c}" for k, c in enumerate(p.choices)))
        print(f"   答案：{p.answer}")
        print(f"   原句：{p.sentence}")
        print(f"   出自：《{title}》")
    return 0
