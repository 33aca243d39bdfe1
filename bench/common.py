"""What bench/bench.py and bench/load.py share: app adapters, the in-page monitor, sessions.

How a change is timed. Every page gets MONITOR_JS before any of its own scripts. On every animation
frame it reads, from the parent page, the st_folium iframe's `path.leaflet-interactive` elements
(count, and the `fill` attributes of the first 64 as a signature), a tag the bench puts on the
iframe's window, and (for the floor page) one text element, and logs a timestamped event whenever
one of those changes. A change's latency is the time from the user's last pointerdown (a capture
listener) to the first frame showing the expected result; blank time is the time within that
window with 0 polygons; a remount is the tag missing afterwards. All times are browser epoch
milliseconds (performance.timeOrigin + now), so the Python side's polling never shows up in them.

Adapters are the only app-specific part: how to change the sector, and which states to cycle.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from geo.sectors import SECTORS  # noqa: E402  (needs the repo root on sys.path)
from tests.harness import (  # noqa: E402
    CHROMIUM,
    MAP_IFRAME,
    POLYGON,
    block_outside,
    launch_chromium,
    map_frame,
    rss_kib,
    start_streamlit,
    stop_streamlit,
    streamlit_server,
)

__all__ = [
    "CHROMIUM", "REPO_ROOT", "RESULTS_DIR", "launch_chromium", "map_frame", "rss_kib",
    "start_streamlit", "stop_streamlit", "streamlit_server",
]  # fmt: skip

STATE_POLYGONS = 32
SIGNATURE_PATHS = 64
SENTINEL_ALL = "(all sectors)"

MONITOR_JS = """
(() => {
  if (window.top !== window) {
    // In the map's iframe: note when Streamlit hands the component new arguments.
    window.addEventListener('message', e => {
      const mon = window.top.__mon;
      if (mon && e.data && e.data.type === 'streamlit:render') {
        mon.renders.push(performance.timeOrigin + performance.now());
        if (mon.renders.length > 4000) mon.renders.splice(0, 2000);
      }
    });
    return;
  }
  if (window.__mon) return;
  const MAP = %(map)s, SEL = %(sel)s, WATCH = %(watch)s, LIMIT = %(limit)d;
  const mon = window.__mon = {events: [], last: null, lastDown: null, frames: 0, ws: [], renders: []};
  const now = () => performance.timeOrigin + performance.now();
  // When each websocket message from the server arrives (to split a change's latency into
  // server time and browser time).
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => {
        mon.ws.push(now());
        if (mon.ws.length > 4000) mon.ws.splice(0, 2000);
      });
    }
  };
  document.addEventListener('pointerdown', e => { mon.lastDown = now(); }, true);
  function read() {
    let count = 0, sig = '', tag = null, text = null;
    const iframe = document.querySelector(MAP);
    if (iframe) {
      let doc = null;
      try { doc = iframe.contentDocument; } catch (e) {}
      if (doc) {
        const paths = doc.querySelectorAll(SEL);
        count = paths.length;
        const fills = [];
        for (let i = 0; i < count && i < LIMIT; i++) fills.push(paths[i].getAttribute('fill'));
        sig = fills.join(',');
        try { tag = iframe.contentWindow.__benchTag || null; } catch (e) {}
      }
    }
    if (WATCH) { const el = document.querySelector(WATCH); text = el ? el.textContent : null; }
    return {count, sig, tag, text};
  }
  function tick() {
    mon.frames++;
    const s = read(), l = mon.last;
    if (!l || l.count !== s.count || l.sig !== s.sig || l.tag !== s.tag || l.text !== s.text) {
      s.t = now();
      mon.events.push(s);
      mon.last = s;
      if (mon.events.length > 4000) mon.events.splice(0, 2000);
    }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
})();
"""

STATUS_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const mon = window.__mon, last = mon && mon.last;
  return {
    idle: !!app && app.getAttribute('data-test-script-state') !== 'running',
    connected: !!app && app.getAttribute('data-test-connection-state') === 'CONNECTED',
    sinceChange: last ? performance.timeOrigin + performance.now() - last.t : 0,
    last: last,
    errors: document.querySelectorAll('[data-testid="stException"]').length,
  };
}"""

