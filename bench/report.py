"""What a bench or load run records about itself: the machine, and the JSON results file."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from tests.harness import CHROMIUM

PACKAGES = ("streamlit", "streamlit-folium", "folium", "playwright")


def machine_info(browser=None) -> dict:
    """Cores, memory, CPU, Chromium, Python and the package versions that shape the numbers."""
    try:
        chromium = subprocess.run(
            [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        chromium = "?"
    return {
        "nproc": os.cpu_count(),
        "mem_total": _proc_field("/proc/meminfo", "MemTotal"),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name"),
        "chromium": chromium or (browser.version if browser else "?"),
        "python": platform.python_version(),
        "packages": {package: _version(package) for package in PACKAGES},
    }


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def _proc_field(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
