"""layers.server's warmed launcher: the heavy imports and the data load happen before Streamlit
starts, and a broken seed file is left for the page to report (the launcher still starts)."""

import os
import subprocess
import sys

import pytest

from layers import server
from tests.helpers import REPO, copy_seeds


def _launch(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "layers.server", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_launcher_hands_over_to_streamlit_after_warming():
    done = _launch("version")
    assert done.returncode == 0, done.stderr
    assert "Streamlit, version" in done.stdout


def test_broken_seeds_do_not_stop_the_launcher(tmp_path):
    folder = copy_seeds(tmp_path / "seeds")
    (folder / "clusters.csv").write_text("not,the,header\n", encoding="utf-8")
    done = _launch("version", env={"ATLAS_SEEDS_DIR": str(folder)})
    assert done.returncode == 0, done.stderr
    assert "Streamlit, version" in done.stdout


def test_the_launcher_preloads_every_library_the_first_page_imports():
    """What app.py pulls in at import (the database driver, Babel's locale data) must already be in
    memory, or the first visitor after a start pays for it."""
    probe = (
        "import importlib, sys\n"
        "from layers import server\n"
        "[importlib.import_module(name) for name in server.PRELOAD]\n"
        "from geo import i18n\n"
        "print(sorted(m for m in ('psycopg', 'babel.numbers', 'geo.upload', 'geo.source') if m not in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "app.py", "--server.port", "8600"], REPO / "app.py"),
        (["run", "app.py"], REPO / "app.py"),
        (["version"], None),
        (["run"], None),
        (["run", "missing.py"], None),
        (["hello", "app.py"], None),
    ],
)
def test_the_page_warmed_is_the_script_streamlit_runs(args, expected, monkeypatch):
    monkeypatch.chdir(REPO)
    assert server._script(args) == expected
