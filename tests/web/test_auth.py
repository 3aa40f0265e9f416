"""Staff login over real HTTP: sessions, roles, CSRF, the login rate limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.web import REQUEST_TIMEOUT
from tests.web.conftest import SLUG, csrf_of, logged_in


def test_desk_needs_a_login_and_returns_to_the_page_asked_for(site):
    zl, web = site
    anon = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)
    r = anon.get(f"/admin/c/{SLUG}/review?state=approved")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")
    login = anon.get(r.headers["location"])
    r = anon.post("/login", data={"username": "ed", "password": "editor-password",
                                  "csrf_token": csrf_of(login.text),
                                  "next": f"/admin/c/{SLUG}/review?state=approved"})
    assert r.status_code == 303
    assert r.headers["location"] == f"/admin/c/{SLUG}/review?state=approved"
    assert anon.get(r.headers["location"]).status_code == 200
    # Reading stays open to everyone.
    assert httpx.get(web.url(f"/c/{SLUG}"), timeout=REQUEST_TIMEOUT).status_code == 200


def test_session_cookie_is_signed_httponly_and_samesite(site):
    zl, web = site
    client = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)
    page = client.get("/login")
    r = client.post("/login", data={"username": "ed", "password": "editor-password",
                                    "csrf_token": csrf_of(page.text)})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    # A tampered cookie is no session.
    value = client.cookies["zhuanlan_session"]
    forged = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10,
                          cookies={"zhuanlan_session": value[:-3] + "AAA"})
    assert forged.get("/admin").status_code == 303


def test_a_post_without_the_csrf_token_is_refused(site):
    zl, web = site
    client = logged_in(web, "ed", "editor-password")
    r = client.post(f"/admin/c/{SLUG}/note", data={"editor_note": "伪造的编者按"})
    assert r.status_code == 403
    assert "CSRF" in r.text
    assert zl.get_column(SLUG)["editor_note"] == ""
    page = client.get(f"/admin/c/{SLUG}/review")
    r = client.post(f"/admin/c/{SLUG}/note", data={"editor_note": "真的编者按",
                                                  "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    assert zl.get_column(SLUG)["editor_note"] == "真的编者按"
    assert zl.audit(1)[0]["actor"] == "ed"


def test_roles_editor_only_on_granted_columns_viewer_reads(site):
    zl, web = site
    ed = logged_in(web, "ed", "editor-password")
    token = csrf_of(ed.get("/admin").text)
    r = ed.post("/admin/c/other/note", data={"editor_note": "x", "csrf_token": token})
    assert r.status_code == 403
    assert ed.get("/admin/audit").status_code == 403
    assert ed.get("/admin/users").status_code == 403
    look = logged_in(web, "look", "viewer-password")
    assert look.get(f"/admin/c/{SLUG}/review").status_code == 200
    token = csrf_of(look.get("/admin").text)
    r = look.post(f"/admin/c/{SLUG}/publish", data={"csrf_token": token})
    assert r.status_code == 403
    chief = logged_in(web, "chief", "chief-password")
    assert chief.get("/admin/audit").status_code == 200


def test_login_attempts_are_rate_limited(site):
    zl, web = site
    client = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)
    token = csrf_of(client.get("/login").text)
    codes = [client.post("/login", data={"username": "ed", "password": f"wrong-{i}",
                                         "csrf_token": token}).status_code
             for i in range(zl.cfg["web.login_attempts"] + 1)]
    assert codes[:-1] == [401] * zl.cfg["web.login_attempts"]
    assert codes[-1] == 429
    # Now even the right password waits: the limit is on the name, not the guess.
    r = client.post("/login", data={"username": "ed", "password": "editor-password",
                                    "csrf_token": token})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "分钟后再试" in r.text


def test_password_change_and_deactivation_end_sessions(site):
    zl, web = site
    ed = logged_in(web, "ed", "editor-password")
    assert ed.get("/admin").status_code == 200
    zl.staff.set_password("ed", "a-new-password")
    assert ed.get("/admin").status_code == 303
    ed = logged_in(web, "ed", "a-new-password")
    zl.staff.update_user("ed", active=False)
    assert ed.get("/admin").status_code == 303


def test_admin_adds_a_user_in_the_web_and_they_can_log_in(site):
    zl, web = site
    chief = logged_in(web, "chief", "chief-password")
    token = csrf_of(chief.get("/admin/users").text)
    r = chief.post("/admin/users", data={"username": "newbie", "password": "short",
                                         "role": "editor", "csrf_token": token})
    assert r.headers["location"] == "/admin/users"
    assert 'class="error"' in chief.get("/admin/users").text      # shown once, then gone
    assert 'class="error"' not in chief.get("/admin/users").text
    assert "newbie" not in [u["username"] for u in zl.staff.list_users()]
    r = chief.post("/admin/users", data={"username": "newbie", "password": "long-enough-1",
                                         "role": "editor", "column": [SLUG],
                                         "csrf_token": token})
    assert "已添加用户 newbie" in chief.get(r.headers["location"]).text
    newbie = logged_in(web, "newbie", "long-enough-1")
    assert newbie.get(f"/admin/c/{SLUG}/review").status_code == 200
    assert any(e["action"] == "add_user" and e["actor"] == "chief" for e in zl.audit())


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_does_not_redirect_off_site(site, target):
    zl, web = site
    client = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "ed", "password": "editor-password",
                                    "csrf_token": token, "next": target})
    assert r.headers["location"] == "/admin"


def test_parallel_wrong_logins_cannot_slip_under_the_limit(site):
    """The attempt is recorded before the password is checked: 30 guesses at once get
    at most the limit's number of answers, the rest 429."""
    zl, web = site
    limit = zl.cfg["web.login_attempts"]
    client = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=60)
    token = csrf_of(client.get("/login").text)
    cookies = dict(client.cookies)

    def guess(i: int) -> int:
        with httpx.Client(base_url=web.url(""), cookies=cookies, timeout=60) as c:
            return c.post("/login", data={"username": "ed", "password": f"wrong-{i}",
                                          "csrf_token": token}).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        codes = list(pool.map(guess, range(30)))
    assert codes.count(401) <= limit and codes.count(401) >= 1
    assert codes.count(429) == 30 - codes.count(401)


