"""Copies of one story in the store, assigned to their story the way the worker does it
(``assign_story`` with a real signature), without fetching pages."""

from __future__ import annotations

import itertools
import json
from datetime import datetime

from zhuanlan.dedup.minhash import signature
from zhuanlan.jobs.story_index import assign_story
from zhuanlan.store.schema import articles, candidates

# One dispatch as several outlets carry it; every copy has the same body so that it
# verifies as "same" whatever its outlet.
DISPATCH = "\n".join((
    "新华社北京11月23日电 党的二十大精神学习宣讲活动在全国各地持续深入开展。",
    "各地各部门结合实际，组织党员干部认真学习党的二十大报告，把学习成果转化为推动高质量发展的实际行动。",
    "在北京，多个社区组织理论宣讲小分队走进楼院，用群众听得懂的语言讲解报告中的新思想新论断。",
    "在上海，部分企业把学习二十大精神与科技创新结合起来，组织技术骨干开展专题研讨。",
    "有关负责人表示，下一步将推动学习宣讲常态化，引导广大党员干部学深悟透、笃行实干。",
))
OTHER_TOPIC = "\n".join((
    "本报讯 今年秋粮收购工作全面展开，各地粮食部门提前做好仓容准备和资金安排。",
    "在黑龙江，收购网点延长营业时间，为农民售粮提供预约、烘干和检验一条龙服务。",
    "在河南，粮食企业推广线上签约，农民在手机上就能查询收购价格和排队情况。",
    "业内人士表示，秋粮收购平稳有序，市场供应充足，价格保持基本稳定。",
))

_ids = itertools.count(1)


def add_copy(zl, outlet: str, now: datetime, *, text: str = DISPATCH,
             title: str | None = None) -> int:
    """Store an article of ``outlet`` (its ``source_name``, which sets its authority) and
    put it into its story as the worker would. Returns the article id."""
    n = next(_ids)
    title = title or f"{outlet}：学习宣讲二十大精神"
    with zl.db.write() as conn:
        article_id = conn.execute(articles.insert().values(
            url=f"http://news.example.cn/{n}.html", canonical_url=f"http://news.example.cn/{n}",
            content_hash=f"story-copy-{n}", title=title, text=text, title_orig=title,
            text_orig=text, source_name=outlet, published_at=now, flags="",
            created_at=now)).inserted_primary_key[0]
        assign_story(conn, zl.story_index, article_id, signature(text), now)
    return article_id


def propose(zl, column_id: int, article_id: int, now: datetime) -> int:
    """A pending candidate of the article's story in the column. Returns its id."""
    from sqlalchemy import select

    with zl.db.write() as conn:
        story_id = conn.execute(select(articles.c.story_id)
                                .where(articles.c.id == article_id)).scalar()
        return conn.execute(candidates.insert().values(
            column_id=column_id, article_id=article_id, state="pending", score=1.0,
            terms=json.dumps(["二十大"]), reason="命中：二十大", story_id=story_id,
            created_at=now)).inserted_primary_key[0]
