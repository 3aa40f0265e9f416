"""``zl.people``: the people issues go to, their department tree, their import and
export, and the subscriptions of columns — by person or by whole department — with the
opt-outs that win over both.

The parsing and checking of files and the planning of an import are pure
(``people.importing``), the queries are ``store.people``; here they meet, and an import
is applied in one transaction or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from zhuanlan.errors import AuthError, NotFoundError, RuleError
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.personal import PersonalLinks
from zhuanlan.links import UNSUBSCRIBE
from zhuanlan.people.departments import (
    DepartmentNode,
    PathError,
    canonical,
    display,
    in_subtree,
)
from zhuanlan.people.export import export as _export
from zhuanlan.people.importing import (
    CHAT_FIELDS,
    ImportPlan,
    ImportRefused,
    TableLimits,
    parse_people,
    plan_import,
    valid_email,
)
from zhuanlan.people.person_form import PersonInvalid, change_words, check_person
from zhuanlan.store import Connection
from zhuanlan.store import people as store
from zhuanlan.store.audit import record as _audit
from zhuanlan.store.staff import editors_of
from zhuanlan.store.study_record import person_record

Progress = Callable[[str], None]


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
            return store.department_rows(conn)

    def department_tree(self) -> list[DepartmentNode]:
        """The tree with head counts of active people (each node's ``total`` covers its
        subtree, ``direct`` the people placed in the department itself)."""
        with self.db.read() as conn:
            return store.tree(conn)

    def add_department(self, path: str) -> int:
        """The id of the department at ``path`` ("集团/公司/部门", "集团 › 公司"),
        made with its missing ancestors."""
        with self.db.write() as conn:
            department_id = store.ensure_departments(conn, [_path(path)],
                                                     self.clock())[_path(path)]
        if department_id is None:
            raise RuleError("部门路径为空", resource="department")
        return department_id

    def get_department(self, path: str) -> dict:
        with self.db.read() as conn:
            row = store.department_by_path(conn, _path(path))
        if row is None:
            raise NotFoundError("没有这个部门", resource=path)
        return row

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
            existing = store.person_id_by_email(conn, email)
            if existing is not None:
                return existing
            if employee_no and store.employee_no_taken(conn, employee_no):
                raise RuleError("工号已被他人使用", resource=employee_no)
            department_id = store.ensure_departments(conn, [path], now)[path]
            person_id = store.insert_person(
                conn, email=email, name=name.strip(), employee_no=employee_no,
                department=path, department_id=department_id,
                wecom_userid=wecom_userid or None, dingtalk_userid=dingtalk_userid or None,
                feishu_open_id=feishu_open_id or None, active=active, created_at=now,
                updated_at=now)
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
            return store.is_active(conn, subscriber_id)

    def active_subscriber_ids(self) -> frozenset[int]:
        with self.db.read() as conn:
            return store.active_ids(conn)

    def list_subscribers(self, slug: str | None = None) -> list[dict]:
        with self.db.read() as conn:
            column_id = store.column_of(conn, slug)["id"] if slug is not None else None
            return store.subscriber_rows(conn, column_id)

    def get(self, key: int | str) -> dict:
        """A person by id, 工号 or e-mail. Raises NotFoundError."""
        with self.db.read() as conn:
            return store.find_person(conn, key)

    def list_people(self, department: str | None = None, *, subtree: bool = True,
                    active: bool | None = None, search: str = "") -> list[dict]:
        """People, ordered by department then 工号 and name; ``department`` (a path)
        limits them to it (and its subtree unless ``subtree`` is false)."""
        with self.db.read() as conn:
            return store.people(conn, department=_path(department) if department else None,
                                subtree=subtree, active=active, search=search)

    def set_active(self, key: int | str, active: bool, *, by: str = "admin") -> None:
        """启用 or 停用 one person (the state an import's 状态 column sets): a person
        停用 is sent no more issues and keeps their history."""
        with self.db.write() as conn:
            person = store.find_person(conn, key)
            store.set_active(conn, [person["id"]], active, self.clock())
            _audit(conn, by, "activate_person" if active else "deactivate_person",
                   f"subscriber {person['id']}",
                   f"{'启用' if active else '停用'}人员 {person['name']} <{person['email']}>",
                   at=self.clock())

    # -- one person on the web -----------------------------------------------------

    def search(self, text: str = "", *, page: int = 1, per_page: int = 50) -> dict:
        """One page of the people whose 姓名, e-mail, 工号 or department contains
        ``text``: ``people``, ``total``, ``page``, ``pages``."""
        page = max(page, 1)
        with self.db.read() as conn:
            rows, total = store.search_people(conn, text[:100], offset=(page - 1) * per_page,
                                              limit=per_page)
        return {"people": rows, "total": total, "page": page,
                "pages": max(1, -(-total // per_page))}

    def create_person(self, form: Mapping[str, str], *, by: str = "admin") -> int:
        """Add one person from the form's fields (``person_form.FIELDS``); the department
        must already be in the tree. Raises PersonInvalid with a message per field (an
        e-mail or 工号 someone has, a bad e-mail, an unknown department …)."""
        now = self.clock()
        with self.db.write() as conn:
            values = self._checked(conn, form, None)
            department_id = _department_id(conn, values["department"])
            person_id = store.insert_person(conn, **values, department_id=department_id,
                                            active=True, created_at=now, updated_at=now)
            _audit(conn, by, "add_person", f"subscriber {person_id}",
                   f"添加人员 {values['name']} <{values['email']}>"
                   + (f"，部门 {display(values['department'])}" if values["department"] else ""),
                   at=now)
            return person_id

    def edit_person(self, person_id: int, form: Mapping[str, str], *,
                    by: str = "admin") -> list[str]:
        """Save one person's edited fields; returns the changes in words (also audited).
        Raises NotFoundError, PersonInvalid."""
        now = self.clock()
        with self.db.write() as conn:
            before = store.find_person(conn, person_id)
            values = self._checked(conn, form, person_id)
            words = change_words(before, values)
            if not words:
                return []
            department_id = _department_id(conn, values["department"])
            store.update_person(conn, person_id, **values, department_id=department_id,
                                updated_at=now)
            _audit(conn, by, "edit_person", f"subscriber {person_id}",
                   f"编辑人员 {values['name']} <{values['email']}>：" + "；".join(words), at=now)
            return words

    @staticmethod
    def _checked(conn: Connection, form: Mapping[str, str], person_id: int | None) -> dict:
        values, errors = check_person(form, store.department_paths(conn))
        if "email" not in errors:
            holder = store.holder_of_email(conn, values["email"])
            if holder is not None and holder["id"] != person_id:
                errors["email"] = f"邮箱已属于 {holder['name'] or holder['email']}"
        if values["employee_no"] and "employee_no" not in errors:
            holder = store.holder_of_employee_no(conn, values["employee_no"])
            if holder is not None and holder["id"] != person_id:
                errors["employee_no"] = f"工号已属于 {holder['name'] or holder['email']}"
        if errors:
            raise PersonInvalid(errors)
        return values

    def study_record(self, person: int | str) -> dict:
        """A person's study record per column: ``person``, and ``columns``, each with
        ``name``, ``slug``, its ``issues`` (newest first: sent, opened and studied
        articles with dates, reading seconds) and ``totals`` (issues received, opened,
        studied in full, articles opened and studied, seconds)."""
        with self.db.read() as conn:
            p = store.find_person(conn, person)
            rows = person_record(conn, p["id"])
        by_column: dict[int, dict] = {}
        for r in rows:
            col = by_column.setdefault(r["column_id"], {
                "name": r["column_name"], "slug": r["slug"], "issues": []})
            col["issues"].append(r)
        for col in by_column.values():
            issues = col["issues"]
            col["totals"] = {
                "issues": len(issues), "received": sum(r["delivered"] for r in issues),
                "opened": sum(1 for r in issues if r["opened"]),
                "studied": sum(1 for r in issues
                               if r["articles"] and r["studied"] >= r["articles"]),
                "articles": sum(r["articles"] for r in issues),
                "articles_opened": sum(r["opened"] for r in issues),
                "articles_studied": sum(r["studied"] for r in issues),
                "seconds": sum(r["seconds"] for r in issues)}
        return {"person": p, "columns": sorted(by_column.values(), key=lambda c: c["name"])}

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
        none (ImportRefused with the plan and its problems) — except a row whose 状态 is
        an unknown word, which is left out and reported (``plan.skipped``) while the rest
        goes on. People are matched by 工号,
        else by e-mail; a column the file lacks leaves that field as it was; people not
        in the file are deactivated only with ``deactivate_missing``."""
        parsed = parse_people(data, filename, progress=_rows_progress(progress),
                              limits=self.limits)
        now = self.clock()
        with self.db.write() as conn:
            plan = self._plan(conn, parsed, deactivate_missing)
            if not plan.ok:
                raise ImportRefused(plan)
            ids = store.ensure_departments(conn, [r.department for r in plan.added]
                                           + [c.record.department for c in plan.updated], now)
            total = len(plan.added) + len(plan.updated) + len(plan.deactivated)
            if plan.added:
                store.insert_people(conn, [{
                    "email": r.email, "name": r.name, "employee_no": r.employee_no,
                    "department": r.department, "department_id": ids[r.department],
                    "wecom_userid": r.wecom_userid, "dingtalk_userid": r.dingtalk_userid,
                    "feishu_open_id": r.feishu_open_id, "active": r.active,
                    "created_at": now, "updated_at": now} for r in plan.added])
                _report(progress, f"已新增 {len(plan.added)} 人（共 {total} 项变更）")
            self._apply_updates(conn, plan, ids, now)
            _report(progress, f"已更新 {len(plan.updated)} 人")
            if plan.deactivated:
                store.set_active(conn, [p["id"] for p in plan.deactivated], False, now)
            s = plan.summary()
            _audit(conn, by, "import_people", "people",
                   f"新增 {s['added']}，更新 {s['updated']}，停用 {s['deactivated']}，"
                   f"未变 {s['unchanged']}"
                   + (f"，跳过 {s['skipped']} 行（状态无法识别）" if s["skipped"] else "")
                   + f"（{filename}）", at=now)
        return plan

    @staticmethod
    def _plan(conn: Connection, parsed, deactivate_missing: bool) -> ImportPlan:
        return plan_import(parsed, store.people(conn), store.department_paths(conn),
                           deactivate_missing=deactivate_missing)

    @staticmethod
    def _apply_updates(conn: Connection, plan: ImportPlan, ids: dict, now) -> None:
        fields = [f for f in ("name", "email", *CHAT_FIELDS) if f in plan.columns]
        department = "department" in plan.columns
        changes = []
        for c in plan.updated:
            r = c.record
            row = {"pid": c.id, "v_employee_no": r.employee_no or c.before.get("employee_no"),
                   "v_active": r.active, "v_updated_at": now,
                   "moving_email": "email" in c.changes,
                   "moving_no": "employee_no" in c.changes,
                   **{f"v_{f}": r.value(f) for f in fields}}
            if department:
                row["v_department"] = r.department
                row["v_department_id"] = ids[r.department]
            changes.append(row)
        store.apply_updates(conn, changes, fields, department=department)

    def export(self, kind: str, *, department: str | None = None) -> bytes:
        """The people (of ``department``'s subtree, or all) as "csv" or "xlsx", with the
        import's headers."""
        return _export(self.list_people(department), kind)

    # -- subscriptions -------------------------------------------------------------

    def subscribe_person(self, column: str | int, person: int | str, *,
                         by: str = "admin") -> int:
        """Subscribe one person to a column (an earlier opt-out of theirs is lifted: this
        is an explicit choice). Returns the person's id."""
        now = self.clock()
        with self.db.write() as conn:
            col = store.column_of(conn, column)
            p = store.find_person(conn, person)
            store.subscribe_person(conn, col["id"], p["id"], now)
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
            col = store.column_of(conn, column)
            department = store.department_by_path(conn, path)
            if department is None:
                raise NotFoundError("没有这个部门", resource=path or "department")
            store.subscribe_department(conn, col["id"], department["id"], now)
            _audit(conn, by, "subscribe", f"column {col['slug']}", f"部门 {path}", at=now)
            return department["id"]

    def remove_person(self, column: str | int, person: int | str, *, by: str = "admin") -> None:
        """Remove a person's direct subscription (a department may still cover them)."""
        with self.db.write() as conn:
            col = store.column_of(conn, column)
            p = store.find_person(conn, person)
            store.remove_person(conn, col["id"], p["id"])
            _audit(conn, by, "remove_subscription", f"column {col['slug']}",
                   f"{p['name']} <{p['email']}>", at=self.clock())

    def department_removal(self, column: str | int, path: str) -> dict:
        """What removing the column's subscription of a department would do, for the
        confirmation before it: ``path``, ``head_count`` (active people in its subtree),
        ``affected`` (who would stop receiving the column: ``count`` and ``examples``).
        Raises NotFoundError when the column does not subscribe that department."""
        path = _path(path)
        with self.db.read() as conn:
            col = store.column_of(conn, column)
            department = store.department_by_path(conn, path)
            subscribed = {d["id"] for d in store.subscribed_departments(conn, col["id"])}
            if department is None or department["id"] not in subscribed:
                raise NotFoundError("这个部门没有订阅本专栏", resource=path or "department")
            totals = {n.path: n.total for root in store.tree(conn) for n in root.walk()}
            return {"column": col, "path": path, "head_count": totals.get(path, 0),
                    "affected": store.losing_department(conn, col["id"], department["id"])}

    def remove_department(self, column: str | int, path: str, *, by: str = "admin") -> int:
        """Remove the column's subscription of a department; returns how many people it
        stopped reaching (written into the audit log with it)."""
        path = _path(path)
        with self.db.write() as conn:
            col = store.column_of(conn, column)
            department = store.department_by_path(conn, path)
            lost = (store.losing_department(conn, col["id"], department["id"])["count"]
                    if department else 0)
            store.remove_department(conn, col["id"], department["id"] if department else None)
            _audit(conn, by, "remove_subscription", f"column {col['slug']}",
                   f"部门 {path}（{lost} 人不再收到）", at=self.clock())
            return lost

    def unsubscribe(self, column: str | int, person: int | str, *, via: str = "admin",
                    by: str | None = None) -> bool:
        """Record the person's opt-out from the column: the next issue is not sent to
        them, whatever subscription (direct or by department) covers them. Returns False
        when they had already opted out."""
        now = self.clock()
        with self.db.write() as conn:
            col = store.column_of(conn, column)
            p = store.find_person(conn, person)
            if store.opted_out(conn, col["id"], p["id"]):
                return False
            # Two clicks at once: the unique key keeps one row, neither fails.
            if store.opt_out(conn, col["id"], p["id"], via, now):
                _audit(conn, by or p["email"], "unsubscribe", f"column {col['slug']}",
                       f"{p['name']} <{p['email']}>（{via}）", at=now)
            return True

    def opted_out(self, column: str | int, person: int | str) -> bool:
        with self.db.read() as conn:
            col = store.column_of(conn, column)
            return store.opted_out(conn, col["id"], store.find_person(conn, person)["id"])

    def recipients(self, column: str | int) -> list[dict]:
        """The people the column's next issue goes to: active, subscribed directly or
        through a department's subtree, not opted out — each once (the same query the
        publishing job uses)."""
        with self.db.read() as conn:
            return store.recipients(conn, store.column_of(conn, column)["id"])

    def column_subscriptions(self, column: str | int) -> dict:
        """A column's subscriptions: ``people`` (direct, with ``opted_out``),
        ``departments`` (with ``path`` and ``head_count`` of active people in the
        subtree), ``opt_outs`` and the number of ``recipients``."""
        with self.db.read() as conn:
            col = store.column_of(conn, column)
            totals = {n.path: n.total for root in store.tree(conn) for n in root.walk()}
            return {"column": col,
                    "people": store.direct_subscribers(conn, col["id"]),
                    "departments": [dict(d, head_count=totals.get(d["path"], 0))
                                    for d in store.subscribed_departments(conn, col["id"])],
                    "opt_outs": store.opt_outs(conn, col["id"]),
                    "recipients": store.recipient_count(conn, col["id"])}

    def subscriptions_of(self, person: int | str) -> dict:
        """Which columns reach a person, and how: ``direct``, ``departments`` (paths of
        subscribed departments covering them), ``opted_out``."""
        with self.db.read() as conn:
            p = store.find_person(conn, person)
            return {"person": p, "direct": store.direct_columns(conn, p["id"]),
                    "departments": [(slug, path) for slug, path
                                    in store.department_subscriptions(conn)
                                    if p["department"] and in_subtree(p["department"], path)],
                    "opted_out": store.opted_out_columns(conn, p["id"])}

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
            col = store.column_of(conn, payload["c"])
            person = store.find_person(conn, payload["s"])
            opted = store.opted_out(conn, col["id"], person["id"])
            contact = (col["contact"] or "、".join(editors_of(conn, col["id"]))
                       if col["compulsory"] else "")
        return {"person": person, "column": col, "opted_out": opted,
                "compulsory": bool(col["compulsory"]), "contact": contact}

    def unsubscribe_by_token(self, token: str, *, via: str = "link") -> dict:
        """Record the opt-out a signed token asks for (idempotent); returns what
        ``read_unsubscribe_token`` does. A 必学 column's token records nothing."""
        found = self.read_unsubscribe_token(token)
        if found["compulsory"]:     # 必学: nobody opts out; the page says whom to ask
            return found
        self.unsubscribe(found["column"]["id"], found["person"]["id"], via=via)
        return {**found, "opted_out": True}


def _department_id(conn: Connection, path: str | None) -> int | None:
    row = store.department_by_path(conn, path) if path else None
    return row["id"] if row else None


def _path(text: str | None) -> str:
    try:
        return canonical(text)
    except PathError as exc:
        raise RuleError(str(exc), resource="department") from None


def _report(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _rows_progress(progress: Progress | None):
    if progress is None:
        return None
    return lambda n: progress(f"已读取 {n} 行")


__all__ = ["Directory", "ImportRefused"]