def test_failures_from_elsewhere_never_lock_out_a_known_address(zl):
    """Per (user, address) first: a guesser is stopped; the user logs in from their
    own address; a flood from many addresses only stops the addresses never used."""
    from zhuanlan.errors import AuthError, RateLimited
    zl.staff.add_user("ed", "editor-password", role="editor")
    limit = zl.cfg["web.login_attempts"]
    zl.staff.authenticate("ed", "editor-password", client="10.0.0.1")      # known address
    for i in range(limit):
        with pytest.raises(AuthError):
            zl.staff.authenticate("ed", f"guess-{i}", client="203.0.113.9")
    with pytest.raises(RateLimited):                     # the guesser's address is stopped
        zl.staff.authenticate("ed", "editor-password", client="203.0.113.9")
    assert zl.staff.authenticate("ed", "editor-password", client="10.0.0.1").username == "ed"
    # Many addresses, each under its own limit, exceed the user's overall limit …
    for i in range(limit * 10):
        with pytest.raises((AuthError, RateLimited)):
            zl.staff.authenticate("ed", "guess", client=f"198.51.100.{i}")
    with pytest.raises(RateLimited):                     # … a new address must wait,
        zl.staff.authenticate("ed", "editor-password", client="192.0.2.200")
    # … the user's own address is not locked out.
    assert zl.staff.authenticate("ed", "editor-password", client="10.0.0.1").username == "ed"


def test_logout_ends_the_session_on_the_server(site):
    zl, web = site
    ed = logged_in(web, "ed", "editor-password")
    copied = dict(ed.cookies)                             # someone copied the cookie
    thief = httpx.Client(base_url=web.url(""), cookies=copied, follow_redirects=False)
    assert thief.get("/admin").status_code == 200
    r = ed.post("/logout", data={"csrf_token": csrf_of(ed.get("/admin").text)})
    assert r.status_code == 303
    assert thief.get("/admin").status_code == 303         # the copy is dead too
    assert any(e["action"] == "logout" and e["actor"] == "ed" for e in zl.audit())


def test_a_password_change_ends_other_sessions_and_revokes_tokens(site):
    zl, web = site
    laptop = logged_in(web, "ed", "editor-password")
    phone = logged_in(web, "ed", "editor-password")
    _, api_token = zl.staff.create_token("ed", "脚本")
    api = httpx.Client(base_url=web.url("/api/v1"), timeout=10,
                       headers={"Authorization": f"Bearer {api_token}"})
    assert api.get("/me").status_code == 200
    page = laptop.get("/admin/me")
    assert page.text.count("<td>127.0.0.1</td>") == 2       # two devices listed
    r = laptop.post("/admin/me/password", data={"current": "editor-password",
                                                "password": "a-new-password",
                                                "csrf_token": csrf_of(page.text)})
    assert r.status_code == 200 and "1 个 API 令牌已吊销" in r.text
    assert laptop.get("/admin").status_code == 200         # the one that changed it stays
    assert phone.get("/admin").status_code == 303
    assert api.get("/me").status_code == 401
    entry = next(e for e in zl.audit() if e["action"] == "set_password")
    assert "吊销 1 个 API 令牌" in entry["detail"]
    # 退出其他所有设备
    other = logged_in(web, "ed", "a-new-password")
    r = laptop.post("/admin/me/sessions/end", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and other.get("/admin").status_code == 303
    assert laptop.get("/admin").status_code == 200
