"""The store's tables (SQLAlchemy Core). Migrations in ``migrations/`` create them.

Rows that are work carry their own queue state: ``claimed_by`` and ``lease_until`` for
the worker that holds them, and a due time (``next_poll_at``, ``next_attempt_at``,
``next_run_at``). See ARCHITECTURE.md, "The store is the queue".
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean, Column, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String,
    Table, Text, UniqueConstraint,
)

from zhuanlan.store.types import UTCDateTime

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


def _lease() -> list[Column]:
    return [Column("claimed_by", String(100)), Column("lease_until", UTCDateTime())]


sources = Table(
    "sources", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False, default="feed"),
    Column("url", String(2000), nullable=False, unique=True),
    Column("preset", String(100)),
    Column("authority", Integer, nullable=False, default=50),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("poll_minutes", Integer, nullable=False, default=30),   # adapts between min and max
    Column("poll_min_minutes", Integer, nullable=False, default=5),
    Column("poll_max_minutes", Integer, nullable=False, default=1440),
    Column("spec", Text),            # JSON SourceSpec for a custom source; presets load theirs
    Column("params", Text),          # JSON {name: value} for a preset's {param} placeholders
    Column("next_poll_at", UTCDateTime()),
    *_lease(),
    Column("etag", String(500)),
    Column("last_modified", String(100)),
    Column("last_polled_at", UTCDateTime()),
    Column("last_success_at", UTCDateTime()),
    Column("last_error", Text),
    Column("last_error_kind", String(40)),   # machine-readable reason, e.g. timeout
    Column("last_error_at", UTCDateTime()),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("last_entry_count", Integer),
    Column("recent_counts", String(200), nullable=False, default=""),  # entries per poll, newest last
    Column("alarm", Text),           # "suddenly yields nothing" and the like, for the editor
    Column("created_at", UTCDateTime(), nullable=False),
)

pages = Table(
    "pages", metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2000), nullable=False, unique=True),
    Column("entry_title", Text, nullable=False, default=""),
    Column("entry_summary", Text, nullable=False, default=""),
    Column("entry_published", UTCDateTime()),
    Column("state", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    *_lease(),
    Column("last_error", Text),
    Column("last_error_kind", String(40)),
    Column("final_url", String(2000)),
    Column("encoding", String(40)),
    Column("content_gz", LargeBinary),   # the fetched bytes, zlib-compressed, for re-extraction
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("fetched_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_pages_due", "state", "next_attempt_at"),
)

# A story is one piece of news however many outlets carry it; its representative is the
# copy a column shows (the most authoritative complete one).
stories = Table(
    "stories", metadata,
    Column("id", Integer, primary_key=True),
    Column("representative_id", Integer, ForeignKey("articles.id", ondelete="SET NULL",
                                                    use_alter=True)),
    Column("size", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

articles = Table(
    "articles", metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="SET NULL")),
    Column("url", String(2000), nullable=False),
    Column("canonical_url", String(2000), nullable=False, unique=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("title_orig", Text, nullable=False),
    Column("text_orig", Text, nullable=False),
    Column("published_at", UTCDateTime()),
    Column("author", String(200)),
    Column("editor", String(200)),
    Column("source_name", String(200)),
    Column("lang", String(20)),
    Column("flags", String(500), nullable=False, default=""),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="SET NULL"), index=True),
    Column("relation", String(20)),          # to its story: same, contained, contains
    Column("signature", LargeBinary),        # MinHash of the cleaned text (dedup/minhash.py)
    Column("created_at", UTCDateTime(), nullable=False),
)

columns = Table(
    "columns", metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(100), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("editor_note", Text, nullable=False, default=""),
    Column("include_terms", Text, nullable=False, default=""),
    Column("exclude_terms", Text, nullable=False, default=""),
    Column("schedule", String(100), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("title_terms", Text, nullable=False, default=""),
    Column("source_filter", Text),           # JSON list of source ids or names; null: all
    Column("max_age_days", Integer),
    Column("min_length", Integer, nullable=False, default=0),
    Column("auto_approve", Boolean, nullable=False, default=False),
    Column("auto_approve_threshold", Float),  # null: approve every match; else the model's p
    Column("model", LargeBinary),             # the learner trained by the editor's decisions
    Column("next_run_at", UTCDateTime()),
    *_lease(),
    Column("created_at", UTCDateTime(), nullable=False),
)

candidates = Table(
    "candidates", metadata,
    Column("id", Integer, primary_key=True),
    Column("column_id", Integer, ForeignKey("columns.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(20), nullable=False, default="pending"),
    Column("score", Float, nullable=False, default=0.0),
    Column("terms", Text, nullable=False, default=""),    # JSON list of matched terms
    Column("reason", Text),
    Column("decided_at", UTCDateTime()),
    Column("decided_by", String(100)),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="SET NULL")),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("column_id", "article_id"),
    # One story is proposed once per column, whichever outlet's copy came first.
    UniqueConstraint("column_id", "story_id", name="uq_candidates_column_story"),
    Index("ix_candidates_queue", "column_id", "state"),
)

issues = Table(
    "issues", metadata,
    Column("id", Integer, primary_key=True),
    Column("column_id", Integer, ForeignKey("columns.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", String(300), nullable=False),
    Column("editor_note", Text, nullable=False, default=""),
    Column("published_at", UTCDateTime(), nullable=False),
    UniqueConstraint("column_id", "number"),
)

issue_items = Table(
    "issue_items", metadata,
    Column("id", Integer, primary_key=True),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    UniqueConstraint("issue_id", "article_id"),
)

subscribers = Table(
    "subscribers", metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("employee_no", String(64)),
    Column("department", String(300), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

subscriptions = Table(
    "subscriptions", metadata,
    Column("id", Integer, primary_key=True),
    Column("column_id", Integer, ForeignKey("columns.id", ondelete="CASCADE"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"),
           nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("column_id", "subscriber_id"),
)

# The outbox: one row per (issue, recipient, channel), made when the issue is published.
deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"),
           nullable=False),
    Column("channel", String(20), nullable=False),
    Column("state", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    *_lease(),
    Column("message_id", String(300)),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("issue_id", "subscriber_id", "channel"),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
)


# Who did what, when: editorial and administrative actions, for the administrators.
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("actor", String(100), nullable=False),
    Column("action", String(50), nullable=False),
    Column("target", String(200), nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),
)


# Staff accounts: administrators, editors (of given columns) and viewers.
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False, default=""),
    Column("password_hash", String(200), nullable=False),   # argon2id, PHC string
    Column("role", String(20), nullable=False),             # admin, editor, viewer
    Column("active", Boolean, nullable=False, default=True),
    # Raised on password change or deactivation: every session cookie signed with an
    # older epoch stops working at once.
    Column("session_epoch", Integer, nullable=False, default=0),
    Column("last_login_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
)

column_grants = Table(
    "column_grants", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("column_id", Integer, ForeignKey("columns.id", ondelete="CASCADE"), nullable=False),
    UniqueConstraint("user_id", "column_id"),
)

# Personal API tokens: only a SHA-256 of the token is kept; the token is shown once.
api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),            # shown in lists to tell tokens apart
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)

# Failed logins, per user name and per client address, for the rate limit; shared by
# every web process because it lives in the store.
login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_login_failures_key_at", "key", "at"),
)
