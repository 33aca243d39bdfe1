"""The bench's JavaScript is real, checked code: every bench/*.js passes `node --check`, and so
does the init script bench/monitor.py assembles from monitor.js and a JSON configuration; and
the monitor's call protocol works in a real page (the echo app's three-square map).

Only the last test is a browser test; the rest need no Chromium or server and run in the
default suite. No Node is a failure with a message, never a skip.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness import MAP_IFRAME, POLYGON, REPO_ROOT, map_frame

BENCH_DIR = REPO_ROOT / "bench"
ECHO_APP = Path(__file__).with_name("_echo_app.py")
SAMPLE_CONFIG = {
    "map": MAP_IFRAME,
    "polygon": POLYGON,
    "watch": '[data-testid="stText"]',
    "signaturePaths": 64,
    "kind": "text",
    "polygons": 32,
}


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "node is not on PATH: the bench's JavaScript cannot be checked. Install Node.js "
            "(Debian: apt-get install -y nodejs) and re-run.",
            pytrace=False,
        )
    return node


def _node_check(path: Path) -> str | None:
    """None when `node --check path` passes, else its message."""
    done = subprocess.run([_node(), "--check", str(path)], capture_output=True, text=True, timeout=60)
    return None if done.returncode == 0 else (done.stderr or done.stdout).strip()


def _bench_monitor():
    """bench/monitor.py, loaded by path (the bench's modules are not a package)."""
    spec = importlib.util.spec_from_file_location("bench_monitor", BENCH_DIR / "monitor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_bench_js_file_passes_node_check():
    files = sorted(BENCH_DIR.rglob("*.js"))
    files = [path for path in files if "results" not in path.relative_to(BENCH_DIR).parts]
    assert files, f"no .js files under {BENCH_DIR}"
    failures = {str(path.relative_to(REPO_ROOT)): _node_check(path) for path in files}
    assert {name: message for name, message in failures.items() if message} == {}


def test_assembled_monitor_init_script_passes_node_check(tmp_path):
    script = tmp_path / "init.js"
    script.write_text(_bench_monitor().init_script(SAMPLE_CONFIG))
    assert _node_check(script) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "pixels"}, "kind 'pixels'"),
        ({"colour": "red"}, "unknown ['colour']"),
        ({"polygons": None, "map": None}, None),  # values are data, any JSON value goes
    ],
)
def test_monitor_config_is_checked(change, message):
    config = {**SAMPLE_CONFIG, **change}
    monitor = _bench_monitor()
    if message is None:
        assert "installMonitor(" in monitor.init_script(config)
        return
    with pytest.raises(ValueError, match=re.escape(message)):
        monitor.init_script(config)


def test_missing_config_key_is_named():
    config = dict(SAMPLE_CONFIG)
    del config["watch"]
    with pytest.raises(ValueError, match=r"missing \['watch'\]"):
        _bench_monitor().init_script(config)


@pytest.fixture(scope="module")
def app_script():
    return ECHO_APP


@pytest.mark.browser
def test_monitor_protocol_in_a_real_page(app_server, page, page_errors):
    config = {**SAMPLE_CONFIG, "kind": "map", "watch": None, "polygons": 3}
    page.context.add_init_script(script=_bench_monitor().init_script(config))
    page.goto(app_server.url)
    page.wait_for_function("() => !!window.__mon && window.__mon.isReady()", polling="raf", timeout=60_000)
    assert page.evaluate("window.__mon.firstReadyAt()") > 0
    status = page.evaluate("window.__mon.status()")
    assert status["ready"] and status["last"]["count"] == 3 and status["errors"] == 0

    frame = map_frame(page)
    frame.evaluate("tag => window.__monFrame.setTag(tag)", "t1")
    page.wait_for_function("tag => window.__mon.tagged(tag)", arg="t1", polling="raf", timeout=10_000)
    assert frame.evaluate("step => window.__monFrame.panZoom(step)", {"zoom": 1}) >= 0
    assert frame.evaluate("step => window.__monFrame.panZoom(step)", {"pan": [50, 0]}) >= 0

    t0 = page.evaluate("window.__mon.events[0].t")
    signature = page.evaluate("window.__mon.last.sig")
    assert page.evaluate("s => window.__mon.shows(s)", signature)
    assert page.evaluate("([t0, s]) => window.__mon.firstShownAt(t0, s)", [t0, signature]) >= t0
    assert page.evaluate("t0 => window.__mon.eventsFrom(t0)", t0)[0]["t"] <= t0
    seen = page.evaluate("([a, b]) => window.__mon.between(a, b)", [0, 1e15])
    assert seen["ws"] and seen["renders"]  # websocket messages and the map's render message
    assert page_errors == []