PAN_ZOOM_JS = """async (step) => {
  const map = window.map;
  const t0 = performance.now();
  const done = new Promise(resolve => map.once('moveend', () =>
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)))));
  if (step.zoom) map.setZoom(map.getZoom() + step.zoom, {animate: false});
  else map.panBy(step.pan, {animate: false});
  return await done;
}"""


# --------------------------------------------------------------------------- adapters


@dataclass
class Adapter:
    """How the bench drives one app. Subclasses define `apply`, `next_state` and friends."""

    name: str
    script: Path
    kind: str = "map"  # "map": judge by polygon fills; "text": judge by WATCH text
    watch_text: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    extra_args: tuple[str, ...] = ("--server.enableStaticServing", "true")
    candidates: tuple[str, ...] = ()
    initial: str = SENTINEL_ALL

    def pending_reason(self) -> str | None:
        """Why this app cannot be measured yet (None when it can)."""
        return None if self.script.exists() else f"{self.script} does not exist yet"

    def needs_reset(self, page) -> bool:
        """Whether a freshly loaded page is not at `initial` yet."""
        return False

    def reset(self, page) -> None:
        """Bring a freshly loaded page to `initial` (one action that triggers a rerun)."""

    def apply(self, page, current: str, target: str) -> None:
        """Change the filter from `current` to `target`; the last pointerdown is the commit."""
        raise NotImplementedError

    def next_state(self, current: str, index: int, usable: list[str]) -> str:
        """The state the i-th timed change goes to (one `apply` away from `current`)."""
        raise NotImplementedError

    def route(self, current: str, target: str) -> list[str]:
        """States to pass through to reach `target` from `current`, one `apply` each."""
        return [target]


def _close_popups(page) -> None:
    page.keyboard.press("Escape")


def _choose_option(page, combobox, option: str) -> None:
    """Open a Streamlit select/multiselect, filter by typing, click the option (= the commit)."""
    combobox.click()
    combobox.fill(option)
    page.get_by_role("option", name=option, exact=True).click()


class FloorAdapter(Adapter):
    """bench/floor_app.py: a button; the text `floor clicks: N` is the expected result."""

    def __init__(self):
        super().__init__(
            name="floor",
            script=BENCH_DIR / "floor_app.py",
            kind="text",
            watch_text='[data-testid="stText"]',
            extra_args=(),
            initial="floor clicks: 0",
        )

    def apply(self, page, current, target):
        page.get_by_role("button", name="Next").click()

    def next_state(self, current, index, usable):
        return f"floor clicks: {int(current.rsplit(' ', 1)[1]) + 1}"


class BaselineAdapter(Adapter):
    """bench/baseline_app.py: a main-area selectbox "Sector"; cycle through the candidates."""

    def __init__(self):
        super().__init__(
            name="baseline",
            script=BENCH_DIR / "baseline_app.py",
            # Streamlit's defaults, not the atlas's .streamlit/config.toml, except static serving
            extra_args=("--server.enableStaticServing", "true", "--server.enableWebsocketCompression", "false"),
            candidates=("Energy", "Automotive", "ICT", "Aerospace", "Agrifood", "Health & Medical"),
            initial=SECTORS[0],  # the selectbox's default
        )

    def pending_reason(self):
        import importlib.util

        reason = super().pending_reason()
        if reason is None and "from layers.assets import" in self.script.read_text():
            if importlib.util.find_spec("layers.assets") is None:
                reason = "layers/assets.py missing (offline folium assets): the map cannot render"
        return reason

    def apply(self, page, current, target):
        _close_popups(page)
        box = page.locator('[data-testid="stMain"]').get_by_role("combobox", name="Sector")
        _choose_option(page, box, target)

    def next_state(self, current, index, usable):
        options = [s for s in usable if s != current]
        return options[index % len(options)]


