"""The sources page's preset list: every preset is offered, the ones already added are
shown as such (not silently missing), and when all are added the page says so."""

from __future__ import annotations

import re

from tests.web.conftest import logged_in
from zhuanlan.sources.presets import load_presets


def _options(html: str) -> dict[str, str]:
    select = re.search(r'<select name="preset">(.*?)</select>', html, re.S).group(1)
    return dict(re.findall(r'<option value="([^"]+)"([^>]*)>', select))


def test_presets_are_all_listed_and_the_added_ones_marked(site):
    zl, web = site
    presets = load_presets()
    zl.sources.add_preset(presets[0].id)
    client = logged_in(web, "chief", "chief-password")
    try:
        html = client.get("/admin/sources").text
        options = _options(html)
        assert set(options) == {p.id for p in presets}
        assert "disabled" in options[presets[0].id] and "已添加" in html
        assert all("disabled" not in attrs for pid, attrs in options.items()
                   if pid != presets[0].id)
        assert "都已添加" not in html
        for p in presets[1:]:
            zl.sources.add_preset(p.id)
        html = client.get("/admin/sources").text
        assert f"全部 {len(presets)} 个预置信息源都已添加" in html
    finally:
        client.close()
