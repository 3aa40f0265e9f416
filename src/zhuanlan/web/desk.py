"""The editor's desk: the review queue of a column (filters and sorts as GET parameters),
the preview of one candidate, decisions singly and in bulk, the editor's title and
summary, the order of the next issue, the editor's note, 立即抓取, publishing, 撤销上一步,
and corrections of a candidate's story (以此为准, 不是同一篇). Reading needs a staff login;
changing needs the editor role on the column (or administrator) and the form's CSRF
token. After a change the page comes back with the queue's filters kept, at the item
the editor was at, saying in one line what happened."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuanlan.app.channels import KIND_NAMES
from zhuanlan.app.desk import SORTS, QueueQuery
from zhuanlan.app.desk_steps import VERBS
from zhuanlan.app.staff import StaffUser
from zhuanlan.errors import InvalidTransition, NotFoundError, RuleError
from zhuanlan.web.auth import csrf_protect, staff_user
from zhuanlan.web.cards import draw
from zhuanlan.web.params import FormId, OptionalFormId, PathId
from zhuanlan.web.render import FLASH_CHARS, flash, flash_redirect, render

router = APIRouter(prefix="/admin", dependencies=[Depends(csrf_protect)])

STATES = ("pending", "approved", "rejected", "published")
STATE_LABELS = {"pending": "待审", "approved": "已通过", "rejected": "已退回",
                "published": "已发布"}


def _editable(request: Request, slug: str, user: StaffUser) -> dict:
    column = request.app.state.zl.get_column(slug)
    user.require_edit(column["id"], slug)
    return column


def _query_of(back: str) -> QueueQuery:
    """The queue's filters from a form's ``back`` field (the page's query string);
    anything but the known filter keys is dropped."""
    return QueueQuery.from_params(dict(parse_qsl(back or "", keep_blank_values=False)))


def _qs(query: QueueQuery, **extra: str) -> str:
    params = {**query.to_params(), **{k: v for k, v in extra.items() if v}}
    return urlencode(params)


@router.get("", response_class=HTMLResponse)
def desk_home(request: Request, user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    zl = request.app.state.zl
    columns = [c for c in zl.list_columns() if c["archived_at"] is None]
    counts = {c["slug"]: zl.candidate_counts(c["slug"]) for c in columns}
    warnings = {c["slug"]: zl.desk.next_issue(c["slug"])["warnings"] for c in columns}
    return render(request, "desk.html", columns=columns, counts=counts, warnings=warnings)


@router.get("/c/{slug}/review", response_class=HTMLResponse)
def review_page(request: Request, slug: str, state: str = "pending",
                user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    zl = request.app.state.zl
    column = zl.get_column(slug)
    if state not in STATES:
        state = "pending"
    query = QueueQuery.from_params(request.query_params)
    rows = zl.candidates(slug, state)
    items = zl.desk.refine(slug, rows, query, state=state, tz=zl.tz)
    others = {c["id"]: zl.other_outlets(c["article_id"]) if c["other_count"] else []
              for c in items}
    sort = query.sort_for(state)
    return render(request, "review.html", column=column, state=state,
                  items=items, total=len(rows), others=others,
                  can_edit=user.can_edit(column["id"]),
                  counts=zl.candidate_counts(slug), learner_ready=zl.learner_ready(slug),
                  query=query, sort=sort, sorts=SORTS, states=STATE_LABELS,
                  outlets=zl.desk.outlets(slug), back=_qs(query, state=state),
                  filter_qs=_qs(query), next_issue=zl.desk.next_issue(slug),
                  can_move=state == "approved" and sort == "order" and not query.filtered,
                  undo_step=_undo_step(request, slug, user, column))


@router.get("/c/{slug}/candidate/{candidate_id}", response_class=HTMLResponse)
def candidate_page(request: Request, slug: str, candidate_id: PathId,
                   user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    zl = request.app.state.zl
    column = zl.get_column(slug)
    cand = zl.desk.candidate(candidate_id, column=slug)
    query = QueueQuery.from_params(request.query_params)
    state = request.query_params.get("state") or cand["state"]
    if state not in STATES:
        state = cand["state"]
    paragraphs = [p.strip() for p in (cand["text"] or "").split("\n") if p.strip()]
    try:
        story = zl.desk.story(candidate_id, column=slug)
    except NotFoundError:
        story = None        # an article from before stories existed
    return render(request, "candidate.html", column=column, c=cand, paragraphs=paragraphs,
                  others=zl.other_outlets(cand["article_id"]), story=story,
                  can_edit=user.can_edit(column["id"]), states=STATE_LABELS,
                  back=_qs(query, state=state), queue_qs=_qs(query, state=state),
                  undo_step=_undo_step(request, slug, user, column))


def _undo_step(request: Request, slug: str, user: StaffUser, column: dict) -> dict | None:
    """The user's last step on the column, which the status line offers to undo."""
    if not user.can_edit(column["id"]):
        return None
    return request.app.state.zl.desk.steps.last(slug, user.username)


def _back(request: Request, slug: str, state: str, back: str = "", error: str = "",
          done: str = "", candidate_id: int | None = None,
          focus: int | None = None) -> RedirectResponse:
    """Back to the queue (or the candidate's preview) with the queue's filters kept, at
    the item ``focus`` (the page scrolls to it, and the keyboard goes on from there);
    ``done`` / ``error`` is the one line the page then says (``render.flash``)."""
    query = _query_of(back)
    state = state if state in STATES else "pending"
    if candidate_id is not None:
        target = f"/admin/c/{slug}/candidate/{candidate_id}"
    else:
        target = f"/admin/c/{slug}/review"
    flash(request, error=error, done=done)
    anchor = f"#cand-{focus}" if focus is not None and candidate_id is None else ""
    return RedirectResponse(f"{target}?{_qs(query, state=state)}{anchor}", status_code=303)


def _step_label(request: Request, slug: str, user: StaffUser) -> str:
    step = request.app.state.zl.desk.steps.last(slug, user.username)
    return step["label"] if step else ""


@router.post("/c/{slug}/decide")
def decide(request: Request, slug: str, candidate_id: FormId, action: str = Form(...),
           state: str = Form("pending"), back: str = Form(""), return_to: str = Form(""),
           focus: OptionalFormId = None,
           user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    """``focus``: the item the queue comes back to (the next one after this, which
    leaves the tab)."""
    _editable(request, slug, user)
    error = done = ""
    try:
        request.app.state.zl.decide(candidate_id, action, by=user.username, column=slug,
                                    keep_step=True)
        done = "已" + _step_label(request, slug, user)
    except (InvalidTransition, RuleError) as exc:
        error, focus = exc.message, candidate_id
    return _back(request, slug, state, back, error, done,
                 candidate_id=candidate_id if return_to == "candidate" else None,
                 focus=focus)


@router.post("/c/{slug}/bulk")
def bulk(request: Request, slug: str, action: str = Form(...), state: str = Form("pending"),
         back: str = Form(""), candidate_id: list[int] = Form(default=[]),
         focus: OptionalFormId = None,
         user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    """``focus`` (review.js adds it): the item to come back to."""
    _editable(request, slug, user)
    if action not in VERBS:
        action = ""
    if not candidate_id:
        return _back(request, slug, state, back, "没有选中稿件")
    results = (request.app.state.zl.decide_many(candidate_id, action, by=user.username,
                                                column=slug, keep_step=True)
               if action else {})
    failed = [r for r in results.values() if r.startswith("错误")]
    decided = len(results) - len(failed)
    done = f"已批量{VERBS[action]} {decided} 篇" if decided else ""
    return _back(request, slug, state, back, "；".join(failed)[:FLASH_CHARS], done,
                 focus=focus)


@router.post("/c/{slug}/candidate/{candidate_id}/edit")
def edit(request: Request, slug: str, candidate_id: PathId, title: str = Form(""),
         summary: str = Form(""), state: str = Form("pending"), back: str = Form(""),
         user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    try:
        request.app.state.zl.desk.edit_candidate(candidate_id, title=title, summary=summary,
                                                 by=user.username, column=slug)
    except (InvalidTransition, RuleError) as exc:
        return _back(request, slug, state, back, exc.message, candidate_id=candidate_id)
    return _back(request, slug, state, back, done="已保存标题和摘要", candidate_id=candidate_id)


@router.post("/c/{slug}/candidate/{candidate_id}/story/representative")
def story_representative(request: Request, slug: str, candidate_id: PathId,
                         article_id: OptionalFormId = None, state: str = Form("pending"),
                         back: str = Form(""),
                         user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    """以此为准 (``article_id``), or back to the automatic choice (no ``article_id``)."""
    _editable(request, slug, user)
    try:
        request.app.state.zl.desk.pin_representative(candidate_id, article_id,
                                                     by=user.username, column=slug)
    except NotFoundError as exc:
        return _back(request, slug, state, back, f"未能指定代表版本：{exc.message}",
                     candidate_id=candidate_id)
    done = "已以此版本为准，各栏目将发布这一版本" if article_id is not None \
        else "已恢复自动选择代表版本"
    return _back(request, slug, state, back, done=done, candidate_id=candidate_id)


@router.post("/c/{slug}/candidate/{candidate_id}/story/split")
def story_split(request: Request, slug: str, candidate_id: PathId, article_id: FormId,
                state: str = Form("pending"), back: str = Form(""),
                user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    try:
        request.app.state.zl.desk.split_copy(candidate_id, article_id, by=user.username,
                                             column=slug)
    except (NotFoundError, InvalidTransition) as exc:
        return _back(request, slug, state, back, f"未能拆分：{exc.message}", candidate_id=candidate_id)
    return _back(request, slug, state, back, done="已将这一版本拆为单独的报道", candidate_id=candidate_id)


@router.post("/c/{slug}/move")
def move(request: Request, slug: str, candidate_id: FormId,
         direction: str = Form(...), back: str = Form(""),
         user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    error = done = ""
    try:
        request.app.state.zl.desk.move(candidate_id, direction, by=user.username, column=slug,
                                       keep_step=True)
        done = "已" + _step_label(request, slug, user)
    except (InvalidTransition, RuleError) as exc:
        error = exc.message
    return _back(request, slug, "approved", back, error, done, focus=candidate_id)


@router.post("/c/{slug}/note")
def note(request: Request, slug: str, editor_note: str = Form(""), back: str = Form(""),
         state: str = Form("pending"),
         user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    request.app.state.zl.set_editor_note(slug, editor_note.strip(), by=user.username,
                                         keep_step=True)
    response = _back(request, slug, state, back, done="编者按已保存")
    response.headers["location"] += "#note"
    return response


@router.post("/c/{slug}/undo")
def undo_step(request: Request, slug: str, state: str = Form("pending"), back: str = Form(""),
              user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    """撤销上一步: the user's last step on the column, undone exactly, or refused."""
    _editable(request, slug, user)
    try:
        out = request.app.state.zl.desk.steps.undo(slug, user.username)
    except InvalidTransition as exc:
        return _back(request, slug, state, back, exc.message)
    return _back(request, slug, state, back, done=f"已撤销：{out['label']}", focus=out["focus"])


@router.post("/c/{slug}/poll")
def poll(request: Request, slug: str, state: str = Form("pending"), back: str = Form(""),
         user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    """立即抓取 from the desk: the column's sources are polled on the worker's next round."""
    _editable(request, slug, user)
    count = request.app.state.zl.desk.poll_sources(slug, by=user.username)
    if not count:
        return _back(request, slug, state, back, "本栏目没有启用的信息源，未抓取")
    return _back(request, slug, state, back,
                 done=f"已开始抓取 {count} 个信息源：新稿件将在下一轮抓取后出现在待审中")


def _plan_key(plan: dict) -> str:
    """The counts the editor confirmed, carried by the form: when they changed meanwhile
    (another approval, an import of people), the confirmation is shown again."""
    people = ",".join(f"{p['channel']}{p['app_id'] or ''}:{p['count']}" for p in plan["people"])
    targets = ",".join(str(t["id"]) for t in plan["targets"])
    return f"{plan['articles']}|{people}|{targets}|{int(bool(plan['editor_note']))}"


def _confirm_page(request: Request, slug: str, column: dict, *, changed: bool = False,
                  status_code: int = 200) -> HTMLResponse:
    plan = request.app.state.zl.publish_plan(slug)
    return render(request, "publish_confirm.html", status_code=status_code, column=column,
                  plan=plan, key=_plan_key(plan), kind_names=KIND_NAMES, changed=changed,
                  people_total=sum(p["count"] for p in plan["people"]))


@router.get("/c/{slug}/preview", response_class=HTMLResponse)
def preview_page(request: Request, slug: str,
                 user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    """预览: the next issue as each channel the column uses would send it now."""
    zl = request.app.state.zl
    column = zl.get_column(slug)
    preview = zl.previews.next_issue(slug)
    cards = {t.id: [draw(p) for p in t.payloads] for t in preview.targets}
    return render(request, "preview.html", column=column, preview=preview, cards=cards,
                  kind_names=KIND_NAMES, can_edit=user.can_edit(column["id"]),
                  tests=zl.previews.tests.recent(slug),
                  addresses=zl.staff.test_addresses(user.username))


@router.post("/c/{slug}/preview/test")
def send_test(request: Request, slug: str,
              user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    """发送测试给我: the next issue, as it will go, to this user's own accounts."""
    _editable(request, slug, user)
    zl = request.app.state.zl
    target = f"/admin/c/{slug}/preview"
    try:
        results = zl.previews.tests.send(slug, user.username,
                                         zl.staff.test_addresses(user.username))
    except RuleError as exc:
        return flash_redirect(request, target, error=exc.message)
    failed = [r for r in results if not r.ok]
    if failed:
        return flash_redirect(request, target, error=f"测试发送有 {len(failed)} 项失败，见下方记录")
    return flash_redirect(request, target, done=f"已发送测试（{len(results)} 项），见下方记录")


@router.get("/c/{slug}/publish", response_class=HTMLResponse)
def publish_confirm(request: Request, slug: str,
                    user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    """发布确认: what the publish will queue — articles, people by channel, groups, the
    编者按 — counted by the statements the publish then runs."""
    column = _editable(request, slug, user)
    return _confirm_page(request, slug, column)


@router.post("/c/{slug}/publish", response_model=None)
def publish(request: Request, slug: str, confirmed: str = Form(""),
            user: StaffUser = Depends(staff_user)) -> RedirectResponse | HTMLResponse:
    column = _editable(request, slug, user)
    zl = request.app.state.zl
    if not confirmed:
        return RedirectResponse(f"/admin/c/{slug}/publish", status_code=303)
    if confirmed != _plan_key(zl.publish_plan(slug)):
        return _confirm_page(request, slug, column, changed=True, status_code=409)
    if zl.publish_now(slug, by=user.username) is None:
        return _back(request, slug, "pending", "", "没有已通过的稿件，未发布")
    return RedirectResponse(f"/c/{slug}/{zl.issues_of(slug)[0]['number']}", status_code=303)
