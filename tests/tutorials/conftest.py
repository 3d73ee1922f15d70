"""Fixtures for the browser tests: one JupyterLab and one headless Chromium per test session.

JupyterLab serves a temporary copy of tutorials/ on a free loopback port, with its own config,
data, runtime, settings and workspace directories, so nothing of the user's setup is read or
written. Chromium is Debian's /usr/bin/chromium driven by Playwright (no browser is downloaded).
A browser test that fails leaves a screenshot of its page in tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "tutorials"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--disable-dev-shm-usage"]

# Settings a person would click away on first start (the news toast, the update check), and every
# cell rendered even off screen, so a test can find any cell's output without scrolling to it first.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


class JupyterLab:
    """A running JupyterLab server: its base URL, token and the directory it serves."""

    def __init__(self, url: str, token: str, root: Path, process: subprocess.Popen, log: Path):
        self.url, self.token, self.root, self.process, self.log = url, token, root, process, log

    def notebook_url(self, name: str) -> str:
        return f"{self.url}lab/tree/{name}?token={self.token}&reset"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(url: str, token: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}api/status?token={token}", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not answer within 60 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory) -> JupyterLab:
    """JupyterLab on 127.0.0.1:<free port>, serving a temporary copy of tutorials/."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "tutorials"
    shutil.copytree(TUTORIALS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = base / "user-settings"
    for name, values in LAB_SETTINGS.items():
        package, plugin = name.rsplit("/", 1)
        (settings / package).mkdir(parents=True, exist_ok=True)
        (settings / package / plugin).write_text(json.dumps(values))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(base / "config"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"), JUPYTER_DATA_DIR=str(base / "data"),
               IPYTHONDIR=str(base / "ipython"), JUPYTER_PLATFORM_DIRS="1")
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
               f"--LabApp.user_settings_dir={settings}",
               f"--LabApp.workspaces_dir={base / 'workspaces'}", "--LabApp.news_url=",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = base / "jupyterlab.log"
    with log.open("w") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                   cwd=root)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_serving(url, token, process, log)
        yield JupyterLab(url, token, root, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing; `make test` (through .ci/system-deps) installs it"
        if os.environ.get("CI"):  # CI runs `make test`, which installs it: missing is a failure
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


_FAILED = pytest.StashKey[bool]()
_PAGES = pytest.StashKey[list]()


def _keep_screenshots(request) -> None:
    """After a failed test, save a picture of every page it looked at under tests/artifacts/."""
    if not request.node.stash.get(_FAILED, False):
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for k, page in enumerate(request.node.stash.get(_PAGES, [])):
        shot = ARTIFACTS / f"{request.node.name.replace('/', '_')}-{k}.png"
        try:
            page.screenshot(path=str(shot))
        except Exception as error:  # a crashed page cannot be photographed; say so
            shot.with_suffix(".txt").write_text(f"no screenshot: {error}\n")


@pytest.fixture
def page(chromium, request):
    """A fresh browser page (1400 x 1000); its screenshot is kept if the test fails."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    request.node.stash[_PAGES] = [page]
    yield page
    _keep_screenshots(request)
    context.close()


@pytest.fixture(scope="session")
def _notebooks_run_once(chromium, jupyter_lab):
    """Pages of notebooks opened and run in full, one page per notebook, shared by tests."""
    from tests.tutorials.lab import open_notebook, run_all_cells
    pages: dict[str, object] = {}
    contexts = []

    def get(name: str):
        if name not in pages:
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(30_000)
            open_notebook(page, jupyter_lab, name)
            run_all_cells(page)
            pages[name] = page
        return pages[name]

    yield get
    for context in contexts:
        context.close()


@pytest.fixture
def executed_notebook(_notebooks_run_once, request):
    """`executed_notebook(name)`: the page of tutorials/<name> after running all its cells (run once
    per session; tests that use it must leave it usable). Screenshot kept on failure."""
    request.node.stash[_PAGES] = []

    def get(name: str):
        page = _notebooks_run_once(name)
        page.bring_to_front()
        request.node.stash[_PAGES].append(page)
        return page

    yield get
    _keep_screenshots(request)
