"""The 预览 page of the next issue: a section per channel the column uses, the e-mail in
a sandboxed frame at phone width with its subject and plain text, each robot or app
message drawn as a card with its size against the limit; linked from the desk and from
the publish confirmation. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re

from tests.support.appservers import AppServers
from tests.support.study_seed import seed_articles
from tests.web.conftest import SLUG, logged_in


def test_the_preview_shows_every_channel_of_the_next_issue(site):
    zl, web = site
    with AppServers() as servers:
        zl.set_editor_note(SLUG, "认真学习本期文章。")
        for kind in ("wecom", "dingtalk", "feishu"):
            zl.targets.add(f"{kind}应用", f"{kind}_app", servers.config(kind), columns_=[SLUG])
        zl.targets.add("党办群", "wecom",
                       {"url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k"}, columns_=[SLUG])
        seed_articles(zl, 30, "很长的一期" * 8)
        client = logged_in(web, "look", "viewer-password")      # any staff may look
        try:
            page = client.get(f"/admin/c/{SLUG}/preview")
        finally:
            client.close()
    assert page.status_code == 200
    text = page.text
    tabs = re.findall(r'data-tab="([^"]+)"', text)
    assert tabs[0] == "ch-email" and tabs[-1] == "ch-web" and len(tabs) == 6
    frame = re.search(r'<iframe id="email-frame"[^>]*>', text).group(0)
    assert 'sandbox=""' in frame and "width:375px" in frame
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
    assert "认真学习本期文章" in srcdoc and "很长的一期" in srcdoc
    assert 'id="email-subject">学习二十大 · 第1期<' in text
    wecom = text[text.index('data-kind="wecom"'):]
    wecom = wecom[:wecom.index("</section>")]
    assert "将分为" in wecom and "上限 4096 字节" in wecom
    ding = text[text.index('data-kind="dingtalk_app"'):]
    ding = ding[:ding.index("</section>")]
    assert "消息只列出前几篇" in ding and "阅读本期" in ding and "上限 2000 字节" in ding
    assert '<div class="card-title">学习二十大 · 第1期</div>' in ding


def test_the_desk_and_the_confirmation_link_to_the_preview(site):
    zl, web = site
    seed_articles(zl, 1, "本期")
    client = logged_in(web, "ed", "editor-password")
    try:
        link = f'href="/admin/c/{SLUG}/preview"'
        assert link in client.get(f"/admin/c/{SLUG}/review?state=approved").text
        assert link in client.get(f"/admin/c/{SLUG}/publish").text
        assert client.get("/admin/c/nosuch/preview").status_code == 404
    finally:
        client.close()
