"""The browser harness as a library: a Streamlit server on a free localhost port, Debian Chromium.

Used by the browser tests' fixtures (tests/browser/conftest.py), by those tests themselves and by
bench/bench.py and bench/load.py. Plain functions and constants, no pytest: importing this module
starts nothing.

- `start_streamlit` / `stop_streamlit` / `streamlit_server`: `streamlit run <script>` from the repo
  root on a free 127.0.0.1 port in its own process group; returns once `/_stcore/health` answers
  (polled, `wait_until_responds`), fails fast with the log's tail if the server dies first.
- `start_balancer` / `stop_balancer` / `balancer`: scripts/balance.sh (N replicas behind HAProxy)
  in its own process group; returns at its `READY <url>` line; `Balancer.replicas()` reads the run
  folder's replicas.json (name, port, pid). Stopping it with SIGTERM stops HAProxy and the replicas.
- `launch_chromium`: Debian's Chromium at /usr/bin/chromium (or ATLAS_CHROMIUM), headless, with
  `CHROMIUM_ARGS`; never a downloaded browser build.
- `new_context(browser, blocked)`: a fresh context (1280x900, no service workers) with
  `block_outside` applied; `block_outside(context, blocked)` aborts every request and websocket to a host other than this
  machine (`OUTSIDE_URL`) and records its URL in `blocked`.
- `map_frame`, `wait_for_polygons`, `poll_until`, `watch_console`: waits that poll with
  `page.wait_for_timeout` (never `time.sleep`, which would stall Playwright's event processing).
- `rss_kib(pid)`: a process's resident memory from /proc.
- `save_screenshot(page, name)`: a full-page screenshot in tests/artifacts/, for failed tests.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
CHROMIUM = Path(os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
SERVER_START_TIMEOUT_S = 60.0
VIEWPORT = {"width": 1280, "height": 900}
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
POLYGON = "path.leaflet-interactive"
N_STATES = 32
CHANGE_MS = 20_000  # a filter change's repaint, with room for a loaded CI machine
FILLS_JS = f"() => Array.from(document.querySelectorAll({POLYGON!r})).map(p => p.getAttribute('fill')).sort()"
# Any URL that is not http(s)/ws(s) to this machine. Matched inside Playwright's driver, so
# local requests are never held up by a round trip to Python. (data: and blob: are not routed.)
OUTSIDE_URL = re.compile(r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?(?:/|$))")


# --------------------------------------------------------------------------- server


@dataclass
class StreamlitServer:
    script: Path
    port: int
    process: subprocess.Popen
    log_path: Path
    base_path: str = ""  # `--server.baseUrlPath`, e.g. "atlas" behind a proxy's sub-path

    @property
    def url(self) -> str:
        """The app's root, under its base path."""
        return f"http://127.0.0.1:{self.port}/" + (f"{self.base_path}/" if self.base_path else "")

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB, read from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def start_streamlit(
    script: str | os.PathLike,
    *,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    log_path: Path | None = None,
    timeout: float = SERVER_START_TIMEOUT_S,
    base_path: str = "",
    launcher: str = "streamlit",
) -> StreamlitServer:
    """Start `streamlit run script` from the repo root and return once it answers; `base_path`
    serves it under a sub-path (`--server.baseUrlPath`), as behind a reverse proxy. `launcher` is
    the module run with `python -m` (`layers.server`: the atlas's warmed `streamlit run`)."""
    script = Path(script)
    if not script.is_absolute():
        script = REPO_ROOT / script
    if not script.exists():
        raise FileNotFoundError(f"no Streamlit script at {script}")
    port = port or free_port()
    if log_path is None:
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        log_path = ARTIFACTS_DIR / f"server-{script.stem}-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # fmt: off
    command = [
        sys.executable, "-m", launcher, "run", str(script),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        *(("--server.baseUrlPath", base_path) if base_path else ()),
        *extra_args,
    ]
    # fmt: on
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: teardown kills all of it
        )
    server = StreamlitServer(script=script, port=port, process=process, log_path=log_path, base_path=base_path)
    try:
        wait_until_responds(f"{server.url}_stcore/health", timeout=timeout, server=server)
    except BaseException:
        stop_streamlit(server)
        raise
    return server


