"""The store's tables (SQLAlchemy Core). Migrations in ``migrations/`` create them.

Rows that are work carry their own queue state: ``claimed_by`` and ``lease_until`` for
the worker that holds them, and a due time (``next_poll_at``, ``next_attempt_at``,
``next_run_at``). See ARCHITECTURE.md, "The store is the queue".
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
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
    # At most this many new entries queued per poll (null: sources.max_new_per_poll);
    # last_note tells the editor when a poll left some for later (migration 0018).
    Column("max_new_per_poll", Integer),
    Column("last_note", Text),
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
    # An editor's choice of representative ("以此为准"): while set, copies arriving later
    # do not replace it.
    Column("pinned_by", String(100)),
    Column("pinned_at", UTCDateTime()),
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
    # Split out of a story by an editor ("不是同一篇"): story assignment leaves it alone.
    Column("story_locked", Boolean, nullable=False, default=False, server_default=false()),
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
    Column("editor_note_at", UTCDateTime()),     # when the 编者按 was saved (migration 0020)
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
    Column("study_days", Integer),     # study deadline: days after publishing; null: none
    Column("remind_hours", Integer),   # 催学 automatically this many hours before it; null: off
    Column("archived_at", UTCDateTime()),    # 归档: no longer runs nor listed; null: active
    Column("archived_by", String(100)),
    # 必学: readers may not opt out; no unsubscribe link, the contact is whom to ask.
    Column("compulsory", Boolean, nullable=False, default=False, server_default=false()),
    Column("contact", Text, nullable=False, default="", server_default=""),
    # A 我已学习 with less reading time than this does not count as studied (migration 0023).
    Column("min_read_seconds", Integer),
    # 学习心得选登 show the author's name and department without asking each author first
    # (the column's rules say so; migration 0024). False: the author is asked.
    Column("reflection_names", Boolean, nullable=False, default=False, server_default=false()),
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
    # The editor's version for this column (the article itself stays as it was) and the
    # editor's order of the approved items in the next issue (null: after the ordered ones).
    Column("title_override", Text),
    Column("summary_override", Text),
    Column("position", Integer),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("column_id", "article_id"),
    # One story is proposed once per column, whichever outlet's copy came first.
    UniqueConstraint("column_id", "story_id", name="uq_candidates_column_story"),
    Index("ix_candidates_queue", "column_id", "state"),
)

# 撤销上一步: the last step of each editor on each column, with what it changed and what
# it was before (JSON), so any worker process can undo it.
desk_steps = Table(
    "desk_steps", metadata,
    Column("id", Integer, primary_key=True),
    Column("column_id", Integer, ForeignKey("columns.id", ondelete="CASCADE"), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("kind", String(20), nullable=False),      # decide, move, note
    Column("label", Text, nullable=False),           # what happened, zh-CN (通过《…》)
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("column_id", "actor"),
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
    Column("title", Text),           # the editor's title for the column; null: the article's
    Column("summary", Text),         # likewise the summary; null: the article's first paragraph
    UniqueConstraint("issue_id", "article_id"),
    Index("ix_issue_items_article", "article_id"),     # is it published? (migration 0016)
)

# The department tree (集团 › 公司 › 部门). ``path`` is the names from the root joined by
# "/" ("集团/公司/部门"): a department's subtree is its own path and every path that starts
# with "{path}/", which both databases can test in one set-based statement.
departments = Table(
    "departments", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", Integer, ForeignKey("departments.id", ondelete="CASCADE"), index=True),
    Column("path", String(300), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The people issues are pushed to (employees). ``department_id`` places them in the tree;
# ``department`` keeps the same path as text ("集团/公司/部门") for readers of the row
# that do not join the tree (statistics, old scripts).
subscribers = Table(
    "subscribers", metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("employee_no", String(64), index=True, unique=True),  # 工号; null when not given
    Column("department", String(300), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # No ON DELETE: a department with people cannot be deleted (see migration 0007).
    Column("department_id", Integer, ForeignKey("departments.id"), index=True),
    Column("wecom_userid", String(100)),      # 企业微信 userid
    Column("dingtalk_userid", String(100)),   # 钉钉 userid
    Column("feishu_open_id", String(100)),    # 飞书 open_id
    Column("updated_at", UTCDateTime()),
    # The statistics list people in this order, 200 at a time (migration 0028).
    Index("ix_subscribers_listing", "department", "employee_no", "name"),
)

# A column's subscriptions: a person (``subscriber_id``) or a whole department
# (``department_id``: its subtree, people added later included) — exactly one of them.
subscriptions = Table(
    "subscriptions", metadata,
    Column("id", Integer, primary_key=True),
    Column("column_id", Integer, ForeignKey("columns.id", ondelete="CASCADE"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("department_id", Integer, ForeignKey("departments.id", ondelete="CASCADE")),
    UniqueConstraint("column_id", "subscriber_id"),
    UniqueConstraint("column_id", "department_id", name="uq_subscriptions_column_department"),
    CheckConstraint("(subscriber_id IS NULL) <> (department_id IS NULL)",
                    name="ck_subscriptions_one_target"),
)

# Opt-outs: a person who unsubscribed from a column gets none of its issues, even when a
# department subscription covers them. Honoured by the next publish.
unsubscriptions = Table(
    "unsubscriptions", metadata,
    Column("id", Integer, primary_key=True),
    Column("column_id", Integer, ForeignKey("columns.id", ondelete="CASCADE"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"),
           nullable=False),
    Column("via", String(20), nullable=False, default="link"),   # link, one_click, admin, cli
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("column_id", "subscriber_id"),
)

# The outbox: one row per (issue, recipient, channel), made when the issue is published.
# Chat channels the organization uses: a group robot (WeCom, DingTalk, Feishu) or a
# webhook endpoint, entered by an administrator. ``config`` is the JSON given to
# ``zhuanlan.channels.chat.channel_from_config`` (url, key/token, secret …).
channel_targets = Table(
    "channel_targets", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),          # wecom | dingtalk | feishu | webhook
    Column("config", Text, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("last_error", Text),
    Column("last_success_at", UTCDateTime()),
)

# Which columns push their issues to which chat targets.
column_targets = Table(
    "column_targets", metadata,
    Column("id", Integer, primary_key=True),
    Column("column_id", Integer, ForeignKey("columns.id", ondelete="CASCADE"), nullable=False),
    Column("target_id", Integer, ForeignKey("channel_targets.id", ondelete="CASCADE"),
           nullable=False, index=True),
    UniqueConstraint("column_id", "target_id"),
)

# The outbox: one row per (issue, recipient, channel, reminder) — a recipient is a person
# (``subscriber_id``: e-mail, or a personal message through the app ``app_id``) or a chat
# target (``target_id``), never both.
deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE")),
    Column("target_id", Integer, ForeignKey("channel_targets.id", ondelete="CASCADE")),
    Column("channel", String(20), nullable=False),
    # Messages of a split issue already delivered to a chat target (resume from here).
    Column("progress", Integer, nullable=False, default=0, server_default="0"),
    Column("state", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    *_lease(),
    Column("message_id", String(300)),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    # The 企业微信 / 钉钉 / 飞书 app (a channel_targets row of kind *_app) a person's
    # personal message goes through; null for e-mail and group rows.
    Column("app_id", Integer, ForeignKey("channel_targets.id", ondelete="CASCADE")),
    Column("note", Text),   # why this person gets e-mail although the column uses an app
    # 钉钉 accepted the batch; each person's outcome is read back from the task later.
    Column("awaiting_result", Boolean, nullable=False, default=False, server_default=false()),
    # Times the row was handed to a server or platform: more than one successful hand-over
    # (a worker died after the platform accepted, before recording) is a possible repeat.
    Column("sends", Integer, nullable=False, default=0, server_default="0"),
    # 0: the issue itself; else the reminder (``reminders.id``) this message belongs to.
    Column("reminder_id", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("issue_id", "subscriber_id", "channel", "reminder_id",
                     name="uq_deliveries_person"),
    # PostgreSQL and SQLite treat NULLs as distinct: the key above does not cover the
    # target rows (subscriber_id NULL), this one does.
    UniqueConstraint("issue_id", "target_id", name="uq_deliveries_issue_target"),
    CheckConstraint("(subscriber_id IS NULL) <> (target_id IS NULL)",
                    name="ck_deliveries_one_recipient"),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
    Index("ix_deliveries_app", "app_id", "issue_id"),
)

# 催学: reminders of an issue sent to the people (of a department's subtree, or all) who
# had not confirmed it yet; their messages are outbox rows with this ``reminder_id``.
reminders = Table(
    "reminders", metadata,
    Column("id", Integer, primary_key=True),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("department_id", Integer, ForeignKey("departments.id", ondelete="SET NULL")),
    Column("created_by", String(100), nullable=False),
    Column("automatic", Boolean, nullable=False, default=False, server_default=false()),
    Column("recipients", Integer, nullable=False, default=0, server_default="0"),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Single-use values of the apps' web logins: each OAuth ``state`` nonce and each code.
login_nonces = Table(
    "login_nonces", metadata,
    Column("nonce", String(128), primary_key=True),
    Column("used_at", UTCDateTime(), nullable=False, index=True),
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
    # Where the user's own test of an issue (发送测试给我) goes: e-mail and app ids.
    Column("email", String(320)),
    Column("wecom_userid", String(100)),
    Column("dingtalk_userid", String(100)),
    Column("feishu_open_id", String(100)),
)

# 发送测试给我: each test message of a column's next issue, kept apart from the outbox so
# that a test is never counted in a delivery report or the statistics.
test_sends = Table(
    "test_sends", metadata,
    Column("id", Integer, primary_key=True),
    Column("column_id", Integer, ForeignKey("columns.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("issue_number", Integer, nullable=False),    # the number the issue would get
    Column("created_by", String(100), nullable=False),
    Column("channel", String(20), nullable=False),      # email, or the app's kind
    Column("target_id", Integer, ForeignKey("channel_targets.id", ondelete="SET NULL")),
    Column("recipient", String(320), nullable=False),   # the address or the app's user id
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
    Column("created_at", UTCDateTime(), nullable=False),
)

column_grants = Table(
    "column_grants", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("column_id", Integer, ForeignKey("columns.id", ondelete="CASCADE"), nullable=False),
    UniqueConstraint("user_id", "column_id"),
)

# The department subtrees a viewer or editor is limited to in the statistics (migration
# 0023); none: the whole organisation. A path, not a key: a deleted department leaves a
# scope that matches nobody rather than one that widens to everything.
user_departments = Table(
    "user_departments", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("path", String(300), nullable=False),
    UniqueConstraint("user_id", "path"),
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

# Staff sessions (migration 0017): the cookie carries a random token, the store its
# SHA-256; logging out ends the row, so a copied cookie stops working at once.
staff_sessions = Table(
    "staff_sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("address", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    Index("ix_staff_sessions_user", "user_id"),
)

# Addresses a user has logged in from: failures from elsewhere never lock the right
# password out from one of these.
login_addresses = Table(
    "login_addresses", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("address", String(64), nullable=False),
    Column("last_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id", "address"),
)

# Login attempts, recorded before the password is checked (and removed when it was
# right), per (user, address), per address and per user, for the rate limits; shared by
# every web process because it lives in the store.
login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_login_failures_key_at", "key", "at"),
)

# The pictures of articles, fetched once by the worker and served from our own server
# (/img/{id}): the reader loads nothing from outside. The bytes are kept as a file named
# by their SHA-256 under {data_dir}/images/, so one picture carried by several outlets
# (several rows) is kept once; a row is work for the worker until it is fetched.
images = Table(
    "images", metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),             # order in the article, from 0
    Column("source_url", String(2000), nullable=False),
    Column("caption", Text, nullable=False, default=""),
    Column("state", String(20), nullable=False, default="pending"),  # fetched, failed, too_large
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    *_lease(),
    Column("mime", String(40)),
    Column("width", Integer),
    Column("height", Integer),
    Column("sha256", String(64), index=True),               # names the file; shared by copies
    Column("size", Integer),
    Column("last_error", Text),
    Column("last_error_kind", String(40)),                  # not_image, svg, too_large, …
    Column("fetched_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("article_id", "position"),
    Index("ix_images_due", "state", "next_attempt_at"),
    Index("ix_images_source_url", "source_url"),
)


# Study records: who opened which article, for how long they actually read it (the page
# visible), and whether they confirmed 我已学习. ``reader`` is "s:<subscriber id>" for a
# person known by their signed link, "a:<random id>" for an anonymous browser, so one
# unique key covers both (NULLs would not collide in a unique key on PostgreSQL).
readings = Table(
    "readings", metadata,
    Column("id", Integer, primary_key=True),
    Column("reader", String(48), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE")),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="SET NULL")),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("active_seconds", Integer, nullable=False, default=0),
    Column("studied_at", UTCDateTime()),
    # 我已学习 came with no reading time at all (no heartbeat; migration 0023).
    Column("quick", Boolean, nullable=False, default=False, server_default=false()),
    UniqueConstraint("reader", "article_id"),
    Index("ix_readings_issue_subscriber", "issue_id", "subscriber_id"),
    # The statistics join an issue's articles to the readings (migration 0013).
    Index("ix_readings_article_subscriber", "article_id", "subscriber_id"),
)

# One row per page view: the browser sends the view's running total of visible seconds,
# so a lost heartbeat is made good by the next one and a repeated one changes nothing.
reading_views = Table(
    "reading_views", metadata,
    Column("view_id", String(40), primary_key=True),
    Column("reading_id", Integer, ForeignKey("readings.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("seconds", Integer, nullable=False, default=0),
    Column("started_at", UTCDateTime(), nullable=False),
)


# What the statistics count, per issue and person (migration 0025): recipient of the issue
# (an outbox row of the issue, not of a reminder) and sent; over the issue's articles the
# readings opened, confirmations that count as studied under the column's minimum, reading
# seconds, confirmations that came too quickly. Kept by triggers on deliveries, readings
# and issue_items (see the migration); ``store.progress`` rebuilds it.
study_progress = Table(
    "study_progress", metadata,
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"),
           primary_key=True),
    Column("recipient", Boolean, nullable=False, default=False, server_default=false()),
    Column("delivered", Boolean, nullable=False, default=False, server_default=false()),
    Column("opened", Integer, nullable=False, default=0, server_default="0"),
    Column("studied", Integer, nullable=False, default=0, server_default="0"),
    Column("seconds", Integer, nullable=False, default=0, server_default="0"),
    Column("too_quick", Integer, nullable=False, default=0, server_default="0"),
    # Kept in key order on SQLite: an issue's rows are read as one range.
    sqlite_with_rowid=False,
)

# 答题 (migration 0024). Questions are proposed from an issue's articles (or the next
# issue's approved candidates: ``issue_id`` null until it is published) and reach readers
# only once an editor kept them (``state`` "kept"). ``sentence`` is the sentence of the
# article the question was made from, shown to the reader after answering.
quiz_questions = Table(
    "quiz_questions", metadata,
    Column("id", Integer, primary_key=True),
    Column("column_id", Integer, ForeignKey("columns.id", ondelete="CASCADE"), nullable=False),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="CASCADE"), index=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("kind", String(20), nullable=False),        # blank, choice, judge
    Column("prompt", Text, nullable=False),
    Column("choices", Text, nullable=False, default="[]"),   # JSON list (choice)
    Column("answer", Text, nullable=False),
    Column("sentence", Text, nullable=False, default=""),
    Column("state", String(20), nullable=False, default="proposed"),  # proposed, kept, dropped
    Column("origin", String(20), nullable=False, default="auto"),     # auto, editor
    Column("position", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime()),
    Column("updated_by", String(100)),
    Index("ix_quiz_questions_column_state", "column_id", "state"),
)

# A person's answer to a question for the record: the first attempt only (one row per
# question and person); later attempts are practice and only counted in ``attempts``.
quiz_answers = Table(
    "quiz_answers", metadata,
    Column("id", Integer, primary_key=True),
    Column("question_id", Integer, ForeignKey("quiz_questions.id", ondelete="CASCADE"),
           nullable=False),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"),
           nullable=False),
    Column("answer", Text, nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("answered_at", UTCDateTime(), nullable=False),
    UniqueConstraint("question_id", "subscriber_id"),
    Index("ix_quiz_answers_issue_subscriber", "issue_id", "subscriber_id"),
)

# 学习心得: one reflection per person and issue (editable until the editor marked or
# featured it). ``feature_column_id``: selected for the next issue of that column (学习心得
# 选登); ``featured_issue_id`` once that issue is published. ``consent``: null (not asked),
# "asked", "granted", "refused" — names are shown only when granted or the column's
# ``reflection_names`` says so.
reflections = Table(
    "reflections", metadata,
    Column("id", Integer, primary_key=True),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"),
           nullable=False),
    Column("body", Text, nullable=False),
    Column("submitted_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime()),
    Column("excellent", Boolean, nullable=False, default=False, server_default=false()),
    Column("hidden", Boolean, nullable=False, default=False, server_default=false()),
    Column("consent", String(20)),
    Column("feature_column_id", Integer, ForeignKey("columns.id", ondelete="SET NULL")),
    Column("featured_issue_id", Integer, ForeignKey("issues.id", ondelete="SET NULL")),
    Column("marked_by", String(100)),
    UniqueConstraint("issue_id", "subscriber_id"),
    Index("ix_reflections_subscriber", "subscriber_id"),
)


# BM25's corpus statistics (jobs/corpus.py): document frequency per search word, and the
# totals (documents, words in bodies and titles) in the one row with id 1.
word_df = Table(
    "word_df", metadata,
    Column("word", String(64), primary_key=True),
    Column("df", Integer, nullable=False, default=0),
)

corpus_totals = Table(
    "corpus_totals", metadata,
    Column("id", Integer, primary_key=True),
    Column("n_docs", Integer, nullable=False, default=0),
    Column("body_words", Integer, nullable=False, default=0),
    Column("title_words", Integer, nullable=False, default=0),
)

# What the reader's shared pages show changes with this number (store/page_generation.py):
# every process's cache of rendered pages (app/page_cache.py) drops what it holds when it
# sees a new value. One row, id 1.
page_generation = Table(
    "page_generation", metadata,
    Column("id", Integer, primary_key=True),
    Column("generation", Integer, nullable=False, default=0),
)
