import pytest

from zhuanlan.dedup import canonical_url


@pytest.mark.parametrize("url, expected", [
    ("HTTP://WWW.News.CN/politics/a.htm", "http://www.news.cn/politics/a.htm"),
    ("http://www.news.cn:80/a.htm", "http://www.news.cn/a.htm"),
    ("https://www.news.cn:443/a.htm", "https://www.news.cn/a.htm"),
    ("https://www.news.cn:8443/a.htm", "https://www.news.cn:8443/a.htm"),
    ("http://www.news.cn/a.htm#p2", "http://www.news.cn/a.htm"),
    ("http://www.news.cn", "http://www.news.cn/"),
    ("http://www.news.cn/a.htm?", "http://www.news.cn/a.htm"),
    ("http://www.news.cn./a.htm", "http://www.news.cn/a.htm"),
    # Tracking parameters go; the rest is sorted.
    ("http://x.cn/a?utm_source=wx&utm_medium=social&id=3", "http://x.cn/a?id=3"),
    ("http://x.cn/a?b=2&a=1&spm=c.d", "http://x.cn/a?a=1&b=2"),
    ("http://x.cn/a?id=1&from=singlemessage&isappinstalled=0", "http://x.cn/a?id=1"),
    ("http://x.cn/a?id=1&from=timeline&wxshare_count=2&share_token=abc", "http://x.cn/a?id=1"),
    ("http://x.cn/a?id=1&scene=23&clicktime=1714530600&enterid=1714530600", "http://x.cn/a?id=1"),
    ("http://x.cn/a?UTM_Source=x&id=1", "http://x.cn/a?id=1"),
    ("http://x.cn/a?q=&id=1", "http://x.cn/a?id=1&q="),
    # WeChat articles: only the four identifying parameters.
    ("https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=ab12&chksm=8b&scene=21"
     "&key=k&uin=u&pass_ticket=p#wechat_redirect",
     "https://mp.weixin.qq.com/s?__biz=MzA5&idx=1&mid=2650&sn=ab12"),
    ("https://mp.weixin.qq.com/s/AbCdEf123?from=timeline", "https://mp.weixin.qq.com/s/AbCdEf123"),
    # Paths are kept (index.html, trailing slash), only // collapsed.
    ("http://x.cn/a/index.html", "http://x.cn/a/index.html"),
    ("http://x.cn/a/", "http://x.cn/a/"),
    ("http://x.cn//a///b.html", "http://x.cn/a/b.html"),
    # Encoding: one spelling for raw and escaped forms.
    ("http://x.cn/路径/文章.html", "http://x.cn/%E8%B7%AF%E5%BE%84/%E6%96%87%E7%AB%A0.html"),
    ("http://x.cn/%e8%b7%af%e5%be%84/%7Efile", "http://x.cn/%E8%B7%AF%E5%BE%84/~file"),
    ("http://x.cn/s?q=二十大", "http://x.cn/s?q=%E4%BA%8C%E5%8D%81%E5%A4%A7"),
    ("http://x.cn/s?q=a%26b", "http://x.cn/s?q=a%26b"),
    # Internationalised host names in punycode.
    ("http://中国政府网.政务/a", "http://xn--fiqs8sirgfmhq98a.xn--zfr164b/a"),
    ("http://例子.中国/", "http://xn--fsqu00a.xn--fiqs8s/"),
    # Not http(s) or not a URL: returned stripped, otherwise unchanged.
    ("  javascript:alert(1) ", "javascript:alert(1)"),
    ("mailto:a@b.cn", "mailto:a@b.cn"),
    ("/relative/path", "/relative/path"),
    ("", ""),
    ("http://x.cn:99999/", "http://x.cn:99999/"),
])
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_idempotent():
    for url in ("HTTP://WWW.News.CN:80//a/路径?b=2&utm_source=x&a=1#f",
                "https://mp.weixin.qq.com/s?__biz=MzA5&mid=2650&idx=1&sn=ab12&scene=21"):
        once = canonical_url(url)
        assert canonical_url(once) == once