def wait_until_responds(
    url: str, *, timeout: float = SERVER_START_TIMEOUT_S, server: StreamlitServer | None = None
) -> None:
    """Poll `url` until it answers 200 (datasette's wait_until_responds); fail fast if the
    server process has died, with the tail of its log."""
    deadline = time.monotonic() + timeout
    while True:
        if server is not None and server.process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with {server.process.returncode} before answering {url}\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            tail = server.log_tail() if server is not None else ""
            raise TimeoutError(f"{url} did not answer within {timeout:.0f} s\n{tail}")
        time.sleep(0.1)  # poll interval, not a wait for readiness


def stop_streamlit(server: StreamlitServer, *, grace: float = 10.0) -> None:
    """SIGTERM the server's process group, then SIGKILL whatever is left after `grace` s."""
    if server.process.poll() is not None:
        return
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=grace)
    except ProcessLookupError:
        pass


@contextmanager
def streamlit_server(script: str | os.PathLike, **kwargs) -> Iterator[StreamlitServer]:
    server = start_streamlit(script, **kwargs)
    try:
        yield server
    finally:
        stop_streamlit(server)


@dataclass
class Balancer:
    """scripts/balance.sh running: HAProxy at `url` in front of replicas listed in `run_dir`."""

    process: subprocess.Popen
    url: str
    run_dir: Path

    def replicas(self) -> list[dict]:
        """name ("r1", the ATLAS cookie's value), port, pid and log of each replica."""
        return json.loads((self.run_dir / "replicas.json").read_text())

    def pids(self) -> list[int]:
        """Every process it started: the replicas and HAProxy."""
        return [r["pid"] for r in self.replicas()] + [int((self.run_dir / "haproxy.pid").read_text())]


BALANCER_START_TIMEOUT_S = 300.0  # N replicas warm one after the other on a busy 2-core machine


def start_balancer(
    replicas: int, run_dir: Path, *, port: int | None = None, timeout: float = BALANCER_START_TIMEOUT_S
) -> Balancer:
    """`bash scripts/balance.sh N` on a free localhost port; returns once it prints `READY <url>`."""
    port = port or free_port()
    command = ["bash", str(REPO_ROOT / "scripts" / "balance.sh"), str(replicas), "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--bind", "127.0.0.1", "--run-dir", str(run_dir)],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # own process group: a hung teardown can kill all of it
    )
    lines: queue.Queue[str] = queue.Queue()  # read by a thread: select() misses lines already buffered

    def _read() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put("")  # end of output: the script exited

    threading.Thread(target=_read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            continue
        if line.startswith("READY "):
            return Balancer(process=process, url=line.split()[1], run_dir=run_dir)
        if not line:
            process.wait(timeout=30)
            raise RuntimeError(f"scripts/balance.sh exited with {process.returncode} before it was ready")
    stop_balancer(process)
    raise TimeoutError(f"scripts/balance.sh was not ready within {timeout:.0f} s")


def stop_balancer(process: subprocess.Popen, *, grace: float = 30.0) -> None:
    """SIGTERM: balance.py stops HAProxy and its replicas itself; SIGKILL the group if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


@contextmanager
def balancer(replicas: int, run_dir: Path, **kwargs) -> Iterator[Balancer]:
    running = start_balancer(replicas, run_dir, **kwargs)
    try:
        yield running
    finally:
        stop_balancer(running.process)


# --------------------------------------------------------------------------- browser


def chromium_missing_message() -> str:
    return (
        f"no Chromium at {CHROMIUM}: browser tests cannot run. "
        "Install Debian's package (apt-get install -y chromium) or run `bash scripts/test.sh`, "
        "which does; or set ATLAS_CHROMIUM. Deselect with -m 'not browser' to skip knowingly."
    )


def launch_chromium(playwright, **kwargs):
    """Debian's Chromium, headless, with the flags this machine's closed network needs."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(chromium_missing_message())
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True, **kwargs)


def block_outside(context, blocked: list[str]) -> None:
    """Abort every request and websocket to a host other than this machine; record its URL."""

    def _abort(route) -> None:
        blocked.append(route.request.url)
        route.abort("blockedbyclient")

    def _refuse_websocket(ws) -> None:
        blocked.append(ws.url)
        ws.close()

    context.route(OUTSIDE_URL, _abort)
    context.route_web_socket(OUTSIDE_URL, _refuse_websocket)


def new_context(browser, blocked: list[str], **options):
    """A fresh browser context (VIEWPORT, service workers blocked, plus Playwright's context
    `options`, e.g. `locale="es-MX"`) whose outside requests are aborted and recorded in `blocked`."""
    context = browser.new_context(viewport=VIEWPORT, service_workers="block", **options)
    block_outside(context, blocked)
    return context


