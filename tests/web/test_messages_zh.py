"""What staff read is Chinese: a source's network error, a channel test, the delivery
report's channel kinds and the audit log's actions and objects. The original English
(the resolver's, httpx's, a platform's errmsg) stays available, folded."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import update

from tests.web.conftest import SLUG, csrf_of, logged_in
from tests.web.test_channels_web import _publish, bots  # noqa: F401  (fixture)
from zhuanlan.channels.chat_http import EndpointRateLimiter
from zhuanlan.store.schema import articles, candidates, sources

ROBOTS = ("robots.txt unreachable (connect: [Errno -2] Name or service not known): "
          "not fetching the site for now")


def _visible(html: str) -> str:
    """The page without its folded parts, tags and scripts: what a reader sees at once."""
    html = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_a_source_network_error_reads_in_chinese_with_the_detail_folded(site):
    zl, web = site
    source_id = zl.add_source("人民网时政", "http://www.people.com.cn/rss/politics.xml")
    with zl.db.write() as conn:
        conn.execute(update(sources).where(sources.c.id == source_id).values(
            last_error=ROBOTS, last_error_kind="connect", last_error_at=datetime.now(UTC),
            consecutive_failures=3))
    chief = logged_in(web, "chief", "chief-password")
    html = chief.get("/admin/sources").text
    row = re.search(rf'<tr[^>]*id="source-{source_id}".*?</tr>', html, re.S).group(0)
    assert "无法抓取（连续 3 次）" in row and "域名无法解析" in row
    assert "Name or service not known" not in _visible(row)
    folded = re.search(r'<details class="technical">.*?</details>', row, re.S).group(0)
    assert "技术细节" in folded and "Name or service not known" in folded
    # The reader-facing home page shows the sources too: Chinese there as well.
    assert "Name or service not known" not in _visible(chief.get("/admin").text)


def test_channel_test_and_report_speak_chinese(site, bots):  # noqa: F811
    zl, web = site
    zl.targets.add("错的群", "dingtalk", {
        "url": bots.dingtalk_url.replace("ddtoken1", "nope"),
        "secret": bots.dingtalk_secret}, columns_=[SLUG])
    chief = logged_in(web, "chief", "chief-password")
    target = zl.targets.get("错的群")
    page = chief.get("/admin/channels")
    r = chief.post(f"/admin/channels/{target['id']}/test",
                   data={"csrf_token": csrf_of(page.text)})
    html = chief.get(r.headers["location"]).text
    flash = re.search(r'<p class="error"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "“错的群”测试失败：" in flash and "access_token 无效" in flash
    assert "errmsg" not in flash and "300001" not in flash
    assert "300001" not in _visible(html) and "300001" in html     # folded on the row

    zl.add_subscriber("wang@example.com", "王五")
    zl.subscribe(SLUG, zl.list_subscribers()[0]["id"])
    _publish(zl)
    assert zl.deliver_chat_due(limiter=EndpointRateLimiter([(10_000, 60.0)])) == 1
    report = chief.get(f"/admin/c/{SLUG}/1/deliveries").text
    targets = re.search(r'<table class="sources" id="target-rows">.*?</table>', report,
                        re.S).group(0)
    assert "<td>钉钉群</td>" in targets and ">dingtalk<" not in targets
    assert "access_token 无效" in _visible(report)
    assert "300001" not in _visible(report) and "300001" in report


def test_audit_log_names_actions_and_objects_as_the_pages_do(site):
    zl, web = site
    now = datetime.now(UTC)
    # Another column's issue first, so that issue ids and issue numbers differ.
    for slug, title in (("other", "经济形势"), (SLUG, "深入学习二十大精神")):
        column = zl.get_column(slug)
        with zl.db.write() as conn:
            aid = conn.execute(articles.insert().values(
                url=f"http://example.com/{slug}", canonical_url=f"http://example.com/{slug}",
                content_hash=slug * 8, title=title, text="党的建设" * 40, title_orig="",
                text_orig="", flags="", created_at=now)).inserted_primary_key[0]
            cid = conn.execute(candidates.insert().values(
                column_id=column["id"], article_id=aid, state="pending", score=1.0,
                terms="", created_at=now)).inserted_primary_key[0]
        zl.decide(cid, "approve", by="ed" if slug == SLUG else "auto")
        zl.publish_now(slug, by="ed")
    chief = logged_in(web, "chief", "chief-password")
    html = chief.get("/admin/audit").text
    seen = _visible(html)
    rows = [re.sub(r"\s+", " ", _visible(r)).strip() for r in re.findall(
        r"<tr data-action=.*?</tr>", html, re.S)]
    assert any("发布" in r and "专栏“学习二十大”" in r and "学习二十大 第1期" in r for r in rows), rows
    assert any("通过" in r and "《深入学习二十大精神》" in r for r in rows), rows
    assert any("系统（自动）" in r and "《经济形势》" in r for r in rows), rows
    assert any(r.split(" ")[3:5] == ["登录", "账号“chief”"] for r in rows), rows
    assert any("添加账号" in r and "角色：只读" in r for r in rows), rows
    for english in ("publish", "approve", "login", "candidate ", "issue ", "column ", " auto ",
                    "viewer", "add_user"):
        assert english not in seen, english
    # The machine form stays for the API and scripts.
    assert zl.audit(1)[0]["action"] == "login"
