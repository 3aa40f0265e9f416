"""deploy/nginx/zhuanlan.conf as the live proxy: nginx (TLS) in front of
``uvicorn --factory zhuanlan.web.asgi:app --workers 2 --proxy-headers``. Only the listen
addresses, the certificate and the cache directory are replaced for the test."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time

import httpx
import pytest

from tests.deploy.conftest import DEPLOY, make_facade, write_config
from tests.support.smtp import free_port


def _nginx() -> str:
    found = shutil.which("nginx") or (os.access("/usr/sbin/nginx", os.X_OK) and "/usr/sbin/nginx")
    if not found:
        pytest.fail("nginx is not installed: install it (apt-get install nginx) to check "
                    "deploy/nginx/zhuanlan.conf")
    return found


def _site(tmp_path, upstream_port: int, https_port: int, http_port: int) -> str:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=zhuanlan.example.com", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    conf = (DEPLOY / "nginx" / "zhuanlan.conf").read_text()
    for old, new in [("/etc/ssl/zhuanlan/fullchain.pem", str(tmp_path / "cert.pem")),
                     ("/etc/ssl/zhuanlan/privkey.pem", str(tmp_path / "key.pem")),
                     ("/var/cache/nginx/zhuanlan", str(tmp_path / "cache")),
                     ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")]:
        assert old in conf, old
        conf = conf.replace(old, new)
    conf = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", conf)
    (tmp_path / "site.conf").write_text(conf)
    temp = tmp_path / "nginx-temp"
    temp.mkdir()
    main = f"""
daemon off;
{"user root;" if os.geteuid() == 0 else ""}
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    types {{ text/html html; text/css css; application/javascript js; }}
    access_log off;
    client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
    include {tmp_path}/site.conf;
}}
"""
    (tmp_path / "nginx.conf").write_text(main)
    return str(tmp_path / "nginx.conf")


def test_nginx_in_front_of_the_web_processes(tmp_path, pg_schema_url, uvicorn_factory):
    nginx = _nginx()
    config = write_config(tmp_path, pg_schema_url, secure_cookies=True)
    zl = make_facade(config)
    proxy = None
    try:
        zl.migrate()
        zl.staff.add_user("chief", "chief-password", role="admin")
        web = uvicorn_factory(config, workers=2)
        web.wait_serving(workers=2)
        https_port, http_port = free_port(), free_port()
        main = _site(tmp_path, web.port, https_port, http_port)
        r = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", main],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        proxy = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", main],
                                 stderr=subprocess.PIPE)
        base = f"https://127.0.0.1:{https_port}"
        client = httpx.Client(base_url=base, verify=False, timeout=10,
                              headers={"Host": "zhuanlan.example.com"},
                              # nginx sees this address; the app must see it too.
                              transport=httpx.HTTPTransport(local_address="127.0.0.9",
                                                            verify=False))
        deadline = time.monotonic() + 20
        while True:
            try:
                r = client.get("/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proxy.poll() is None, \
                    (tmp_path / "nginx-error.log").read_text()
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["ok"] is True
        assert "x-zhuanlan-process" not in r.headers            # stays inside
        assert r.headers["strict-transport-security"].startswith("max-age=")

        # Plain HTTP is sent to HTTPS.
        r = httpx.get(f"http://127.0.0.1:{http_port}/c/x?y=1",
                      headers={"Host": "zhuanlan.example.com"})
        assert r.status_code == 301
        assert r.headers["location"] == "https://zhuanlan.example.com/c/x?y=1"

        # Static files: compressed, cached for an hour.
        r = client.get("/static/style.css", headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
        assert r.headers["cache-control"] == "max-age=3600"

        # Login over TLS: the Secure cookie works (X-Forwarded-Proto), and the address
        # the app records is the reader's, passed on by nginx (X-Forwarded-For).
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = client.post("/login", data={"username": "chief", "password": "chief-password",
                                        "csrf_token": token, "next": "/admin"})
        assert r.status_code == 303, r.text
        assert client.get("/admin/sources").status_code == 200
        login = next(e for e in zl.audit() if e["action"] == "login")
        assert login["detail"] == "127.0.0.9"

        # Uploads up to client_max_body_size reach the app; larger ones are refused.
        r = client.post("/login", content=b"x" * (25 * 1024 * 1024),
                        headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 413
        client.close()
    finally:
        if proxy is not None:
            proxy.send_signal(signal.SIGQUIT)
            try:
                proxy.wait(15)
            except subprocess.TimeoutExpired:
                proxy.kill()
        zl.close()