def save_screenshot(page, name: str) -> Path:
    """A full-page screenshot at tests/artifacts/<name>.png (name sanitised); returns the path."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def map_frame(page, *, timeout: float = 30_000):
    """The st_folium iframe's Frame."""
    handle = page.wait_for_selector(MAP_IFRAME, timeout=timeout)
    frame = handle.content_frame()
    if frame is None:
        raise AssertionError(f"{MAP_IFRAME} has no content frame")
    return frame


def wait_for_polygons(frame, n: int, *, timeout: float = 30_000) -> int:
    """Poll until at least `n` `path.leaflet-interactive` are in the map frame; return the count.

    Waits with `page.wait_for_timeout` (not time.sleep) so Playwright keeps processing events.
    """
    page = frame.page
    deadline = time.monotonic() + timeout / 1000
    count = 0
    while True:
        count = frame.locator(POLYGON).count()
        if count >= n:
            return count
        if time.monotonic() > deadline:
            raise AssertionError(f"map shows {count} {POLYGON}, expected >= {n} after {timeout} ms")
        page.wait_for_timeout(100)


def poll_until(page, check, *, timeout: float = 30_000, interval: float = 100, message: str = "condition"):
    """Call `check()` until it returns something truthy and return that; fail after `timeout` ms.

    Waits with `page.wait_for_timeout` (not time.sleep) so Playwright keeps processing events.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met after {timeout:.0f} ms (last value: {value!r})")
        page.wait_for_timeout(interval)


def watch_console(page, errors: list[str]) -> None:
    """Record the page's (and its frames') console errors and uncaught exceptions in `errors`."""
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))


# --- the atlas page ---


def open_atlas(page, server, query: str = "", *, timeout: float = CHANGE_MS):
    """Open the atlas and return the map's frame once all states are drawn with their fills."""
    page.goto(server.url + query)
    frame = map_frame(page, timeout=timeout)
    wait_for_polygons(frame, N_STATES, timeout=timeout)
    poll_until(page, lambda: all(frame.evaluate(FILLS_JS)), timeout=timeout, message="every state filled")
    return frame


def fills(frame) -> list[str]:
    return frame.evaluate(FILLS_JS)


def wait_for_new_fills(page, frame, before: list[str]) -> list[str]:
    """Poll until the 32 states carry fills different from `before`; return them."""

    def changed():
        now = fills(frame)
        return now if len(now) == N_STATES and all(now) and now != before else None

    return poll_until(page, changed, timeout=CHANGE_MS, message="state fills changed")


TIP_JS = "() => { const t = document.querySelector('.atlas-tip'); return t ? t.innerText : null; }"


def page_point(page, frame, lat: float, lon: float) -> tuple[float, float]:
    """Where the map shows (lat, lon), in page coordinates; checks it is a state polygon, not a marker."""
    x, y, hit = frame.evaluate(
        """([lat, lon]) => {
            const p = window.map.latLngToContainerPoint([lat, lon]);
            const r = window.map.getContainer().getBoundingClientRect();
            const el = document.elementFromPoint(r.left + p.x, r.top + p.y);
            return [r.left + p.x, r.top + p.y, el ? el.tagName + '.' + el.getAttribute('class') : null];
        }""",
        [lat, lon],
    )
    assert hit == "path.leaflet-interactive", f"({lat}, {lon}) is on {hit}, not on a state polygon"
    box = page.locator(MAP_IFRAME).bounding_box()
    px, py = box["x"] + x, box["y"] + y
    viewport = page.viewport_size
    assert 0 <= px < viewport["width"] and 0 <= py < viewport["height"], f"({lat}, {lon}) is off screen"
    return px, py


def hover_tip(page, frame, lat: float, lon: float, state: str) -> str:
    """Move the mouse onto (lat, lon) and return the state tooltip's text."""
    page.mouse.move(5, 5)  # off the map first, so the tooltip opens afresh
    x, y = page_point(page, frame, lat, lon)
    page.mouse.move(x, y, steps=4)
    nudges = itertools.cycle((1, 0))

    def tip():
        text = frame.evaluate(TIP_JS)
        if text and text.startswith(state):
            return text
        page.mouse.move(x + next(nudges), y)  # a layer redrawn under a still mouse needs a move
        return None

    return poll_until(page, tip, timeout=CHANGE_MS, message=f"tooltip for {state}")
