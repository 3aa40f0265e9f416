"""Error messages as a person reads them: one Chinese sentence, the technical text folded.

Fetch errors, platform answers and transport errors reach us in English (httpx, the
resolver, the platforms' ``errmsg``) or half-Chinese ("无法连接：[Errno 111] …"). An
editor needs to know what is wrong and what to do; an administrator needs the original
text to search for. ``explain`` gives both: ``text`` (zh-CN) to show, ``detail`` (the
original, or empty when the text already is the original) to fold behind it.

The patterns are looked for in the original message, so the same reading applies to a
source's health, a channel test, a delivery row and the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Explained", "explain", "REASONS"]


@dataclass(frozen=True)
class Explained:
    text: str      # for people, in Chinese
    detail: str    # the original message, when it says more than ``text``


# The fetch layer's ``reason`` codes (FetchError.reason, sources.last_error_kind).
REASONS = {
    "connect": "无法连接服务器（网络不通或域名无法解析）",
    "dns": "域名无法解析，请检查地址是否拼写正确",
    "timeout": "请求超时，服务器在限定时间内没有完整应答",
    "blocked_address": "地址属于内网或本机，已被安全策略拒绝",
    "http_status": "服务器返回错误状态",
    "too_large": "内容超过大小限制",
    "too_many_redirects": "重定向次数过多",
    "bad_scheme": "不支持的地址类型（只支持 http 和 https）",
    "not_a_feed": "内容不是有效的 RSS/Atom 订阅源",
    "robots": "网站的 robots.txt 不允许抓取",
    "tls": "HTTPS 证书或加密握手失败",
    "protocol": "服务器的 HTTP 应答不合规范",
    "bad_encoding": "无法解码服务器返回的内容",
    "bad_url": "地址格式不正确",
    "not_a_list": "列表页中没有找到文章链接",
    "config": "信息源配置有误",
}

HTTP_STATUS = {
    400: "请求被拒绝（400）", 401: "需要登录或凭据无效（401）", 403: "服务器拒绝访问（403）",
    404: "页面不存在（404），地址可能已更改", 410: "页面已被删除（410）",
    429: "请求过于频繁，服务器要求稍后再试（429）",
}

# Platform error codes (errcode / code in the answer) that an editor can act on.
PLATFORM_CODES = {
    93000: "企业微信群机器人的 Webhook 地址无效或机器人已被移出群聊",
    45009: "发送过于频繁，平台限流（稍后会自动重试）",
    40001: "应用的 Secret 不正确",
    40013: "企业 ID（corpid）不正确",
    40014: "access_token 无效（会自动重新获取）",
    42001: "access_token 已过期（会自动重新获取）",
    60020: "服务器 IP 不在应用的可信 IP 列表中",
    81013: "接收人全部无效或不在应用的可见范围内",
    310000: "钉钉机器人安全设置不符：关键词、加签或 IP 地址段",
    300001: "钉钉机器人的 access_token 无效，机器人可能已被删除",
    130101: "发送过于频繁（每分钟至多 20 条），机器人被限流 10 分钟",
    19001: "飞书机器人的 Webhook 地址无效",
    19002: "飞书机器人的 Webhook 地址无效",
    19021: "飞书机器人签名校验失败：请检查签名密钥和服务器时间",
    19022: "服务器 IP 不在飞书机器人的白名单中",
    19024: "消息不含飞书机器人要求的关键词",
    11232: "发送过于频繁，平台限流（稍后会自动重试）",
}

# Ordered: the first pattern found in the original message wins.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), text) for p, text in (
        (r"name or service not known|nodename nor servname|getaddrinfo failed|"
         r"errno -[235]\b|temporary failure in name resolution|no address associated",
         "域名无法解析，请检查地址是否拼写正确，或服务器能否访问外网 DNS"),
        (r"connection refused|errno 111\b|errno 61\b", "对方服务器拒绝连接（服务未启动或端口不对）"),
        (r"network is unreachable|no route to host|errno 10[13]\b|errno 113\b",
         "网络不通，服务器无法到达对方"),
        (r"connection reset|errno 104\b|server disconnected|remote ?protocol",
         "连接被对方中断"),
        (r"certificate|\bssl\b|\btls\b", "HTTPS 证书或加密握手失败"),
        (r"timed? ?out|timeout|超时|no complete answer", "请求超时，对方在限定时间内没有完整应答"),
        (r"private|loopback|link-local|not allowed address|blocked", "地址属于内网或本机，已被安全策略拒绝"),
        (r"disallowed by", "网站的 robots.txt 不允许抓取"),
        (r"smtp.*(auth|535)|authentication (failed|unsuccessful)|\b535\b",
         "邮件服务器拒绝了登录（用户名或密码不正确）"),
        (r"recipient.*(refused|rejected)|\b55[03]\b", "邮件服务器拒收了收件地址"),
    ))

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORDS = re.compile(r"[A-Za-z]{3,}(?:\s+[A-Za-z]{2,}){1,}")
_HTTP = re.compile(r"\bHTTP (\d{3})\b")
_CODE = re.compile(r"(?:errcode|code)[=:\s\"]*(-?\d{3,9})|\[(-?\d{3,9})\]")


def explain(message: str | None, kind: str | None = None) -> Explained:
    """Chinese text for ``message`` (with its ``kind``, a fetch reason code, if known)."""
    original = (message or "").strip()
    if not original:
        return Explained(REASONS.get(kind or "", ""), "")
    text = _platform(original) or _http(original) or _pattern(original)
    if text is None and kind in REASONS:
        text = REASONS[kind]
    if text is None:
        if not _LATIN_WORDS.search(original) and _HAN.search(original):
            return Explained(original, "")       # already Chinese: nothing to fold
        text = _chinese_lead(original) or "操作失败，原因见技术细节"
    return Explained(text, "" if text == original else original)


def _platform(message: str) -> str | None:
    for m in _CODE.finditer(message):
        code = int(m.group(1) or m.group(2))
        if code in PLATFORM_CODES:
            return PLATFORM_CODES[code]
    return None


def _http(message: str) -> str | None:
    m = _HTTP.search(message)
    if not m:
        return None
    status = int(m.group(1))
    if status in HTTP_STATUS:
        return f"服务器返回错误：{HTTP_STATUS[status]}"
    if status >= 500:
        return f"对方服务器内部错误（HTTP {status}），通常稍后会恢复"
    return f"服务器返回错误状态（HTTP {status}）"


def _pattern(message: str) -> str | None:
    for pattern, text in PATTERNS:
        if pattern.search(message):
            return text
    return None


def _chinese_lead(message: str) -> str | None:
    """"无法连接：httpx said …" → "无法连接": our own Chinese prefix, when there is one."""
    lead = re.split(r"[：:]", message, maxsplit=1)[0].strip()
    if lead and lead != message and _HAN.search(lead) and not _LATIN_WORDS.search(lead):
        return lead
    return None
