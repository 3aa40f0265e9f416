"""The editor's desk: the review queue of a column, decisions singly and in bulk, the
editor's note and publishing. Reading needs a staff login; changing needs the editor
role on the column (or administrator) and the form's CSRF token."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuanlan.errors import InvalidTransition, RuleError
from zhuanlan.staff import StaffUser
from zhuanlan.web.auth import csrf_protect, staff_user
from zhuanlan.web.render import render

router = APIRouter(prefix="/admin", dependencies=[Depends(csrf_protect)])

STATES = ("pending", "approved", "rejected", "published")


def _editable(request: Request, slug: str, user: StaffUser) -> dict:
    column = request.app.state.zl.get_column(slug)
    user.require_edit(column["id"], slug)
    return column


@router.get("", response_class=HTMLResponse)
def desk_home(request: Request, user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    zl = request.app.state.zl
    columns = zl.list_columns()
    counts = {c["slug"]: zl.candidate_counts(c["slug"]) for c in columns}
    return render(request, "desk.html", columns=columns, counts=counts)


@router.get("/c/{slug}/review", response_class=HTMLResponse)
def review_page(request: Request, slug: str, state: str = "pending", error: str = "",
                user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    zl = request.app.state.zl
    column = zl.get_column(slug)
    if state not in STATES:
        state = "pending"
    items = zl.candidates(slug, state)
    others = {c["id"]: zl.other_outlets(c["article_id"]) for c in items}
    return render(request, "review.html", column=column, state=state, error=error,
                  items=items, others=others, can_edit=user.can_edit(column["id"]),
                  approved_count=zl.candidate_counts(slug).get("approved", 0),
                  learner_ready=zl.learner_ready(slug))


def _back(slug: str, state: str, error: str = "") -> RedirectResponse:
    target = f"/admin/c/{slug}/review?state={state if state in STATES else 'pending'}"
    if error:
        target += f"&error={quote(error)}"
    return RedirectResponse(target, status_code=303)


@router.post("/c/{slug}/decide")
def decide(request: Request, slug: str, candidate_id: int = Form(...), action: str = Form(...),
           state: str = Form("pending"),
           user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    error = ""
    try:
        request.app.state.zl.decide(candidate_id, action, by=user.username, column=slug)
    except (InvalidTransition, RuleError) as exc:
        error = str(exc)
    return _back(slug, state, error)


@router.post("/c/{slug}/bulk")
def bulk(request: Request, slug: str, action: str = Form(...), state: str = Form("pending"),
         candidate_id: list[int] = Form(default=[]),
         user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    if action not in ("approve", "reject", "undo"):
        action = ""
    results = (request.app.state.zl.decide_many(candidate_id, action, by=user.username,
                                                column=slug) if action else {})
    failed = [r for r in results.values() if r.startswith("错误")]
    if not candidate_id:
        return _back(slug, state, "没有选中稿件")
    return _back(slug, state, "；".join(failed))


@router.post("/c/{slug}/note")
def note(request: Request, slug: str, editor_note: str = Form(""),
         user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    request.app.state.zl.set_editor_note(slug, editor_note.strip(), by=user.username)
    return RedirectResponse(f"/admin/c/{slug}/review", status_code=303)


@router.post("/c/{slug}/publish")
def publish(request: Request, slug: str,
            user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    zl = request.app.state.zl
    if zl.publish_now(slug, by=user.username) is None:
        return _back(slug, "pending", "没有已通过的稿件，未发布")
    return RedirectResponse(f"/c/{slug}/{zl.issues_of(slug)[0]['number']}", status_code=303)
