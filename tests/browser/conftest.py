"""Fixtures for the few real browser tests, built from the harness library (tests/harness.py).

- `app_server` (module scope) serves `app_script` with `app_env` (override either fixture in a
  test module to serve another script) on a free localhost port, polled until it answers.
- `browser` (session scope) is Debian's Chromium (never a downloaded build). No Chromium is a
  failure, never a skip.
- `page` is a fresh context in which every request to a host other than 127.0.0.1/localhost is
  aborted and recorded in `blocked_requests`, so a test can assert the app needed none.
  JavaScript errors land in `page_errors`, console errors and JavaScript errors (any frame) in
  `console_errors`. A failing test leaves a screenshot in tests/artifacts/.

Helpers a test calls itself (`map_frame`, `poll_until`, `wait_for_polygons`, ...) are imported from
tests.harness, never from this file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import (
    CHROMIUM,
    REPO_ROOT,
    StreamlitServer,
    chromium_missing_message,
    launch_chromium,
    new_context,
    save_screenshot,
    streamlit_server,
    watch_console,
)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)  # lets fixtures see whether the test failed
    return report


@pytest.fixture(scope="module")
def app_script() -> Path:
    """The Streamlit script `app_server` serves; override in a module to serve another."""
    return REPO_ROOT / "app.py"


@pytest.fixture(scope="module")
def app_env() -> dict[str, str]:
    """Extra environment for the server process; override in a module if needed."""
    return {}


@pytest.fixture(scope="module")
def app_server(app_script, app_env, tmp_path_factory) -> Iterator[StreamlitServer]:
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    launcher = "layers.server" if app_script.name == "app.py" else "streamlit"  # the atlas as run.sh serves it
    with streamlit_server(app_script, env=app_env, log_path=log_path, launcher=launcher) as server:
        yield server


@pytest.fixture(scope="session")
def playwright_instance():
    if not CHROMIUM.exists():
        pytest.fail(chromium_missing_message(), pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = launch_chromium(playwright_instance)
    yield browser
    browser.close()


@pytest.fixture
def blocked_requests() -> list[str]:
    """URLs the page tried to reach outside this machine (all were aborted)."""
    return []


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught JavaScript errors in the page."""
    return []


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught exceptions of `page` (and its frames); see `watch_console`."""
    return []


@pytest.fixture
def page(browser, blocked_requests, page_errors, console_errors, request):
    context = new_context(browser, blocked_requests)
    page = context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    watch_console(page, console_errors)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        try:
            save_screenshot(page, request.node.nodeid)
        except Exception as error:  # a crashed page must not hide the test's own failure
            print(f"screenshot failed: {error}", file=sys.stderr)
    context.close()
