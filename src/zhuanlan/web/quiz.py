"""答题: the editor's review of the questions (for the next issue, or a published one) and
the readers' answers on the issue page.

The desk pages need a staff login; changes need the editor role on the column (or
administrator) and the form's CSRF token. A reader's answer is a plain form POST (no
script needed) with the same-origin check; the answer comes back on the issue page, at
the question."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuanlan.app.quiz import KIND_NAMES
from zhuanlan.app.staff import StaffUser
from zhuanlan.errors import InvalidTransition, RuleError
from zhuanlan.web.auth import csrf_protect, staff_user
from zhuanlan.web.params import OptionalFormId, PathId
from zhuanlan.web.reader import render_issue
from zhuanlan.web.readers import _same_origin, current_reader
from zhuanlan.web.render import flash_redirect, render

router = APIRouter()

STATE_LABELS = {"proposed": "待审", "kept": "保留", "dropped": "已删除"}


def _page(slug: str, number: int | None) -> str:
    return f"/admin/c/{quote(slug)}/{number}/quiz" if number else f"/admin/c/{quote(slug)}/quiz"


def _review(request: Request, slug: str, number: int | None, user: StaffUser,
            status: int = 200, **extra) -> HTMLResponse:
    data = request.app.state.zl.quiz.review(slug, number)
    return render(request, "quiz_review.html", status, **data, number=number,
                  kinds=KIND_NAMES, states=STATE_LABELS,
                  can_edit=user.can_edit(data["column"]["id"]), action=_page(slug, number),
                  **extra)


def _editable(request: Request, slug: str, user: StaffUser) -> None:
    user.require_edit(request.app.state.zl.get_column(slug)["id"], slug)


@router.get("/admin/c/{slug}/quiz", response_class=HTMLResponse)
def review_next(request: Request, slug: str,
                user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    return _review(request, slug, None, user)


@router.get("/admin/c/{slug}/{number}/quiz", response_class=HTMLResponse)
def review_issue(request: Request, slug: str, number: PathId,
                 user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    return _review(request, slug, number, user)


@router.post("/admin/c/{slug}/quiz/generate", dependencies=[Depends(csrf_protect)])
def generate(request: Request, slug: str, number: OptionalFormId = None,
             user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    added = request.app.state.zl.quiz.generate(slug, number, by=user.username)
    done = f"已生成 {added} 道题目，请逐题审核" if added else "没有生成新题目：本期文章中没有找到合适的句子"
    return flash_redirect(request, _page(slug, number) + "#questions", done=done)


def _choices(text: str) -> list[str]:
    return [c.strip() for c in text.replace("\r", "").split("\n") if c.strip()][:20]


@router.post("/admin/c/{slug}/quiz/add", dependencies=[Depends(csrf_protect)],
             response_model=None)
def add(request: Request, slug: str, number: OptionalFormId = None,
        kind: str = Form("blank", max_length=20), prompt: str = Form("", max_length=2000),
        choices: str = Form("", max_length=2000), answer: str = Form("", max_length=500),
        article_id: OptionalFormId = None, sentence: str = Form("", max_length=2000),
        user: StaffUser = Depends(staff_user)) -> RedirectResponse | HTMLResponse:
    _editable(request, slug, user)
    try:
        request.app.state.zl.quiz.add(slug, number, kind=kind, prompt=prompt,
                                      choices=_choices(choices), answer=answer,
                                      article_id=article_id, sentence=sentence,
                                      by=user.username)
    except RuleError as exc:
        # The page again with what was typed, and the reason beside the form.
        return _review(request, slug, number, user, 400, add_error=exc.message,
                       draft={"kind": kind, "prompt": prompt, "choices": choices,
                              "answer": answer, "article_id": article_id,
                              "sentence": sentence})
    return flash_redirect(request, _page(slug, number) + "#questions", done="已添加题目")


@router.post("/admin/c/{slug}/quiz/{question_id}/edit", dependencies=[Depends(csrf_protect)])
def edit(request: Request, slug: str, question_id: PathId, number: OptionalFormId = None,
         prompt: str = Form("", max_length=2000), choices: str = Form("", max_length=2000),
         answer: str = Form("", max_length=500),
         user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    back = _page(slug, number) + f"#q{question_id}"
    try:
        request.app.state.zl.quiz.edit(slug, question_id, prompt=prompt,
                                       choices=_choices(choices), answer=answer,
                                       by=user.username)
    except (RuleError, InvalidTransition) as exc:
        return flash_redirect(request, back, error=f"未保存：{exc.message}")
    return flash_redirect(request, back, done="已保存并保留该题")


@router.post("/admin/c/{slug}/quiz/{question_id}/state", dependencies=[Depends(csrf_protect)])
def set_state(request: Request, slug: str, question_id: PathId, number: OptionalFormId = None,
              state: str = Form(..., max_length=20),
              user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    back = _page(slug, number) + f"#q{question_id}"
    try:
        request.app.state.zl.quiz.set_state(slug, question_id, state, by=user.username)
    except RuleError as exc:
        return flash_redirect(request, back, error=exc.message)
    verb = {"kept": "保留", "dropped": "删除", "proposed": "恢复"}[state]
    return flash_redirect(request, back, done=f"已{verb}该题")


@router.post("/admin/c/{slug}/quiz/{question_id}/move", dependencies=[Depends(csrf_protect)])
def move(request: Request, slug: str, question_id: PathId, number: OptionalFormId = None,
         direction: str = Form(..., max_length=10),
         user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _editable(request, slug, user)
    back = _page(slug, number) + f"#q{question_id}"
    try:
        request.app.state.zl.quiz.move(slug, question_id, direction, by=user.username)
    except RuleError as exc:
        return flash_redirect(request, back, error=exc.message)
    return flash_redirect(request, back, done="已调整顺序")


@router.post("/c/{slug}/{number}/quiz/{question_id}", response_class=HTMLResponse)
def answer(request: Request, slug: str, number: PathId, question_id: PathId,
           answer: str = Form("", max_length=500)) -> HTMLResponse:
    """A reader's answer: the issue page comes back with the result at the question
    (right or wrong, the right answer, the sentence it comes from)."""
    _same_origin(request)
    zl = request.app.state.zl
    reader = current_reader(request)
    try:
        result = zl.quiz.answer(zl.issue_id(slug, number), question_id, reader, answer)
    except RuleError as exc:
        return render_issue(request, slug, number, 400,
                            quiz_error={question_id: exc.message})
    return render_issue(request, slug, number, quiz_result={question_id: result})
