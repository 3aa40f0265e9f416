"""The domain's plain data, shared by the stages.

Stages take and return these dataclasses; none of them touches the database or the
network, so each stage can be tested with fixtures alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FetchResult:
    """A fetched HTTP resource. ``text`` is the body decoded with ``encoding``."""

    url: str                      # final URL, after redirects
    requested_url: str
    status: int
    content: bytes
    content_type: str
    encoding: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool = False

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding or "utf-8", errors="replace")


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str
    summary: str = ""
    published: datetime | None = None   # always timezone-aware when set
    author: str | None = None
    guid: str | None = None


@dataclass(frozen=True)
class Feed:
    title: str
    link: str | None
    entries: tuple[FeedEntry, ...]


@dataclass(frozen=True)
class ArticleRules:
    """A preset's CSS selectors for an outlet's article pages. In each tuple the first
    selector that matches wins; empty means "let the generic extractor decide"."""

    body: tuple[str, ...] = ()
    title: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()     # removed from the body before its text is taken


@dataclass(frozen=True)
class ExtractedArticle:
    """What the extractor read from a page, before cleaning."""

    url: str
    title: str
    text: str
    published: datetime | None = None   # timezone-aware (Asia/Shanghai when the page gives none)
    author: str | None = None
    source_name: str | None = None      # the original source named in the page (来源: 新华社)
    canonical_url: str | None = None
    lang: str | None = None
    editor: str | None = None           # 责任编辑, kept apart from the author
    images: tuple[Image, ...] = ()
    flags: frozenset[str] = frozenset()  # the extractor's decisions: short, body_widened …


@dataclass(frozen=True)
class Image:
    src: str                            # absolute URL
    caption: str = ""


@dataclass(frozen=True)
class CleanedText:
    text: str
    flags: frozenset[str] = frozenset()  # e.g. traditional_converted, pinyin_removed


@dataclass(frozen=True)
class Article:
    """A cleaned article ready to be stored: clean forms for matching and display,
    originals kept."""

    url: str
    canonical_url: str
    title: str
    text: str
    title_orig: str
    text_orig: str
    content_hash: str
    published: datetime | None = None
    author: str | None = None
    source_name: str | None = None
    lang: str | None = None
    flags: frozenset[str] = frozenset()
    editor: str | None = None
    images: tuple[Image, ...] = ()      # in the body's order, captions cleaned like the text


@dataclass(frozen=True)
class ColumnRules:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    matched: bool
    score: float = 0.0
    terms: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class IssueItemView:
    """One item of an issue. ``title`` and ``summary`` are what the reader sees: the
    editor's version for the column when there is one, the article's otherwise
    (``original_title`` keeps the article's own headline)."""

    title: str
    web_url: str
    original_url: str
    source_name: str
    published: datetime | None = None
    summary: str = ""
    original_title: str = ""


@dataclass(frozen=True)
class FeaturedReflection:
    """A 学习心得 shown in an issue's "学习心得选登": the author's name and department
    (they agreed, or the column's rule shows names) and the plain text."""

    name: str
    department: str
    body: str


@dataclass(frozen=True)
class IssueView:
    """An issue (期) as the renderers see it. ``reflections``: its 学习心得选登."""

    column_name: str
    column_slug: str
    number: int
    title: str
    editor_note: str
    web_url: str
    published_at: datetime
    items: tuple[IssueItemView, ...] = field(default_factory=tuple)
    reflections: tuple[FeaturedReflection, ...] = field(default_factory=tuple)


class CandidateState(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"


# The apps (自建应用) of the three platforms that reach a person by name: the kind of
# their channel target → the people directory's column holding the person's id there.
APP_ID_FIELDS = {"wecom_app": "wecom_userid", "dingtalk_app": "dingtalk_userid",
                 "feishu_app": "feishu_open_id"}
APP_NAMES = {"wecom_app": "企业微信应用", "dingtalk_app": "钉钉工作通知",
             "feishu_app": "飞书应用"}
# What the directory calls the id, for the reason a person got e-mail instead.
APP_ID_LABELS = {"wecom_app": "企业微信 userid", "dingtalk_app": "钉钉 userid",
                 "feishu_app": "飞书 open_id"}


class DeliveryState(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class PageState(str, enum.Enum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
