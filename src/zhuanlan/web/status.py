"""How a source's health reads to an editor (zh-CN)."""

from __future__ import annotations

from dataclasses import dataclass

REASONS = {
    "connect": "无法连接服务器（网络不通或域名无法解析）",
    "dns": "域名无法解析",
    "timeout": "请求超时",
    "blocked_address": "地址属于内网或本机，已被安全策略拒绝",
    "http_status": "服务器返回错误状态",
    "too_large": "内容超过大小限制",
    "too_many_redirects": "重定向次数过多",
    "bad_scheme": "不支持的地址类型",
    "not_a_feed": "内容不是有效的 RSS/Atom 订阅源",
    "robots": "网站的 robots.txt 不允许抓取",
    "tls": "HTTPS 证书或加密握手失败",
    "protocol": "服务器的 HTTP 应答不合规范",
    "bad_encoding": "无法解码服务器返回的压缩内容",
    "bad_url": "地址格式不正确",
    "not_a_list": "列表页中没有找到文章链接",
    "config": "信息源配置有误",
}


@dataclass(frozen=True)
class Status:
    level: str   # ok, warn, error, new, off
    label: str
    detail: str = ""


def source_status(source: dict) -> Status:
    if not source.get("enabled", True):
        return Status("off", "已停用")
    if source.get("last_error"):
        reason = REASONS.get(source.get("last_error_kind") or "", "抓取失败")
        n = source.get("consecutive_failures") or 1
        return Status("error", f"无法抓取（连续 {n} 次）", f"{reason}：{source['last_error']}")
    if source.get("alarm"):
        return Status("warn", "需要检查", source["alarm"])
    if source.get("last_note"):
        return Status("warn", "有积压", source["last_note"])
    if source.get("last_success_at"):
        return Status("ok", "正常")
    return Status("new", "等待首次抓取")