class OursAdapter(Adapter):
    """app.py, the atlas. Contract it relies on (keep in step with app.py):

    - a multiselect labelled "Sectors" in the sidebar, options named as geo.sectors.SECTORS,
      empty = all sectors, empty when the page opens without query parameters;
    - one st_folium map whose 32 state polygons (`path.leaflet-interactive`) change `fill` with
      the sector filter.
    A change is one click: ALL -> X selects X (dropdown opened and filtered first, not timed),
    X -> ALL removes X's tag. So the plan alternates ALL, X1, ALL, X2, ...
    """

    def __init__(self, env=None):
        super().__init__(
            name="ours",
            script=REPO_ROOT / "app.py",
            env=dict(env or {}),
            candidates=("Automotive", "Aerospace", "ICT", "Energy", "Agrifood", "Health & Medical"),
        )

    label = "Sectors"  # the multiselect's label in app.py

    def _box(self, page):
        return page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=self.label)

    def _widget(self, page):
        sidebar = page.locator('[data-testid="stSidebar"]')
        return sidebar.locator('[data-testid="stMultiSelect"]').filter(
            has=page.get_by_role("combobox", name=self.label)
        )

    def _clear(self, page):
        return self._widget(page).locator('button[aria-label="Clear all"]')

    def needs_reset(self, page):
        return self._clear(page).count() > 0

    def reset(self, page):
        self._clear(page).first.click()

    def apply(self, page, current, target):
        _close_popups(page)
        if target == SENTINEL_ALL:
            self._widget(page).locator(f'button[aria-label="Remove {current}"]:visible').first.click()
        else:
            _choose_option(page, self._box(page), target)

    def next_state(self, current, index, usable):
        if current != SENTINEL_ALL:
            return SENTINEL_ALL
        return usable[(index // 2) % len(usable)]

    def route(self, current, target):
        if SENTINEL_ALL in (current, target):
            return [target]
        return [SENTINEL_ALL, target]


ADAPTERS = {"floor": FloorAdapter, "baseline": BaselineAdapter, "ours": OursAdapter}


def with_script(adapter: Adapter, path: str | None) -> Adapter:
    """Point an adapter at another script (e.g. a candidate app.py) for a trial run."""
    if path:
        adapter.script = Path(path).resolve()
    return adapter


def entry_script(script: Path) -> Path:
    """A path to run `script` from such that /app/static is the repo's static/ folder.

    Streamlit serves `static/` beside the main script; bench apps live in bench/, so they run
    through symlinks in bench/results/entry/<name>/ (gitignored) next to a link to static/.
    """
    if script.parent == REPO_ROOT or REPO_ROOT not in script.parents:
        return script
    entry = RESULTS_DIR / "entry" / script.stem
    entry.mkdir(parents=True, exist_ok=True)
    for name, target in ((script.name, script), ("static", REPO_ROOT / "static")):
        link = entry / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    return entry / script.name


# --------------------------------------------------------------------------- sessions


class ChangeTimeout(AssertionError):
    pass


class Session:
    """One browser context + page on an app, with its monitor and websocket byte counter."""

    def __init__(self, browser, url: str, adapter: Adapter):
        self.url, self.adapter = url, adapter
        self.port = urlsplit(url).port
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        self.blocked: list[str] = []
        block_outside(self.context, self.blocked)
        self.context.add_init_script(
            MONITOR_JS
            % {
                "map": json.dumps(MAP_IFRAME),
                "sel": json.dumps(POLYGON),
                "watch": json.dumps(adapter.watch_text),
                "limit": SIGNATURE_PATHS,
            }
        )
        self.page = self.context.new_page()
        self.page_errors: list[str] = []
        self.ws_bytes = 0
        self.ws_frames = 0
        self.ws_last = time.monotonic()
        self.page.on("websocket", self._on_websocket)
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.state = adapter.initial

    def _on_websocket(self, ws) -> None:
        ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload) -> None:
        self.ws_bytes += len(payload.encode() if isinstance(payload, str) else payload)
        self.ws_frames += 1
        self.ws_last = time.monotonic()

    # -- observing

    def status(self) -> dict:
        return self.page.evaluate(STATUS_JS)

    def ready(self, last: dict | None) -> bool:
        if not last:
            return False
        if self.adapter.kind == "text":
            return last.get("text") is not None
        return last.get("count", 0) >= STATE_POLYGONS

    def settle(self, *, quiet_ms: float = 400, timeout: float = 60) -> dict:
        """Wait until the script is idle, the page ready, and nothing changed for quiet_ms."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            quiet_ws = (time.monotonic() - self.ws_last) * 1000 >= quiet_ms
            if status["idle"] and quiet_ws and status["sinceChange"] >= quiet_ms and self.ready(status["last"]):
                return status
            if time.monotonic() > deadline:
                raise ChangeTimeout(f"{self.adapter.name}: page did not settle: {status}")
            self.page.wait_for_timeout(50)

    def apply(self, target: str, *, timeout: float = 60) -> None:
        """Untimed change: apply, wait for the server to answer, then for the page to settle."""
        self.act(lambda: self.adapter.apply(self.page, self.state, target), timeout=timeout)
        self.state = target

    def act(self, action, *, timeout: float = 60) -> None:
        """Run a UI action that triggers a rerun and settle after it. (Settling right after a
        click could see the old, quiet page before the rerun even starts.)"""
        frames = self.ws_frames
        action()
        deadline = time.monotonic() + timeout
        while self.ws_frames == frames:
            if time.monotonic() > deadline:
                raise ChangeTimeout(f"{self.adapter.name}: no answer from the server")
            self.page.wait_for_timeout(20)
        self.settle(timeout=timeout)

    def signature(self) -> str:
        last = self.page.evaluate("window.__mon.last")
        return last["text"] if self.adapter.kind == "text" else last["sig"]

    # -- acting

    def open(self, *, timeout: float = 90) -> float:
        """Navigate; return ms from navigation start to the first ready frame."""
        self.page.goto(self.url)
        ready = (
            "([kind, n]) => { const l = window.__mon && window.__mon.last;"
            " return !!l && (kind === 'text' ? l.text !== null : l.count >= n); }"
        )
        self.page.wait_for_function(
            ready, arg=[self.adapter.kind, STATE_POLYGONS], polling="raf", timeout=timeout * 1000
        )
        return self.page.evaluate(
            """([kind, n]) => {
                const ok = e => kind === 'text' ? e.text !== null : e.count >= n;
                return window.__mon.events.find(ok).t - performance.timeOrigin;
            }""",
            [self.adapter.kind, STATE_POLYGONS],
        )

    def change(self, target: str, expected: str, *, timeout: float = 60) -> dict:
        """Apply one filter change and time it against the expected signature/text."""
        page, kind = self.page, self.adapter.kind
        token = uuid.uuid4().hex
        if kind == "map":
            map_frame(page).evaluate("t => { window.__benchTag = t; }", token)
            page.wait_for_function("t => window.__mon.last.tag === t", arg=token, polling="raf")
        bytes_before, wire_before = self.ws_bytes, wire_bytes_sent(self.port)
        self.adapter.apply(page, self.state, target)
        t0 = page.evaluate("window.__mon.lastDown")
        done_js = (
            "([x, n]) => window.__mon.last && window.__mon.last.text === x"
            if kind == "text"
            else "([x, n]) => { const l = window.__mon.last; return l && l.sig === x && l.count >= n; }"
        )
        try:
            page.wait_for_function(done_js, arg=[expected, STATE_POLYGONS], polling="raf", timeout=timeout * 1000)
        except Exception as error:
            raise ChangeTimeout(f"{self.adapter.name}: {self.state} -> {target}: {error}") from None
        events = page.evaluate(
            "(t0) => { const ev = window.__mon.events; let i = ev.length - 1;"
            " while (i > 0 && ev[i].t > t0) i--; return ev.slice(i); }",
            t0,
        )
        self.state = target
        self.settle()
        summary = _summarise_change(events, t0, expected, kind, token, self.ws_bytes - bytes_before)
        summary.update(_server_times(page, t0, t0 + summary["latency_ms"]))
        wire_after = wire_bytes_sent(self.port)
        summary["wire_bytes"] = wire_delta(wire_before, wire_after)
        return summary

    def close(self) -> None:
        self.context.close()


def wire_bytes_sent(port: int) -> dict[str, int] | None:
    """TCP payload bytes the server has sent, per open connection (peer address -> bytes),
    from `ss` (iproute2). None when `ss` is not available.

    Unlike websocket message sizes this is what crossed the wire, after permessage-deflate.
    """
    try:
        out = subprocess.run(
            ["ss", "-tinH", "state", "established", f"( sport = :{port} )"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    sent: dict[str, int] = {}
    peer = None
    for line in out.splitlines():
        if line and not line[0].isspace():  # a connection: Recv-Q Send-Q Local Peer ...
            fields = line.split()
            peer = fields[3] if len(fields) > 3 else line
        found = re.search(r"\bbytes_sent:(\d+)", line)
        if found and peer is not None:
            sent[peer] = int(found.group(1))
    return sent


def wire_delta(before: dict[str, int] | None, after: dict[str, int] | None) -> int | None:
    """Bytes sent between two `wire_bytes_sent` snapshots, per connection: a connection that
    closed in between no longer counts (a plain sum of totals would go negative), one that
    opened counts in full."""
    if before is None or after is None:
        return None
    return sum(total - before.get(peer, 0) for peer, total in after.items())


def _server_times(page, t0: float, done: float) -> dict:
    """From the click: the first and the last websocket message that arrived before the map showed
    the change, and when the map's iframe got its new arguments (the rest is the map's own work)."""
    times, renders = page.evaluate(
        "([a, b]) => [window.__mon.ws.filter(t => t >= a && t <= b),"
        " window.__mon.renders.filter(t => t >= a && t <= b)]",
        [t0, done],
    )
    return {
        "first_message_ms": times[0] - t0 if times else None,
        "last_message_ms": times[-1] - t0 if times else None,
        "map_args_ms": renders[-1] - t0 if renders else None,
    }


def _summarise_change(events, t0, expected, kind, token, ws_bytes) -> dict:
    def matches(event):
        if kind == "text":
            return event["text"] == expected
        return event["sig"] == expected and event["count"] >= STATE_POLYGONS

    done = next(e for e in events if e["t"] >= t0 and matches(e))
    blank = 0.0
    for event, following in zip(events, events[1:] + [done], strict=False):
        if event["t"] >= done["t"]:
            break
        start, end = max(event["t"], t0), min(following["t"], done["t"])
        if kind == "map" and event["count"] == 0 and end > start:
            blank += end - start
    return {
        "latency_ms": done["t"] - t0,
        "blank_ms": blank,
        "remounted": kind == "map" and done["tag"] != token,
        "ws_bytes": ws_bytes,
    }


def learn_signatures(session: Session, states: list[str]) -> dict[str, str]:
    """Visit each state once (not timed) and record what the map shows for it."""
    adapter = session.adapter
    if adapter.needs_reset(session.page):
        session.act(lambda: adapter.reset(session.page))
    session.state = adapter.initial
    signatures = {adapter.initial: session.signature()}
    for state in states:
        for step in adapter.route(session.state, state):
            if step != session.state:
                session.apply(step)
                signatures[step] = session.signature()
    return signatures


def usable_states(adapter: Adapter, signatures: dict[str, str]) -> list[str]:
    """Candidates whose map differs from every other candidate's (and from ALL for ours)."""
    taken = {signatures[adapter.initial]} if adapter.initial == SENTINEL_ALL else set()
    usable = []
    for state in adapter.candidates:
        sig = signatures.get(state)
        if sig is not None and sig not in taken:
            usable.append(state)
            taken.add(sig)
    return usable


# --------------------------------------------------------------------------- numbers


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def machine_info(browser=None) -> dict:
    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"

    try:
        chromium = subprocess.run(
            [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        chromium = "?"
    versions = {}
    for package in ("streamlit", "streamlit-folium", "folium", "playwright"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "nproc": os.cpu_count(),
        "mem_total": first("/proc/meminfo", "MemTotal"),
        "cpu_model": first("/proc/cpuinfo", "model name"),
        "chromium": chromium or (browser.version if browser else "?"),
        "python": platform.python_version(),
        "packages": versions,
    }


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
