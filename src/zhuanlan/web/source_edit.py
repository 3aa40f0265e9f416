"""Editing and deleting one source (administrators): the edit page with every field its
kind has and a 测试 of the edited settings before saving; the delete confirmation that
says first what happens to the source's articles."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from zhuanlan.app.staff import StaffUser
from zhuanlan.errors import ConfigError, NotFoundError, SourceError
from zhuanlan.sources.health import source_status
from zhuanlan.web.admin import _source_request
from zhuanlan.web.auth import admin_user, csrf_protect
from zhuanlan.web.params import PathId
from zhuanlan.web.render import flash_redirect, render

router = APIRouter(prefix="/admin/sources", dependencies=[Depends(csrf_protect)])

_FIELDS = ("name", "url", "item", "links", "date", "items", "f_title", "f_url", "f_date",
           "headers", "poll_min", "poll_max", "max_new")
_MAX_FIELD = 4000
MAX_HEADERS = 20
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def _form_of(settings: dict) -> dict[str, str]:
    """The edit form filled with the source as it is."""
    spec = settings["spec"]
    fields = spec.get("fields") or {}
    return {"name": settings["name"], "url": settings["url"],
            "item": spec.get("item", ""), "links": spec.get("links", ""),
            "date": spec.get("date", ""), "items": spec.get("items", ""),
            "f_title": fields.get("title", ""), "f_url": fields.get("url", ""),
            "f_date": fields.get("date", ""),
            "headers": "\n".join(f"{k}: {v}" for k, v in settings["headers"].items()),
            "poll_min": str(settings["poll_min_minutes"]),
            "poll_max": str(settings["poll_max_minutes"]),
            "max_new": str(settings["max_new_per_poll"] or ""),
            **{f"p_{k}": v for k, v in settings["params"].items()}}


async def _posted(request: Request, settings: dict) -> dict[str, str]:
    data = await request.form()
    names = (*_FIELDS, *(f"p_{k}" for k in settings["params"]))
    return {k: str(data.get(k) or "")[:_MAX_FIELD] for k in names}


def parse_headers(text: str) -> tuple[dict[str, str], str]:
    """Extra headers from "名称: 值" lines; (headers, error in Chinese)."""
    headers: dict[str, str] = {}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_HEADERS:
        return {}, f"请求头最多 {MAX_HEADERS} 行"
    for n, line in enumerate(lines, 1):
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            return {}, f"请求头第 {n} 行格式应为“名称: 值”"
        if not _HEADER_NAME.match(name):
            return {}, f"请求头第 {n} 行的名称“{name[:64]}”无效：只能用英文字母、数字和连字符"
        if name.lower() in {h.lower() for h in headers}:
            return {}, f"请求头第 {n} 行的名称“{name}”重复"
        headers[name] = value
    return headers, ""


def _int(text: str, label: str, errors: dict[str, str], key: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 7:
        errors[key] = f"{label}须为正整数"
        return None
    return int(text)


def _edit_request(settings: dict, form: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """The edit as the facade takes it, and the errors under the fields."""
    errors: dict[str, str] = {}
    if not form["name"].strip():
        errors["name"] = "请填写名称"
    args: dict = {"name": form["name"], "url": form["url"],
                  "params": {k: form.get(f"p_{k}", "") for k in settings["params"]}}
    for key, value in args["params"].items():
        if not value.strip():
            errors[f"p_{key}"] = f"请填写参数 {key}"
    if settings["editable_spec"]:
        kind = settings["kind"]
        mode = kind if kind in ("html", "json") else "feed"
        _kind, _url, spec, _preset, error = _source_request({**form, "mode": mode})
        if error:
            errors["spec"] = error
        args["spec"] = spec
        headers, error = parse_headers(form["headers"])
        if error:
            errors["headers"] = error
        args["headers"] = headers
    args["poll_min_minutes"] = _int(form["poll_min"], "最短抓取间隔", errors, "poll_min")
    args["poll_max_minutes"] = _int(form["poll_max"], "最长抓取间隔", errors, "poll_max")
    args["max_new_per_poll"] = _int(form["max_new"], "每次最多新增", errors, "max_new")
    return args, errors


def _reading_changed(settings: dict, form: dict[str, str]) -> bool:
    """Whether the edit changes how the list is read (then it is tried before saving)."""
    before = _form_of(settings)
    keys = ["url", "item", "links", "date", "items", "f_title", "f_url", "f_date"] \
        if settings["editable_spec"] else []
    keys += [f"p_{k}" for k in settings["params"]]
    if settings["editable_spec"] and parse_headers(form["headers"])[0] != settings["headers"]:
        return True
    return any(before.get(k, "").strip() != form.get(k, "").strip() for k in keys)


def _probe(request: Request, settings: dict, args: dict):
    from zhuanlan.app.source_probe import probe_source
    zl = request.app.state.zl
    if not settings["editable_spec"]:
        return probe_source(zl, "", "", preset=settings["preset"], params=args["params"])
    url = args["url"].strip()
    if url == settings["url"]:
        # The page shows a password in the URL masked; the stored URL is tried.
        url = zl.sources.stored_url(settings["id"])
    spec = {**{k: v for k, v in settings["spec"].items() if k not in
               ("links", "item", "date", "items", "fields", "headers", "kind", "url")},
            **(args["spec"] or {})}
    if args["headers"]:
        spec["headers"] = args["headers"]
    return probe_source(zl, settings["kind"], url, spec, params=args["params"])


def _page(request: Request, settings: dict, form: dict[str, str], status_code: int = 200,
          **ctx) -> HTMLResponse:
    return render(request, "source_edit.html", status_code, source=settings, form=form,
                  status=source_status, **ctx)


@router.get("/{source_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, source_id: PathId,
              user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    settings = request.app.state.zl.sources.settings(source_id)
    return _page(request, settings, _form_of(settings), errors={})


@router.post("/{source_id}/test", response_class=HTMLResponse)
async def test_edit(request: Request, source_id: PathId,
                    user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    """Try the edited settings without saving them."""
    settings = request.app.state.zl.sources.settings(source_id)
    form = await _posted(request, settings)
    args, errors = _edit_request(settings, form)
    if errors:
        return _page(request, settings, form, 400, errors=errors)
    probe = await run_in_threadpool(_probe, request, settings, args)
    return _page(request, settings, form, 200 if probe.ok else 400, errors={}, probe=probe,
                 form_error="" if probe.ok else probe.error)


@router.post("/{source_id}/edit", response_class=HTMLResponse)
async def save_edit(request: Request, source_id: PathId,
                    user: StaffUser = Depends(admin_user)):
    """Save the edit; when it changes how the list is read, the list is tried first and
    nothing is saved when it cannot be read (as when adding)."""
    zl = request.app.state.zl
    settings = zl.sources.settings(source_id)
    form = await _posted(request, settings)
    args, errors = _edit_request(settings, form)
    if errors:
        return _page(request, settings, form, 400, errors=errors)
    probe = None
    if _reading_changed(settings, form):
        probe = await run_in_threadpool(_probe, request, settings, args)
        if not probe.ok:
            return _page(request, settings, form, 400, errors={}, probe=probe,
                         form_error="未保存：" + probe.error)
    try:
        words = zl.sources.edit(source_id, by=user.username, **args)
    except (ConfigError, SourceError) as exc:
        return _page(request, settings, form, 400, errors={}, probe=probe,
                     form_error=f"未保存：{exc.message}")
    done = ("已保存信息源“" + form["name"].strip()[:200] + "”：" + "；".join(words)) if words \
        else "没有改动"
    return flash_redirect(request, f"/admin/sources/{source_id}/edit", done=done[:500])


@router.get("/{source_id}/delete", response_class=HTMLResponse)
def delete_page(request: Request, source_id: PathId,
                user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    """What deleting the source would do, and the button that does it."""
    return render(request, "source_delete.html",
                  deletion=request.app.state.zl.sources.deletion(source_id))


@router.post("/{source_id}/delete")
def delete_source(request: Request, source_id: PathId,
                  user: StaffUser = Depends(admin_user)):
    from zhuanlan.app.sources import deletion_words
    try:
        done = request.app.state.zl.sources.delete(source_id, by=user.username)
    except NotFoundError:
        return flash_redirect(request, "/admin/sources", error="这个信息源已不存在")
    except SourceError as exc:
        return flash_redirect(request, f"/admin/sources/{source_id}/edit", error=exc.message)
    return flash_redirect(request, "/admin/sources",
                          done=f"已删除信息源“{done['name']}”：{deletion_words(done)}")
