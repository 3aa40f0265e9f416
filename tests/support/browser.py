"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) for browser tests.

Started with the flags that keep it off the network: the machines have no internet,
and a browser that phones home would fail or stall.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
PHONE = (390, 844)
DESKTOP = (1280, 900)


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not Path(browser).exists() or not Path(driver).exists():
        raise RuntimeError("Debian's chromium and chromium-driver are required for the browser "
                           "tests: `make test` installs them (scripts/test-services.sh)")
    return browser, driver


WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47 NetType/WIFI "
             "Language/zh_CN")
# 企业微信's in-app browser on a phone.
WXWORK_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1 "
             "Language/zh ColorScheme/Light")


def start_browser(size: tuple[int, int] = DESKTOP, *, mobile: bool = False,
                  user_agent: str = WECHAT_UA):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = chromium_paths()
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    profile = tempfile.mkdtemp(prefix="zl-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
                 "--lang=zh-CN"):
        opts.add_argument(flag)
    if mobile:
        opts.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": size[0], "height": size[1], "pixelRatio": 2.0},
            "userAgent": user_agent})
    drv = webdriver.Chrome(service=Service(executable_path=driver), options=opts)
    drv.set_page_load_timeout(20)
    drv.zl_profile = profile
    return drv


def stop_browser(driver) -> None:
    try:
        driver.quit()
    finally:
        shutil.rmtree(getattr(driver, "zl_profile", ""), ignore_errors=True)


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def login(drv, url: str, username: str, password: str) -> None:
    """Log in through the login page (``url`` is the site's /login URL) and wait until
    the page after it has loaded."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    if not drv.current_url.startswith(url):    # already there when a page sent us to it
        drv.get(url)
    drv.find_element(By.NAME, "username").send_keys(username)
    drv.find_element(By.NAME, "password").send_keys(password)
    drv.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    WebDriverWait(drv, 10).until(lambda d: d.current_url.split("?")[0] != url)
    WebDriverWait(drv, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
