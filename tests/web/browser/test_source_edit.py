"""An administrator edits a source in headless Chromium, tries the edited settings with
测试, saves, then deletes the source through its confirmation page. The source's site is
a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser import DESKTOP, PHONE, login, screenshot, start_browser, stop_browser
from tests.support.httpserver import LocalHTTPServer
from tests.support.smtp import free_port
from tests.support.study_seed import organisation, publish
from tests.support.web import WebServer
from tests.web.browser.test_web_pages import submit
from tests.web.test_source_edit import serve
from zhuanlan.store.schema import articles

pytestmark = pytest.mark.slow


@pytest.fixture
def source_site(make_zl):
    from zhuanlan.web.app import create_app

    with LocalHTTPServer() as served:
        serve(served)
        zl = make_zl(fetch__allow_private=[f"127.0.0.1:{served.port}"], fetch__retries=0,
                     fetch__timeout=4.0)
        organisation(zl)
        zl.staff.add_user("chief", "chief-password", role="admin")
        sid = zl.add_source("地方新闻", served.url("/list.html"), kind="html",
                            spec={"item": "ul.news li", "links": "a"})
        with WebServer(create_app(zl), free_port()) as web:
            yield zl, web, served, sid


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_edit_test_save_and_delete_a_source(source_site, size):
    zl, web, served, sid = source_site
    _, [kept] = publish(zl, 1, "pub")
    with zl.db.write() as conn:
        conn.execute(articles.update().where(articles.c.id == kept).values(source_id=sid))
    drv = start_browser(DESKTOP) if size == "desktop" else start_browser(PHONE, mobile=True)
    try:
        login(drv, web.url("/login"), "chief", "chief-password")
        drv.get(web.url("/admin/sources"))
        submit(drv, drv.find_element(By.CSS_SELECTOR, f"#source-{sid} a.edit-source"))
        assert "编辑信息源：地方新闻" in drv.find_element(By.TAG_NAME, "h1").text
        item = drv.find_element(By.NAME, "item")
        item.clear()
        item.send_keys("body li, div.other")
        drv.find_element(By.NAME, "headers").send_keys("X-Token: abc123")
        submit(drv, drv.find_element(By.ID, "probe-button"))
        probe = drv.find_element(By.ID, "probe")
        assert "列表中有 3 篇" in probe.text and "别处的文章" in probe.text
        assert served.requests_to("/list.html")[-1].headers.get("X-Token") == "abc123"
        screenshot(drv, f"source-edit-probe-{size}")
        assert zl.sources.settings(sid)["spec"]["item"] == "ul.news li"   # not saved yet
        name = drv.find_element(By.NAME, "name")
        name.clear()
        name.send_keys("地方新闻（全部）")
        # The page fits the phone's width: nothing to scroll sideways to reach 保存.
        assert drv.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth")
        submit(drv, drv.find_element(By.ID, "save-button"))
        assert "已保存信息源“地方新闻（全部）”" in drv.find_element(By.TAG_NAME, "main").text
        assert zl.sources.settings(sid)["headers"] == {"X-Token": "abc123"}

        submit(drv, drv.find_element(By.ID, "delete-link"))
        effects = drv.find_element(By.ID, "deletion-effects").text
        assert "共 1 篇" in effects and "其中 1 篇在已发布的期中：保留" in effects
        screenshot(drv, f"source-delete-confirm-{size}")
        submit(drv, drv.find_element(By.ID, "confirm-delete"))
        assert "已删除信息源“地方新闻（全部）”" in drv.find_element(By.TAG_NAME, "main").text
        assert zl.list_sources() == []
        drv.get(web.url("/c/xuexi/1"))
        assert "pub 学习文章 0" in drv.find_element(By.TAG_NAME, "main").text
    finally:
        stop_browser(drv)
