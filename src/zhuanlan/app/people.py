"""``zl.people``: the people issues go to, their department tree, their import and
export, and the subscriptions of columns — by person or by whole department — with the
opt-outs that win over both.

The parsing and checking of files and the planning of an import are pure
(``people.importing``); here they meet the store, and an import is applied in one
transaction or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy import Connection, bindparam, delete, func, select, update

from zhuanlan.errors import AuthError, NotFoundError, RuleError
from zhuanlan.links import UNSUBSCRIBE
from zhuanlan.people.departments import (
    DepartmentNode, PathError, build_tree, canonical, in_subtree, parent_of, prefixes,
)
from zhuanlan.people.export import export as _export
from zhuanlan.people.importing import (
    CHAT_FIELDS, ImportPlan, ImportRefused, TableLimits, parse_people, plan_import, valid_email,
)
from zhuanlan.store.audit import record as _audit
from zhuanlan.store.schema import (
    columns, departments, subscribers, subscriptions, unsubscriptions,
)
from zhuanlan.store.upsert import insert_ignore
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.personal import PersonalLinks


Progress = Callable[[str], None]

_PERSON = [subscribers.c.id, subscribers.c.employee_no, subscribers.c.name,
           subscribers.c.email, subscribers.c.wecom_userid, subscribers.c.dingtalk_userid,
           subscribers.c.feishu_open_id, subscribers.c.active, subscribers.c.department_id,
           func.coalesce(departments.c.path, subscribers.c.department).label("department"),
           subscribers.c.created_at, subscribers.c.updated_at]


def _people_query():  # noqa: ANN202
    return (select(*_PERSON)
            .select_from(subscribers.outerjoin(
                departments, departments.c.id == subscribers.c.department_id)))


class Directory:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.clock = ctx.clock
        cfg = ctx.cfg
        self.limits = TableLimits(max_rows=cfg["people.max_rows"],
                                  max_columns=cfg["people.max_columns"],
                                  max_cells=cfg["people.max_cells"],
                                  max_shared_strings=cfg["people.max_shared_strings"])

    # -- departments ---------------------------------------------------------------

    def departments(self) -> list[dict]:
        with self.db.read() as conn:
            return [dict(r) for r in conn.execute(
                select(departments).order_by(departments.c.path)).mappings()]

    def department_tree(self) -> list[DepartmentNode]:
        """The tree with head counts of active people (each node's ``total`` covers its
        subtree, ``direct`` the people placed in the department itself)."""
        with self.db.read() as conn:
            return self._tree(conn)

    def _tree(self, conn: Connection) -> list[DepartmentNode]:
        rows = conn.execute(select(departments.c.id, departments.c.path)).all()
        counts = dict(conn.execute(
            select(subscribers.c.department_id, func.count())
            .where(subscribers.c.active.is_(True), subscribers.c.department_id.is_not(None))
            .group_by(subscribers.c.department_id)).all())
        return build_tree([(r.id, r.path) for r in rows], counts)

    def add_department(self, path: str) -> int:
        """The id of the department at ``path`` ("集团/公司/部门", "集团 › 公司"),
        made with its missing ancestors."""
        with self.db.write() as conn:
            department_id = self._ensure_departments(conn, [_path(path)])[_path(path)]
        if department_id is None:
            raise RuleError("部门路径为空", resource="department")
        return department_id

    def get_department(self, path: str) -> dict:
        with self.db.read() as conn:
            row = conn.execute(select(departments).where(
                departments.c.path == _path(path))).mappings().first()
        if row is None:
            raise NotFoundError("没有这个部门", resource=path)
        return dict(row)

    def _ensure_departments(self, conn: Connection, paths: list[str]) -> dict[str, int | None]:
        known = dict(conn.execute(select(departments.c.path, departments.c.id)).all())
        wanted = sorted({p for path in paths for p in prefixes(path)} - known.keys())
        now = self.clock()
        for path in wanted:          # sorted: a parent comes before its children
            known[path] = conn.execute(departments.insert().values(
                name=path.rsplit("/", 1)[-1], parent_id=known.get(parent_of(path) or ""),
                path=path, created_at=now)).inserted_primary_key[0]
        known[""] = None
        return known

    # -- people --------------------------------------------------------------------

    def add_person(self, email: str, name: str = "", *, employee_no: str | None = None,
                   department: str = "", wecom_userid: str | None = None,
                   dingtalk_userid: str | None = None, feishu_open_id: str | None = None,
                   active: bool = True, by: str = "admin") -> int:
        """Add a person (or return the id of the one with this e-mail). The department
        path is placed in the tree, made if new. Raises RuleError for a bad e-mail, a
        工号 someone else has, or a bad path."""
        email = email.strip()
        if not valid_email(email):
            raise RuleError("不是有效的邮箱地址", resource=email)
        employee_no = (employee_no or "").strip() or None
        path = _path(department)
        now = self.clock()
        with self.db.write() as conn:
            existing = conn.execute(select(subscribers.c.id).where(
                func.lower(subscribers.c.email) == email.lower())).scalar()
            if existing is not None:
                return existing
            if employee_no and conn.execute(select(subscribers.c.id).where(
                    subscribers.c.employee_no == employee_no)).scalar() is not None:
                raise RuleError("工号已被他人使用", resource=employee_no)
            department_id = self._ensure_departments(conn, [path])[path]
            person_id = conn.execute(subscribers.insert().values(
                email=email, name=name.strip(), employee_no=employee_no, department=path,
                department_id=department_id, wecom_userid=wecom_userid or None,
                dingtalk_userid=dingtalk_userid or None, feishu_open_id=feishu_open_id or None,
                active=active, created_at=now, updated_at=now)).inserted_primary_key[0]
            _audit(conn, by, "add_person", f"subscriber {person_id}", f"{name} <{email}>", at=now)
            return person_id

    # -- the older, simpler calls (CLI ``subscriber``, tests) ---------------------------

    def add_subscriber(self, email: str, name: str = "", *, department: str = "",
                       employee_no: str | None = None) -> int:
        """Add a person (or return the id of the one with this e-mail); the department
        path ("集团/公司/部门") is placed in the department tree."""
        return self.add_person(email, name, department=department, employee_no=employee_no)

    def subscribe(self, slug: str, subscriber_id: int) -> None:
        self.subscribe_person(slug, subscriber_id)

    def subscriber_active(self, subscriber_id: int) -> bool:
        with self.db.read() as conn:
            return bool(conn.execute(select(subscribers.c.active).where(
                subscribers.c.id == subscriber_id)).scalar())

    def list_subscribers(self, slug: str | None = None) -> list[dict]:
        query = select(subscribers).order_by(subscribers.c.id)
        with self.db.read() as conn:
            if slug is not None:
                column = self._column(conn, slug)
                query = query.join(subscriptions,
                                   subscriptions.c.subscriber_id == subscribers.c.id)\
                    .where(subscriptions.c.column_id == column["id"])
            return [dict(r) for r in conn.execute(query).mappings()]

    def get(self, key: int | str) -> dict:
        """A person by id, 工号 or e-mail. Raises NotFoundError."""
        with self.db.read() as conn:
            return self._find(conn, key)

    @staticmethod
    def _find(conn: Connection, key: int | str) -> dict:
        query = _people_query()
        if isinstance(key, int):
            row = conn.execute(query.where(subscribers.c.id == key)).mappings().first()
        else:
            key = key.strip()
            row = conn.execute(query.where(subscribers.c.employee_no == key)).mappings().first()
            if row is None:
                row = conn.execute(query.where(func.lower(subscribers.c.email) == key.lower())
                                   ).mappings().first()
        if row is None:
            raise NotFoundError("没有这个人（按工号或邮箱查找）", resource=str(key))
        return dict(row)

    def list_people(self, department: str | None = None, *, subtree: bool = True,
                    active: bool | None = None, search: str = "") -> list[dict]:
        """People, ordered by department then 工号 and name; ``department`` (a path)
        limits them to it (and its subtree unless ``subtree`` is false)."""
        query = _people_query()
        if department:
            path = _path(department)
            path_col = departments.c.path
            cond = path_col == path
            if subtree:
                cond = cond | (func.substr(path_col, 1, len(path) + 1) == path + "/")
            query = query.where(cond)
        if active is not None:
            query = query.where(subscribers.c.active.is_(active))
        if search:
            like = f"%{search.strip()}%"
            query = query.where(subscribers.c.name.like(like) | subscribers.c.email.like(like)
                                | subscribers.c.employee_no.like(like))
        query = query.order_by(func.coalesce(departments.c.path, ""), subscribers.c.employee_no,
                               subscribers.c.name, subscribers.c.id)
        with self.db.read() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def set_active(self, key: int | str, active: bool, *, by: str = "admin") -> None:
        with self.db.write() as conn:
            person = self._find(conn, key)
            conn.execute(update(subscribers).where(subscribers.c.id == person["id"])
                         .values(active=active, updated_at=self.clock()))
            _audit(conn, by, "activate_person" if active else "deactivate_person",
                   f"subscriber {person['id']}", person["email"], at=self.clock())

    # -- import and export ---------------------------------------------------------

    def preview_import(self, data: bytes, filename: str, *, deactivate_missing: bool = False,
                       progress: Progress | None = None) -> ImportPlan:
        """What importing the file would do (added, updated, deactivated, unchanged) and
        its bad rows; changes nothing. Raises FileFormatError for a file that is no
        table."""
        parsed = parse_people(data, filename, progress=_rows_progress(progress),
                              limits=self.limits)
        with self.db.read() as conn:
            return self._plan(conn, parsed, deactivate_missing)

    def apply_import(self, data: bytes, filename: str, *, deactivate_missing: bool = False,
                     by: str = "admin", progress: Progress | None = None) -> ImportPlan:
        """Import the file in one transaction: every change or, when any row is bad,
        none (ImportRefused with the plan and its problems). People are matched by 工号,
        else by e-mail; a column the file lacks leaves that field as it was; people not
        in the file are deactivated only with ``deactivate_missing``."""
        parsed = parse_people(data, filename, progress=_rows_progress(progress),
                              limits=self.limits)
        now = self.clock()
        with self.db.write() as conn:
            plan = self._plan(conn, parsed, deactivate_missing)
            if not plan.ok:
                raise ImportRefused(plan)
            ids = self._ensure_departments(conn, [r.department for r in plan.added]
                                           + [c.record.department for c in plan.updated])
            total = len(plan.added) + len(plan.updated) + len(plan.deactivated)
            if plan.added:
                conn.execute(subscribers.insert(), [{
                    "email": r.email, "name": r.name, "employee_no": r.employee_no,
                    "department": r.department, "department_id": ids[r.department],
                    "wecom_userid": r.wecom_userid, "dingtalk_userid": r.dingtalk_userid,
                    "feishu_open_id": r.feishu_open_id, "active": r.active,
                    "created_at": now, "updated_at": now} for r in plan.added])
                _report(progress, f"已新增 {len(plan.added)} 人（共 {total} 项变更）")
            self._apply_updates(conn, plan, ids, now)
            _report(progress, f"已更新 {len(plan.updated)} 人")
            if plan.deactivated:
                conn.execute(update(subscribers).where(subscribers.c.id.in_(
                    [p["id"] for p in plan.deactivated])).values(active=False, updated_at=now))
            s = plan.summary()
            _audit(conn, by, "import_people", "people",
                   f"新增 {s['added']}，更新 {s['updated']}，停用 {s['deactivated']}，"
                   f"未变 {s['unchanged']}（{filename}）", at=now)
        return plan

    def _plan(self, conn: Connection, parsed, deactivate_missing: bool) -> ImportPlan:  # noqa: ANN001
        existing = [dict(r) for r in conn.execute(_people_query()).mappings()]
        paths = set(conn.execute(select(departments.c.path)).scalars())
        return plan_import(parsed, existing, paths, deactivate_missing=deactivate_missing)

    @staticmethod
    def _apply_updates(conn: Connection, plan: ImportPlan, ids: dict, now: datetime) -> None:
        if not plan.updated:
            return
        # E-mails and 工号 may move between people of one file (a swap): free them first,
        # so that no intermediate state breaks a unique key.
        moving_email = [c.id for c in plan.updated if "email" in c.changes]
        if moving_email:
            conn.execute(update(subscribers).where(subscribers.c.id == bindparam("pid"))
                         .values(email=bindparam("tmp")),
                         [{"pid": i, "tmp": f"moving-{i}@import.invalid"} for i in moving_email])
        moving_no = [c.id for c in plan.updated if "employee_no" in c.changes]
        if moving_no:
            conn.execute(update(subscribers).where(subscribers.c.id.in_(moving_no))
                         .values(employee_no=None))
        fields = [f for f in ("name", "email", *CHAT_FIELDS) if f in plan.columns]
        stmt = update(subscribers).where(subscribers.c.id == bindparam("pid")).values(
            employee_no=bindparam("v_employee_no"), active=bindparam("v_active"),
            updated_at=bindparam("v_updated_at"),
            **{f: bindparam(f"v_{f}") for f in fields},
            **({"department": bindparam("v_department"),
                "department_id": bindparam("v_department_id")}
               if "department" in plan.columns else {}))
        rows = []
        for c in plan.updated:
            r = c.record
            row = {"pid": c.id, "v_employee_no": r.employee_no or c.before.get("employee_no"),
                   "v_active": r.active, "v_updated_at": now,
                   **{f"v_{f}": r.value(f) for f in fields}}
            if "department" in plan.columns:
                row["v_department"] = r.department
                row["v_department_id"] = ids[r.department]
            rows.append(row)
        conn.execute(stmt, rows)

    def export(self, kind: str, *, department: str | None = None) -> bytes:
        """The people (of ``department``'s subtree, or all) as "csv" or "xlsx", with the
        import's headers."""
        return _export(self.list_people(department), kind)

    # -- subscriptions -------------------------------------------------------------

    def _column(self, conn: Connection, column: str | int) -> dict:
        query = select(columns.c.id, columns.c.slug, columns.c.name)
        query = query.where(columns.c.id == column if isinstance(column, int)
                            else columns.c.slug == column)
        row = conn.execute(query).mappings().first()
        if row is None:
            raise NotFoundError("没有这个专栏", resource=str(column))
        return dict(row)

    def subscribe_person(self, column: str | int, person: int | str, *,
                         by: str = "admin") -> int:
        """Subscribe one person to a column (an earlier opt-out of theirs is lifted: this
        is an explicit choice). Returns the person's id."""
        now = self.clock()
        with self.db.write() as conn:
            col = self._column(conn, column)
            p = self._find(conn, person)
            insert_ignore(conn, subscriptions, [{"column_id": col["id"], "subscriber_id": p["id"],
                                                 "created_at": now}],
                          ["column_id", "subscriber_id"])
            conn.execute(delete(unsubscriptions).where(
                unsubscriptions.c.column_id == col["id"],
                unsubscriptions.c.subscriber_id == p["id"]))
            _audit(conn, by, "subscribe", f"column {col['slug']}",
                   f"{p['name']} <{p['email']}>", at=now)
            return p["id"]

    def subscribe_department(self, column: str | int, path: str, *, by: str = "admin") -> int:
        """Subscribe a department's whole subtree, people added later included. The
        department must exist (import people first, or ``add_department``). Returns its
        id."""
        now = self.clock()
        path = _path(path)
        with self.db.write() as conn:
            col = self._column(conn, column)
            department_id = conn.execute(select(departments.c.id).where(
                departments.c.path == path)).scalar()
            if department_id is None:
                raise NotFoundError("没有这个部门", resource=path or "department")
            insert_ignore(conn, subscriptions, [{"column_id": col["id"],
                                                 "department_id": department_id,
                                                 "created_at": now}],
                          ["column_id", "department_id"])
            _audit(conn, by, "subscribe", f"column {col['slug']}", f"部门 {path}", at=now)
            return department_id

    def remove_person(self, column: str | int, person: int | str, *, by: str = "admin") -> None:
        """Remove a person's direct subscription (a department may still cover them)."""
        with self.db.write() as conn:
            col = self._column(conn, column)
            p = self._find(conn, person)
            conn.execute(delete(subscriptions).where(subscriptions.c.column_id == col["id"],
                                                     subscriptions.c.subscriber_id == p["id"]))
            _audit(conn, by, "remove_subscription", f"column {col['slug']}",
                   f"{p['name']} <{p['email']}>", at=self.clock())

    def remove_department(self, column: str | int, path: str, *, by: str = "admin") -> None:
        path = _path(path)
        with self.db.write() as conn:
            col = self._column(conn, column)
            department_id = conn.execute(select(departments.c.id).where(
                departments.c.path == path)).scalar()
            conn.execute(delete(subscriptions).where(
                subscriptions.c.column_id == col["id"],
                subscriptions.c.department_id == department_id))
            _audit(conn, by, "remove_subscription", f"column {col['slug']}", f"部门 {path}",
                   at=self.clock())

    def unsubscribe(self, column: str | int, person: int | str, *, via: str = "admin",
                    by: str | None = None) -> bool:
        """Record the person's opt-out from the column: the next issue is not sent to
        them, whatever subscription (direct or by department) covers them. Returns False
        when they had already opted out."""
        now = self.clock()
        with self.db.write() as conn:
            col = self._column(conn, column)
            p = self._find(conn, person)
            if conn.execute(select(unsubscriptions.c.id).where(
                    unsubscriptions.c.column_id == col["id"],
                    unsubscriptions.c.subscriber_id == p["id"])).first() is not None:
                return False
            # Two clicks at once: the unique key keeps one row, neither fails.
            made = insert_ignore(conn, unsubscriptions, [{
                "column_id": col["id"], "subscriber_id": p["id"], "via": via,
                "created_at": now}], ["column_id", "subscriber_id"])
            if made:
                _audit(conn, by or p["email"], "unsubscribe", f"column {col['slug']}",
                       f"{p['name']} <{p['email']}>（{via}）", at=now)
            return True

    def opted_out(self, column: str | int, person: int | str) -> bool:
        with self.db.read() as conn:
            col = self._column(conn, column)
            p = self._find(conn, person)
            return conn.execute(select(unsubscriptions.c.id).where(
                unsubscriptions.c.column_id == col["id"],
                unsubscriptions.c.subscriber_id == p["id"])).first() is not None

    def recipients(self, column: str | int) -> list[dict]:
        """The people the column's next issue goes to: active, subscribed directly or
        through a department's subtree, not opted out — each once (the same query the
        publishing job uses)."""
        from zhuanlan.store.issues import recipient_conditions

        with self.db.read() as conn:
            col = self._column(conn, column)
            return [dict(r) for r in conn.execute(
                _people_query().where(*recipient_conditions(col["id"]))
                .order_by(subscribers.c.id)).mappings()]

    def column_subscriptions(self, column: str | int) -> dict:
        """A column's subscriptions: ``people`` (direct, with ``opted_out``),
        ``departments`` (with ``path`` and ``head_count`` of active people in the
        subtree), ``opt_outs`` and the number of ``recipients``."""
        from zhuanlan.store.issues import recipient_ids

        with self.db.read() as conn:
            col = self._column(conn, column)
            out_ids = set(conn.execute(select(unsubscriptions.c.subscriber_id).where(
                unsubscriptions.c.column_id == col["id"])).scalars())
            people = [dict(r, opted_out=r["id"] in out_ids) for r in conn.execute(
                _people_query().join(subscriptions,
                                     subscriptions.c.subscriber_id == subscribers.c.id)
                .where(subscriptions.c.column_id == col["id"])
                .order_by(subscribers.c.name, subscribers.c.id)).mappings()]
            totals = {n.path: n.total for root in self._tree(conn) for n in root.walk()}
            depts = [dict(r, head_count=totals.get(r["path"], 0)) for r in conn.execute(
                select(departments.c.id, departments.c.name, departments.c.path,
                       subscriptions.c.created_at)
                .join(subscriptions, subscriptions.c.department_id == departments.c.id)
                .where(subscriptions.c.column_id == col["id"])
                .order_by(departments.c.path)).mappings()]
            opt_outs = [dict(r) for r in conn.execute(
                _people_query().add_columns(unsubscriptions.c.via,
                                            unsubscriptions.c.created_at.label("opted_out_at"))
                .join(unsubscriptions, unsubscriptions.c.subscriber_id == subscribers.c.id)
                .where(unsubscriptions.c.column_id == col["id"])
                .order_by(unsubscriptions.c.created_at.desc())).mappings()]
            count = conn.execute(select(func.count()).select_from(
                recipient_ids(col["id"]).subquery())).scalar()
        return {"column": col, "people": people, "departments": depts, "opt_outs": opt_outs,
                "recipients": count}

    def subscriptions_of(self, person: int | str) -> dict:
        """Which columns reach a person, and how: ``direct``, ``departments`` (paths of
        subscribed departments covering them), ``opted_out``."""
        with self.db.read() as conn:
            p = self._find(conn, person)
            out = {"person": p, "direct": [], "departments": [], "opted_out": []}
            out["direct"] = list(conn.execute(
                select(columns.c.slug).join(subscriptions,
                                            subscriptions.c.column_id == columns.c.id)
                .where(subscriptions.c.subscriber_id == p["id"])).scalars())
            for slug, path in conn.execute(
                    select(columns.c.slug, departments.c.path)
                    .join(subscriptions, subscriptions.c.column_id == columns.c.id)
                    .join(departments, departments.c.id == subscriptions.c.department_id)):
                if p["department"] and in_subtree(p["department"], path):
                    out["departments"].append((slug, path))
            out["opted_out"] = list(conn.execute(
                select(columns.c.slug).join(unsubscriptions,
                                            unsubscriptions.c.column_id == columns.c.id)
                .where(unsubscriptions.c.subscriber_id == p["id"])).scalars())
            return out

    # -- unsubscribe links ---------------------------------------------------------

    def unsubscribe_token(self, subscriber_id: int, column_id: int) -> str:
        return PersonalLinks(self.ctx).unsubscribe_token(subscriber_id, column_id)

    def unsubscribe_url(self, subscriber_id: int, column_id: int) -> str:
        """The absolute one-click unsubscribe link for a person and a column (for the
        e-mail's footer and its List-Unsubscribe header)."""
        return PersonalLinks(self.ctx).unsubscribe_url(subscriber_id, column_id)

    def read_unsubscribe_token(self, token: str) -> dict:
        """{"person", "column", "opted_out"} for a signed unsubscribe token. Raises
        AuthError for a forged token, NotFoundError when the person or the column is gone."""
        payload = self.ctx.links.verify(UNSUBSCRIBE, token)
        if not (isinstance(payload, dict) and isinstance(payload.get("s"), int)
                and isinstance(payload.get("c"), int)):
            raise AuthError("链接无效", resource=UNSUBSCRIBE)
        with self.db.read() as conn:
            col = self._column(conn, payload["c"])
            person = self._find(conn, payload["s"])
            opted = conn.execute(select(unsubscriptions.c.id).where(
                unsubscriptions.c.column_id == col["id"],
                unsubscriptions.c.subscriber_id == person["id"])).first() is not None
        return {"person": person, "column": col, "opted_out": opted}

    def unsubscribe_by_token(self, token: str, *, via: str = "link") -> dict:
        """Record the opt-out a signed token asks for (idempotent); returns what
        ``read_unsubscribe_token`` does."""
        found = self.read_unsubscribe_token(token)
        self.unsubscribe(found["column"]["id"], found["person"]["id"], via=via)
        return {**found, "opted_out": True}


def _path(text: str | None) -> str:
    try:
        return canonical(text)
    except PathError as exc:
        raise RuleError(str(exc), resource="department") from None


def _report(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _rows_progress(progress: Progress | None):  # noqa: ANN202
    if progress is None:
        return None
    return lambda n: progress(f"已读取 {n} 行")


__all__ = ["Directory", "ImportRefused"]
