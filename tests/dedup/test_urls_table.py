import pytest

from zhuanlan.dedup import canonical_url


@pytest.mark.parametrize("url, expected", [
    ("http://m.people.com.cn/n1/2024/0910/c1001-40316.html",
     "http://www.people.com.cn/n1/2024/0910/c1001-40316.html"),
    ("http://wap.people.com.cn/n1/2024/0910/c1001-40316.html#p2",
     "http://www.people.com.cn/n1/2024/0910/c1001-40316.html"),
    ("http://people.com.cn/n1/a.html", "http://www.people.com.cn/n1/a.html"),
    ("https://m.news.cn/politics/20240910/abc/c.html?utm_source=wx",
     "https://www.news.cn/politics/20240910/abc/c.html"),
    ("https://news.cn/a.htm", "https://www.news.cn/a.htm"),
    ("http://xinhuanet.com/2024-09/10/c_1.htm", "http://www.xinhuanet.com/2024-09/10/c_1.htm"),
    # Index pages of the table's outlets are their directory.
    ("http://www.news.cn/politics/index.html", "http://www.news.cn/politics/"),
    ("http://m.people.com.cn/INDEX.HTM", "http://www.people.com.cn/"),
    ("https://www.gov.cn/yaowen/index.shtml", "https://www.gov.cn/yaowen/"),
    # Other hosts keep their index pages and mobile hosts (paths may differ).
    ("http://x.cn/a/index.html", "http://x.cn/a/index.html"),
    ("https://3g.163.com/news/article/ABC.html", "https://3g.163.com/news/article/ABC.html"),
    ("http://politics.people.com.cn/n1/a.html", "http://politics.people.com.cn/n1/a.html"),
    # Share parameters.
    ("https://www.bilibili.com/video/BV1?spm_id_from=333.1&vd_source=ab&p=2",
     "https://www.bilibili.com/video/BV1?p=2"),
])
def test_outlet_table(url, expected):
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected
