"""The bench's in-page monitor (bench/monitor.js) and how it is installed.

How a change is timed. Every page gets monitor.js before any of its own scripts. On every
animation frame it reads, from the parent page, the st_folium iframe's polygons (count, and the
`fill` attributes of the first few as a signature), a tag the bench puts on the iframe's window,
and (for the floor page) one text element, and logs a timestamped event whenever one of those
changes. A change's latency is the time from the user's last pointerdown (a capture listener) to
the first frame showing the expected result; blank time is the time within that window with 0
polygons; a remount is the tag missing afterwards. All times are browser epoch milliseconds
(performance.timeOrigin + now), so the Python side's polling never shows up in them.

The call protocol: `init_script(config)` returns monitor.js wrapped as
`(() => { <monitor.js>; installMonitor(<config as JSON>); })();`. The configuration travels as a
JSON literal (json.dumps), so no value is ever spliced into code; its keys are `CONFIG_KEYS`,
documented at the top of monitor.js. Python then calls only `window.__mon.<method>(...)` in the
page and `window.__monFrame.<method>(...)` in the map iframe.
"""

from __future__ import annotations

import json
from pathlib import Path

MONITOR_JS = Path(__file__).with_name("monitor.js")
CONFIG_KEYS = frozenset({"map", "polygon", "watch", "signaturePaths", "kind", "polygons"})
KINDS = ("map", "text")


def init_script(config: dict) -> str:
    """monitor.js plus the call that installs it with `config`, for `context.add_init_script`."""
    _check(config)
    return f"(() => {{\n{MONITOR_JS.read_text()}\ninstallMonitor({json.dumps(config)});\n}})();\n"


def _check(config: dict) -> None:
    missing, unknown = CONFIG_KEYS - config.keys(), config.keys() - CONFIG_KEYS
    if missing or unknown:
        raise ValueError(f"monitor config: missing {sorted(missing)}, unknown {sorted(unknown)}")
    if config["kind"] not in KINDS:
        raise ValueError(f"monitor config: kind {config['kind']!r} is not one of {KINDS}")
