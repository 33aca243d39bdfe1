"""The bench's JavaScript is real, checked code: every bench/*.js passes `node --check`, and so
does the init script bench/monitor.py assembles from monitor.js and a JSON configuration.

Not a browser test (no Chromium, no server): it runs in the default suite. No Node is a failure
with a message, never a skip.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness import MAP_IFRAME, POLYGON, REPO_ROOT

BENCH_DIR = REPO_ROOT / "bench"
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
